// The scaling-journey web app: dependency-free Node.js, installed by cloud-init on every host.
// Its runtime config (stage, database, cache, sessions) comes from an SSM parameter that the
// systemd unit fetches into CONFIG_FILE before each start.
"use strict";
const http = require("node:http");
const fs = require("node:fs");
const net = require("node:net");

const PORT = Number(process.env.PORT || 80);
const ROLE = process.env.APP_ROLE || "web";
const CONFIG_FILE = process.env.CONFIG_FILE || "/etc/scaling-app/config.json";

function loadConfig() {
  try {
    return JSON.parse(fs.readFileSync(CONFIG_FILE, "utf8"));
  } catch (err) {
    return { error: `no config at ${CONFIG_FILE}: ${err.message}` };
  }
}

function tcpReachable(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    if (!host) return resolve(null);
    const socket = net.connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

let config = loadConfig();
// The systemd unit refreshes CONFIG_FILE at every start; reading it again each minute lets a
// promotion (a new database endpoint, a cache) reach a running host without a restart.
setInterval(() => {
  config = loadConfig();
}, 60_000).unref();

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  // The load balancer's health check: the process is up. It deliberately ignores dependencies,
  // so that a database blip does not take every instance out of service at once.
  if (url.pathname === "/health" || url.pathname.endsWith("/health")) {
    res.writeHead(200, { "content-type": "text/plain" });
    return res.end("ok\n");
  }
  // Readiness: can this instance reach its data? Route 53's health checks behind latency routing
  // probe it, so a region that cannot reach its database drops out. No database configured (or no
  // config at all) is not ready either: the instance cannot serve.
  if (url.pathname === "/ready") {
    const db = config.database || {};
    const dbOk = db.writer ? await tcpReachable(db.writer, db.port || 5432) : false;
    res.writeHead(dbOk ? 200 : 503, { "content-type": "application/json" });
    return res.end(JSON.stringify({ database: dbOk }));
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ role: ROLE, stage: config.stage, region: config.region, path: url.pathname }));
});

server.listen(PORT, () => console.log(`scaling-app (${ROLE}) listening on ${server.address().port}`));
