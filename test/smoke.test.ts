import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { globalClusterCheck, runSmoke, SmokeEnv } from "../tools/smoke";
import { ROOT } from "../tools/stackConfig";

/**
 * Fake `pulumi` and `curl` on a temp PATH: each records its arguments (one line per call) and
 * answers as the real command would, steered by files in the fake's directory.
 */
// Shell builtins only (no dirname, grep or cat): each call is one process, as cheap as a spawn
// gets. `show` prints a file as `cat` does, a last line without a newline included (it adds one).
const FAKE_PULUMI = `#!/bin/sh
dir=\${0%/*}
echo "pulumi $*" >> "$dir/calls.log"
show() { [ -f "$1" ] || exit 1; while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done < "$1"; }
case "$1 $2" in
  "version "*) echo "v3.248.0" ;;
  "stack select")
    if [ -f "$dir/stacks" ]; then
      while IFS= read -r known || [ -n "$known" ]; do [ "$known" = "$3" ] && exit 0; done < "$dir/stacks"
    fi
    echo "error: no stack named '$3' found" >&2; exit 255 ;;
  "stack init") echo "$3" >> "$dir/stacks"; echo "Created stack '$3'" ;;
  "stack output") show "$dir/outputs.json" ;;
  "stack export") show "$dir/export.json" ;;
  "preview "*)
    if [ -f "$dir/preview-fails" ]; then echo "error: preview failed: 1 mandatory policy violation" >&2; exit 255; fi
    echo "Previewing update (smoke):" ;;
  *) : ;;
esac
`;
const FAKE_CURL = `#!/bin/sh
dir=\${0%/*}
echo "curl $*" >> "$dir/calls.log"
for last; do :; done
case "$last" in
  */ready) if [ -f "$dir/ready-status" ]; then IFS= read -r status < "$dir/ready-status"; printf '%s' "$status"; else printf 200; fi ;;
  *) printf 200 ;;
esac
`;

const GLOBAL = "aws:rds/globalCluster:GlobalCluster";
const twoRegionExport = (members: { dbClusterArn: string; isWriter: boolean }[]) => ({
  deployment: {
    resources: [
      {
        type: GLOBAL,
        urn: "urn:pulumi:smoke::p::aws:rds/globalCluster:GlobalCluster::db-global",
        outputs: { id: "db-global", globalClusterMembers: members },
      },
    ],
  },
});
const HEALTHY_MEMBERS = [
  { dbClusterArn: "arn:aws:rds:us-east-1:1:cluster:db", isWriter: true },
  { dbClusterArn: "arn:aws:rds:eu-west-1:1:cluster:db", isWriter: false },
];

describe("smoke test (npm run smoke) against fake pulumi and curl", () => {
  let dir: string;
  let ns: string[];
  const ctx = (): SmokeEnv => ({ env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` }, cwd: ROOT, resolveNs: async () => ns });
  const calls = () =>
    fs.existsSync(path.join(dir, "calls.log")) ? fs.readFileSync(path.join(dir, "calls.log"), "utf8").trim().split("\n") : [];
  const row = (stdout: string, step: string) => stdout.split("\n").find((l) => l.trimStart().startsWith(step)) ?? "";
  const outputs = (o: Record<string, unknown>) => fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify(o));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-"));
    fs.writeFileSync(path.join(dir, "pulumi"), FAKE_PULUMI, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "curl"), FAKE_CURL, { mode: 0o755 });
    outputs({ stage: 4, regions: ["us-east-1"], appUrl: "http://alb-1.us-east-1.elb.amazonaws.com" });
    fs.writeFileSync(path.join(dir, "export.json"), JSON.stringify({ deployment: { resources: [] } }));
    ns = [];
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("creates a missing stack from dev's config and previews it with the policy pack, nothing more", async () => {
    const result = await runSmoke(["--stack", "smoke-1"], ctx());
    assert.equal(result.code, 0, result.stdout);
    const log = calls();
    assert.ok(log.includes("pulumi stack select smoke-1 --non-interactive"), log.join("\n"));
    assert.ok(log.includes("pulumi stack init smoke-1 --copy-config-from dev --non-interactive"), log.join("\n"));
    const preview = log.find((c) => c.startsWith("pulumi preview"));
    assert.ok(preview?.includes("--stack smoke-1") && preview.includes("--policy-pack policies"), preview);
    assert.ok(!log.some((c) => /^pulumi (up|destroy)/.test(c)), "no up or destroy without --up");
    assert.match(row(result.stdout, "preview"), /pass/);
    assert.match(result.stdout, /passed, 0 failed/);
  });

  it("selects an existing stack instead of creating it, and sets --stage", async () => {
    fs.writeFileSync(path.join(dir, "stacks"), "smoke-1\n");
    const result = await runSmoke(["--stack", "smoke-1", "--stage", "5"], ctx());
    assert.equal(result.code, 0, result.stdout);
    assert.ok(!calls().some((c) => c.startsWith("pulumi stack init")));
    assert.ok(calls().includes("pulumi config set --stack smoke-1 aws-scaling-journey:stage 5 --non-interactive"), calls().join("\n"));
  });

  it("with --up: deploys, checks /health and /ready on appUrl, then unprotects and destroys", async () => {
    const result = await runSmoke(["--stack", "smoke-1", "--up"], ctx());
    assert.equal(result.code, 0, result.stdout);
    const log = calls();
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
    fs.writeFileSync(path.join(dir, "ready-status"), "503");
    const result = await runSmoke(["--stack", "smoke-1", "--up"], ctx());
    assert.equal(result.code, 1);
    assert.match(row(result.stdout, "/ready"), /fail.*503/);
    assert.ok(calls().some((c) => c.startsWith("pulumi destroy --stack smoke-1 --yes")));
    assert.match(result.stdout, /1 failed/);
  });

  it("stops after a failed preview: no up, no destroy", async () => {
    fs.writeFileSync(path.join(dir, "preview-fails"), "");
    const result = await runSmoke(["--stack", "smoke-1", "--up"], ctx());
    assert.equal(result.code, 1);
    assert.match(row(result.stdout, "preview"), /fail.*mandatory policy violation/);
    assert.ok(!calls().some((c) => /^pulumi (up|destroy)/.test(c)));
  });

  it("checks global-cluster membership and DNS delegation at stage 7 with a domain", async () => {
    outputs({
      stage: 7,
      regions: ["us-east-1", "eu-west-1"],
      appUrl: "https://shop.example.com",
      nameServers: ["ns-1.awsdns-1.org", "ns-2.awsdns-2.com"],
    });
    fs.writeFileSync(path.join(dir, "export.json"), JSON.stringify(twoRegionExport(HEALTHY_MEMBERS)));
    ns = ["NS-1.awsdns-1.org.", "ns-2.awsdns-2.com"];
    const good = await runSmoke(["--stack", "smoke-7", "--up"], ctx());
    assert.equal(good.code, 0, good.stdout);
    assert.match(row(good.stdout, "global-cluster"), /pass/);
    assert.match(row(good.stdout, "DNS"), /pass/);

    ns = ["ns-9.registrar.example"];
    const undelegated = await runSmoke(["--stack", "smoke-7", "--up"], ctx());
    assert.equal(undelegated.code, 1);
    assert.match(row(undelegated.stdout, "DNS"), /fail.*registrar/);
  });

  it("says so when the Pulumi CLI is missing", async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-empty-"));
    try {
      const result = await runSmoke(["--stack", "smoke-1"], { ...ctx(), env: { ...process.env, PATH: empty } });
      assert.equal(result.code, 1);
      assert.match(row(result.stdout, "pulumi CLI"), /fail.*install/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it("requires --stack (a throwaway stack is never guessed)", async () => {
    const result = await runSmoke([], ctx());
    assert.equal(result.code, 1);
    assert.match(result.stderr, /--stack NAME is required/);
    assert.deepEqual(calls(), []);
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
