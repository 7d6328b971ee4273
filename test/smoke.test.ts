import { strict as assert } from "node:assert";
import * as path from "node:path";
import { globalClusterCheck } from "../tools/smoke";
import { ROOT } from "../tools/stackConfig";
import { RUN_TS, runInBackground } from "./children";
import { HEALTHY_MEMBERS, type Outcome, type ScenarioName, twoRegionExport } from "./smokeScenarios";

/**
 * `npm run smoke` against fake `pulumi` and `curl` (test/smokeScenarios.ts): every scenario runs
 * in one child process, queued when this file loads (test/children.ts); each test checks one
 * scenario's outcome.
 */
const outcomes: Promise<Record<ScenarioName, Outcome>> = runInBackground(process.execPath, [
  ...RUN_TS,
  path.join(ROOT, "test", "smokeChild.ts"),
]).then((run) => {
  if (run.code !== 0) throw new Error(`test/smokeChild.ts exited ${run.code}: ${run.stderr}`);
  try {
    return JSON.parse(run.stdout) as Record<ScenarioName, Outcome>;
  } catch (err) {
    throw new Error(
      `test/smokeChild.ts printed no outcomes (${(err as Error).message}): ${run.stdout.slice(0, 500)} ${run.stderr.slice(0, 500)}`,
    );
  }
});
outcomes.catch(() => undefined); // each test reports it
const outcome = async (name: ScenarioName): Promise<Outcome> => (await outcomes)[name];

describe("smoke test (npm run smoke) against fake pulumi and curl", () => {
  const row = (stdout: string, step: string) => stdout.split("\n").find((l) => l.trimStart().startsWith(step)) ?? "";

  it("creates a missing stack from dev's config and previews it with the policy pack, nothing more", async () => {
    const {
      results: [result],
      calls: log,
    } = await outcome("createsMissing");
    assert.equal(result.code, 0, result.stdout);
    assert.ok(log.includes("pulumi stack select smoke-1 --non-interactive"), log.join("\n"));
    assert.ok(log.includes("pulumi stack init smoke-1 --copy-config-from dev --non-interactive"), log.join("\n"));
    const preview = log.find((c) => c.startsWith("pulumi preview"));
    assert.ok(preview?.includes("--stack smoke-1") && preview.includes("--policy-pack policies"), preview);
    assert.ok(!log.some((c) => /^pulumi (up|destroy)/.test(c)), "no up or destroy without --up");
    assert.match(row(result.stdout, "preview"), /pass/);
    assert.match(result.stdout, /passed, 0 failed/);
  });

  it("selects an existing stack instead of creating it, and sets --stage", async () => {
    const {
      results: [result],
      calls,
    } = await outcome("selectsExisting");
    assert.equal(result.code, 0, result.stdout);
    assert.ok(calls.includes("pulumi stack select smoke-1 --non-interactive"), calls.join("\n"));
    assert.ok(!calls.some((c) => c.startsWith("pulumi stack init")));
    assert.ok(calls.includes("pulumi config set --stack smoke-1 aws-scaling-journey:stage 5 --non-interactive"), calls.join("\n"));
  });

  it("with --up: deploys, checks /health and /ready on appUrl, then unprotects and destroys", async () => {
    const {
      results: [result],
      calls: log,
    } = await outcome("upHealthy");
    assert.equal(result.code, 0, result.stdout);
    const order = ["pulumi preview", "pulumi up", "pulumi stack output", "curl", "pulumi state unprotect", "pulumi destroy"].map((p) =>
      log.findIndex((c) => c.startsWith(p)),
    );
    assert.ok(
      order.every((i) => i >= 0),
      log.join("\n"),
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
      "in this order",
    );
    assert.ok(log.some((c) => c.startsWith("curl") && c.endsWith("http://alb-1.us-east-1.elb.amazonaws.com/health")));
    assert.ok(log.some((c) => c.startsWith("curl") && c.endsWith("http://alb-1.us-east-1.elb.amazonaws.com/ready")));
    assert.ok(log.some((c) => c.startsWith("pulumi stack output --stack smoke-1 --json")));
    for (const step of ["/health", "/ready", "destroy"]) assert.match(row(result.stdout, step), /pass/, step);
    assert.match(row(result.stdout, "DNS"), /skip/);
    assert.match(row(result.stdout, "global-cluster"), /skip/);
  });

  it("fails, and still destroys, when /ready answers 503", async () => {
    const {
      results: [result],
      calls,
    } = await outcome("notReady");
    assert.equal(result.code, 1);
    assert.match(row(result.stdout, "/ready"), /fail.*503/);
    assert.ok(calls.some((c) => c.startsWith("pulumi destroy --stack smoke-1 --yes")));
    assert.match(result.stdout, /1 failed/);
  });

  it("stops after a failed preview: no up, no destroy", async () => {
    const {
      results: [result],
      calls,
    } = await outcome("previewFails");
    assert.equal(result.code, 1);
    assert.match(row(result.stdout, "preview"), /fail.*mandatory policy violation/);
    assert.ok(calls.some((c) => c.startsWith("pulumi preview")));
    assert.ok(!calls.some((c) => /^pulumi (up|destroy)/.test(c)));
  });

  it("checks global-cluster membership and DNS delegation at stage 7 with a domain", async () => {
    // Name servers as the public DNS gives them (case and trailing dot aside), then a registrar's.
    const {
      results: [good, undelegated],
    } = await outcome("stage7");
    assert.equal(good.code, 0, good.stdout);
    assert.match(row(good.stdout, "global-cluster"), /pass/);
    assert.match(row(good.stdout, "DNS"), /pass/);
    assert.equal(undelegated.code, 1);
    assert.match(row(undelegated.stdout, "DNS"), /fail.*registrar/);
  });

  it("says so when the Pulumi CLI is missing", async () => {
    const {
      results: [result],
      calls,
    } = await outcome("noCli");
    assert.equal(result.code, 1);
    assert.match(row(result.stdout, "pulumi CLI"), /fail.*install/);
    assert.deepEqual(calls, []);
  });

  it("requires --stack (a throwaway stack is never guessed)", async () => {
    const {
      results: [result],
      calls,
    } = await outcome("noStack");
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--stack NAME is required/);
    assert.deepEqual(calls, []);
  });
});

describe("global-cluster membership check", () => {
  const regions = ["us-east-1", "eu-west-1"];
  it("passes with one writer and a member per region", () => {
    assert.equal(globalClusterCheck(twoRegionExport(HEALTHY_MEMBERS), regions).result, "pass");
  });
  it("fails with two writers, or a region missing", () => {
    const twoWriters = HEALTHY_MEMBERS.map((m) => ({ ...m, isWriter: true }));
    assert.match(globalClusterCheck(twoRegionExport(twoWriters), regions).detail, /2 writers/);
    assert.match(globalClusterCheck(twoRegionExport(HEALTHY_MEMBERS.slice(0, 1)), regions).detail, /1 members for 2 regions/);
  });
});
