// The stage-1 backend: a Lambda function behind an HTTP API. No dependencies, no VPC.
"use strict";

exports.handler = async (event) => {
  const path = event.rawPath || "/";
  if (path === "/health") return { statusCode: 200, headers: { "content-type": "text/plain" }, body: "ok" };
  if (path === "/signup" && event.requestContext?.http?.method === "POST") {
    // The launch page's waiting list: logged to CloudWatch until a database exists (stage 2).
    console.log(JSON.stringify({ signup: event.body ? String(event.body).slice(0, 200) : null }));
    return { statusCode: 202, headers: { "content-type": "application/json" }, body: JSON.stringify({ accepted: true }) };
  }
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ service: "launch-backend", stage: process.env.STAGE, path }),
  };
};
