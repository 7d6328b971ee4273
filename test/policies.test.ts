/**
 * The CrossGuard pack, run offline over the real program's graphs (tools/policyRunner.ts mirrors
 * how the Pulumi engine calls the policies). Thresholds come from the stage table, never from
 * pasted output. The pack itself (`new PolicyPack`) is never constructed here.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ts from "typescript";
import { parse } from "yaml";
import { PROTECTED_BACKUP_RETENTION_DAYS, STAGE_NUMBERS, stageDefinition, StageNumber } from "../components/stages";
import { policies, stageAwarePolicyNames } from "../policies/rules";
import { STATEFUL_TYPES } from "../policies/security";
import { STAGE_MARKER_TAG as PACK_MARKER_TAG } from "../policies/support";
import { STAGE_MARKER_TAG } from "../components/platform";
import type { Capture, ResourceRecord } from "../tools/capture";
import { runPolicyCli } from "../tools/policy";
import { loadPackConfig, mandatory, resolvePackConfig, runPolicies } from "../tools/policyRunner";
import { ROOT } from "../tools/stackConfig";
import { devAt, devClassSet, named, plan, viewLoader } from "./helpers";
import {
  check,
  checkCapture,
  cleanMandatory,
  firstStage,
  flags,
  HA_STAGE,
  hits,
  is,
  mandatoryNames,
  mutated,
  passes,
  without,
} from "./policyHelpers";

/**
 * Places in a TypeScript source where a stage is compared with a number by hand: a numeric
 * literal on one side of a comparison whose other side names a stage or marker, `[…numbers].includes(…stage…)`,
 * `switch (…stage…)` with numeric cases, and `stageDefinition(<literal>)`.
 */
function handStageComparisons(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  // `markers.length === 1` counts markers; it does not compare a stage.
  const names = (n: ts.Node) => /stage|marker/i.test(n.getText(source).replace(/[\w.]*\.length\b/g, ""));
  const numeric = (n: ts.Node): boolean =>
    ts.isNumericLiteral(n) ||
    (ts.isPrefixUnaryExpression(n) && ts.isNumericLiteral(n.operand)) ||
    (ts.isParenthesizedExpression(n) && numeric(n.expression));
  const comparisons = new Set([
    ts.SyntaxKind.LessThanToken,
    ts.SyntaxKind.LessThanEqualsToken,
    ts.SyntaxKind.GreaterThanToken,
    ts.SyntaxKind.GreaterThanEqualsToken,
    ts.SyntaxKind.EqualsEqualsToken,
    ts.SyntaxKind.EqualsEqualsEqualsToken,
    ts.SyntaxKind.ExclamationEqualsToken,
    ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ]);
  const found: string[] = [];
  const visit = (n: ts.Node) => {
    if (ts.isBinaryExpression(n) && comparisons.has(n.operatorToken.kind)) {
      if ((numeric(n.left) && names(n.right)) || (numeric(n.right) && names(n.left))) found.push(n.getText(source));
    } else if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression)) {
      const receiver = n.expression.expression;
      if (
        ["includes", "indexOf", "some"].includes(n.expression.name.text) &&
        ts.isArrayLiteralExpression(receiver) &&
        receiver.elements.some(numeric) &&
        n.arguments.some(names)
      )
        found.push(n.getText(source));
    } else if (
      ts.isCallExpression(n) &&
      /^(stageDefinition|isStageNumber)$/.test(n.expression.getText(source)) &&
      n.arguments.some(numeric)
    ) {
      found.push(n.getText(source));
    } else if (ts.isSwitchStatement(n) && names(n.expression)) {
      if (n.caseBlock.clauses.some((c) => ts.isCaseClause(c) && numeric(c.expression)))
        found.push(`switch (${n.expression.getText(source)})`);
    }
    ts.forEachChild(n, visit);
  };
  visit(source);
  return found.map((f) => `${file}: ${f}`);
}

const prodConfig = () => loadPackConfig("prod").config;
const LB_STAGE = firstStage((s) => s.capabilities.loadBalancedWebTier);
const CACHE_STAGE = firstStage((s) => s.capabilities.cache);
const ALARM_STAGE = firstStage((s) => s.capabilities.alarmScaling);
const NAT_STAGE = firstStage((s) => s.capabilities.nat === "perAz");
const MULTI_REGION_STAGE = firstStage((s) => s.capabilities.multiRegion);
const PROTECT_STAGE = firstStage((s) => s.minimums.dataProtection);
const SERVICES_STAGE = firstStage((s) => s.capabilities.services);
const BEFORE_PROTECT = (PROTECT_STAGE - 1) as StageNumber;

// ------------------------------------------------------------------------------------------------

describe("policy pack: shape", () => {
  it("has uniquely named policies, each with a how-to-fix description and a mandatory or advisory level", () => {
    const names = policies.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
    for (const p of policies) {
      assert.match(p.name, /^[a-z0-9-]+$/);
      assert.ok(p.description.length >= 60, `${p.name}: description too short to say how to fix it`);
      assert.ok(p.enforcementLevel === "mandatory" || p.enforcementLevel === "advisory", p.name);
    }
    const advisory = policies.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name);
    assert.deepEqual(advisory.sort(), ["alb-access-logs", "ec2-detailed-monitoring"]);
  });

  it("is a CLI-usable pack: PulumiPolicy.yaml (nodejs), package.json main index.ts, index.ts only builds the PolicyPack from rules", () => {
    const yaml = parse(fs.readFileSync(path.join(ROOT, "policies/PulumiPolicy.yaml"), "utf8"));
    assert.equal(yaml.runtime?.name ?? yaml.runtime, "nodejs");
    assert.ok(typeof yaml.description === "string" && yaml.description.length > 0);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "policies/package.json"), "utf8"));
    assert.equal(pkg.main, "index.ts");
    assert.ok(pkg.dependencies["@pulumi/policy"]);
    const index = fs.readFileSync(path.join(ROOT, "policies/index.ts"), "utf8");
    assert.equal((index.match(/new PolicyPack\(/g) ?? []).length, 1);
    assert.match(index, /from "\.\/rules"/);
  });

  it("documents every policy in policies/README.md", () => {
    const readme = fs.readFileSync(path.join(ROOT, "policies/README.md"), "utf8");
    for (const p of policies) {
      const row = new RegExp(`^\\| \`${p.name}\` +\\| ${p.enforcementLevel} +\\|`, "m");
      assert.match(readme, row, `${p.name} (${p.enforcementLevel}) is not in the policy table of policies/README.md`);
      const line = readme.split("\n").find((l) => row.test(l))!;
      const cell = line
        .split(/(?<!\\)\|/)[4]
        .trim()
        .replace(/\\([|*\\])/g, "$1");
      assert.equal(cell, p.description, `${p.name}: the README's description is not the policy's`);
    }
    assert.equal((readme.match(/^## /gm) ?? []).length, new Set(readme.match(/^## .*/gm)).size, "a section is repeated");
  });

  it("reads its thresholds from the stage table: no numeric literal compared with a stage in policies/*.ts", () => {
    // The checker itself must catch the hand comparisons a regex on `stage <= 4` misses.
    for (const bad of [
      "if (4 > s.stage) report();",
      "if (s.stage >= 5) report();",
      "const on = [5, 6, 7].includes(s.stage);",
      "switch (stack.stage) { case 6: break; }",
      "const d = stageDefinition(4);",
      "if (marker !== 7) x();",
    ])
      assert.ok(handStageComparisons("bad.ts", bad).length > 0, `the checker misses: ${bad}`);
    assert.deepEqual(handStageComparisons("ok.ts", "const n = markers.length === 1; const x = s.definition.minimums.azs < 2;"), []);
    const files = fs.readdirSync(path.join(ROOT, "policies")).filter((f) => f.endsWith(".ts"));
    assert.ok(files.includes("ha.ts") && files.includes("support.ts"));
    for (const file of files) {
      const text = fs.readFileSync(path.join(ROOT, "policies", file), "utf8");
      assert.deepEqual(handStageComparisons(file, text), [], `${file} compares a stage number by hand`);
    }
  });

  it(`ships policies/config/prod.json raising minimumStage to the first data-protection stage (${PROTECT_STAGE}) on every stage-aware policy`, () => {
    const config = prodConfig();
    const names = stageAwarePolicyNames();
    assert.ok(names.length >= 8);
    assert.ok(stageDefinition(PROTECT_STAGE).minimums.dbReaders > 0, "prod's floor includes a DB follower");
    for (const n of names) assert.equal((config[n] as { minimumStage: number }).minimumStage, PROTECT_STAGE, n);
    const resolved = resolvePackConfig(policies, config);
    assert.equal(resolved.get("aurora-reader-in-another-az")!.config.minimumStage, PROTECT_STAGE);
  });
});

describe("policy pack: the stack's stage", () => {
  it("looks for the marker the program writes (components/platform.ts STAGE_MARKER_TAG)", () => {
    assert.deepEqual({ ...PACK_MARKER_TAG }, { ...STAGE_MARKER_TAG });
  });

  it("reads the stage from the stage-marker parameter and flags a stack without one", async () => {
    const capture = await plan({ stack: "dev", stage: 3 });
    passes(await checkCapture(capture), "stage-marker");
    const marker = (r: ResourceRecord) => r.inputs.tags?.["scaling:role"] === "stage-marker";
    flags(await checkCapture(without(capture, marker)), "stage-marker");
    const doubled = {
      ...capture,
      resources: [
        ...capture.resources,
        { ...capture.resources.find(marker)!, urn: "urn:pulumi:dev::x::aws:ssm/parameter:Parameter::again" },
      ],
    };
    flags(await checkCapture(doubled), "stage-marker");
  });

  it("follows the marker: a stage-3 stack without readers passes, the same graph marked stage 4 fails", async () => {
    const below = await plan({ stack: "dev", stage: 3 });
    assert.equal(below.resources.filter(is("aws:rds/clusterInstance:ClusterInstance")).length, 1, "stage 3 has a writer only");
    passes(await checkCapture(below), "aurora-reader-in-another-az");
    const relabelled = mutated(
      below,
      (r) => r.inputs.tags?.["scaling:role"] === "stage-marker",
      (r) => (r.inputs.value = String(HA_STAGE)),
    );
    flags(await checkCapture(relabelled), "aurora-reader-in-another-az", "aws:rds/cluster:Cluster");
  });

  it("follows the stage table at every marker value: one graph, relabelled, is flagged exactly where the table asks", async () => {
    // The stage-4 graph without a reader: one writer, no cache, one region, one NAT gateway.
    const capture = await plan({ stack: "dev", stage: HA_STAGE, set: ["database.readers=0"] });
    const marker = (r: ResourceRecord) => r.inputs.tags?.["scaling:role"] === "stage-marker";
    assert.equal(capture.resources.filter(marker).length, 1);
    assert.equal(capture.resources.filter(is("aws:rds/clusterInstance:ClusterInstance")).length, 1, "a writer, no reader");
    assert.equal(capture.resources.filter(is("aws:elasticache/replicationGroup:ReplicationGroup")).length, 0, "no cache");
    assert.equal(capture.resources.filter(is("aws:ec2/natGateway:NatGateway")).length, 1, "one NAT gateway");
    assert.equal(new Set(capture.resources.filter(is("aws:ec2/vpc:Vpc")).map((r) => r.region)).size, 1, "one region");
    assert.equal(capture.resources.filter(is("aws:autoscaling/policy:Policy")).length, 0, "no scaling policy");
    const seen = new Set<string>();
    for (const n of STAGE_NUMBERS) {
      const relabelled = mutated(capture, marker, (r) => (r.inputs.value = String(n)));
      const run = await checkCapture(relabelled);
      const { minimums, capabilities } = stageDefinition(n);
      const expected: Record<string, boolean> = {
        "aurora-reader-in-another-az": minimums.dbReaders > 0,
        "cache-multi-az-failover": capabilities.cache,
        "asg-alarm-driven-scaling": capabilities.alarmScaling,
        "nat-gateway-per-az": capabilities.nat === "perAz",
        "multi-region-global-data": capabilities.multiRegion && minimums.regions > 1,
      };
      for (const [policy, flagged] of Object.entries(expected)) {
        assert.equal(hits(run, policy).length > 0, flagged, `marker ${n}: ${policy} should ${flagged ? "" : "not "}flag`);
        seen.add(`${policy}=${flagged}`);
      }
    }
    // Each policy is seen both ways, so a hand-written stage threshold anywhere would show.
    for (const policy of ["aurora-reader-in-another-az", "cache-multi-az-failover", "asg-alarm-driven-scaling", "nat-gateway-per-az"])
      assert.ok(seen.has(`${policy}=true`) && seen.has(`${policy}=false`), policy);
  });

  it("raises the floor with minimumStage: prod's config makes a stage-3 stack fail the stage-4 HA rules", async () => {
    const stage3 = { stack: "dev", stage: 3 };
    const withoutFloor = await check(stage3);
    passes(withoutFloor, "aurora-reader-in-another-az");
    passes(withoutFloor, "asg-multi-az-elb-health");
    const withFloor = await check(stage3, prodConfig());
    flags(withFloor, "aurora-reader-in-another-az", "aws:rds/cluster:Cluster");
    flags(withFloor, "asg-multi-az-elb-health");
    flags(withFloor, "load-balancer-multi-az");
    flags(withFloor, "data-deletion-protection", "aws:rds/cluster:Cluster");
  });
});

describe("policy pack: every stage of dev and prod passes", () => {
  for (const stage of STAGE_NUMBERS) {
    it(`dev stack at stage ${stage} (${stageDefinition(stage).name}) has no mandatory violation`, async () => {
      cleanMandatory(await check(devAt(stage)));
    });
  }
  it("prod stack (with policies/config/prod.json) has no mandatory violation", async () => {
    cleanMandatory(await check({ stack: "prod" }, prodConfig()));
  });
});

describe("policy pack: degraded stacks fail with the right policy", () => {
  it(`stage ${HA_STAGE} with no reader fails aurora-reader-in-another-az`, async () => {
    const run = await check({ stack: "dev", stage: HA_STAGE, set: ["database.readers=0"] });
    flags(run, "aurora-reader-in-another-az", "aws:rds/cluster:Cluster");
    assert.deepEqual(mandatoryNames(run), ["aurora-reader-in-another-az"]);
  });

  it(`stage ${ALARM_STAGE} with compute.minSize=1 fails asg-multi-az-elb-health on the web ASG`, async () => {
    assert.ok(stageDefinition(ALARM_STAGE).minimums.webInstances > 1);
    const run = await check({ stack: "dev", stage: ALARM_STAGE, set: ["compute.minSize=1"] });
    flags(run, "asg-multi-az-elb-health", "web");
    assert.deepEqual(mandatoryNames(run), ["asg-multi-az-elb-health"]);
  });

  it(`stage ${NAT_STAGE} with network.azs=2 fails the AZ rules (ASGs and NAT per AZ)`, async () => {
    assert.ok(stageDefinition(NAT_STAGE).minimums.azs > 2);
    const run = await check({ stack: "dev", stage: NAT_STAGE, set: ["network.azs=2"] });
    flags(run, "asg-multi-az-elb-health", "aws:autoscaling/group:Group");
    flags(run, "nat-gateway-per-az");
    assert.ok(mandatoryNames(run).every((n) => ["asg-multi-az-elb-health", "nat-gateway-per-az", "load-balancer-multi-az"].includes(n)));
  });

  it(`stage ${MULTI_REGION_STAGE} with one region fails multi-region-global-data`, async () => {
    const capture = await plan({ stack: "dev", stage: MULTI_REGION_STAGE, set: devClassSet(MULTI_REGION_STAGE) });
    assert.equal(new Set(capture.resources.filter(is("aws:ec2/vpc:Vpc")).map((r) => r.region)).size, 1, "the dev stack has one region");
    const run = await checkCapture(capture);
    flags(run, "multi-region-global-data");
    assert.deepEqual(mandatoryNames(run), ["multi-region-global-data"]);
  });

  it("the CLI exits 1 naming the policy for a degraded stack, 0 for prod, 2 for bad stack or pack config", async () => {
    const degraded = await runPolicyCli(["--stage", String(HA_STAGE), "--set", "database.readers=0"], viewLoader);
    assert.equal(degraded.code, 1);
    // URNs read as name (type); each of the three views reports the violation, and they agree.
    const lines = degraded.stdout.match(/^\[mandatory\] aurora-reader-in-another-az {2}us-east-1-db \(aws:rds\/cluster:Cluster\)$/gm) ?? [];
    assert.equal(lines.length, 3, degraded.stdout);
    assert.doesNotMatch(degraded.stdout, /urn:pulumi:/);
    for (const view of ["inputs", "preview", "deployed"]) assert.match(degraded.stdout, new RegExp(`^== view ${view} `, "m"));
    assert.equal((degraded.stdout.match(/^1 mandatory violation/gm) ?? []).length, 3);
    assert.match(degraded.stdout, /the 3 views agree on every mandatory verdict/);
    const clean = await runPolicyCli(["--stack", "dev", "--stage", "3"], viewLoader);
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    const bad = await runPolicyCli(["--set", "compute.minSize=-1"], viewLoader);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /compute\.minSize/);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pack-")), "c.json");
    fs.writeFileSync(tmp, JSON.stringify({ "data-backups": { minBackupRetentionDays: "a week" } }));
    const badPack = await runPolicyCli(["--config", tmp], viewLoader);
    assert.equal(badPack.code, 2);
    assert.match(badPack.stderr, /data-backups\.minBackupRetentionDays/);
  });

  it("the CLI's --view picks one view and exits as the others do; a bad --view names the flag, the value and the choices", async () => {
    const degradedArgs = ["--stage", String(HA_STAGE), "--set", "database.readers=0"];
    for (const view of ["inputs", "preview", "deployed"]) {
      const out = await runPolicyCli([...degradedArgs, "--view", view], viewLoader);
      assert.equal(out.code, 1, `${view}: ${out.stdout}${out.stderr}`);
      assert.match(out.stdout.split("\n")[0], new RegExp(`view ${view} \\(`));
      assert.doesNotMatch(out.stdout, /== view /);
      assert.equal((await runPolicyCli(["--stack", "dev", "--stage", "3", "--view", view], viewLoader)).code, 0, view);
    }
    // The preview view really runs on a preview: iam-least-privilege can't read ARN-built documents there.
    const preview = await runPolicyCli(["--stack", "dev", "--stage", String(NAT_STAGE), "--view", "preview"], viewLoader);
    assert.match(preview.stdout, /\[advisory\] iam-least-privilege .*\n\s+can't run policy 'iam-least-privilege' during preview/);
    const inputs = await runPolicyCli(["--stack", "dev", "--stage", String(NAT_STAGE), "--view", "inputs"], viewLoader);
    assert.doesNotMatch(inputs.stdout, /during preview/);
    const bad = await runPolicyCli(["--view", "live"], viewLoader);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--view takes one of inputs, preview, deployed, got "live"/);
  });

  it("the CLI's --json prints one object: each view's violations (full and short URN), and where the views differ", async () => {
    const out = await runPolicyCli(["--stage", String(HA_STAGE), "--set", "database.readers=0", "--json"], viewLoader);
    assert.equal(out.code, 1);
    const json = JSON.parse(out.stdout);
    assert.deepEqual(Object.keys(json.views), ["inputs", "preview", "deployed"]);
    assert.equal(json.stack, "dev");
    for (const view of Object.values(json.views) as any[]) {
      const v = view.violations.find((x: any) => x.enforcementLevel === "mandatory");
      assert.equal(v.policyName, "aurora-reader-in-another-az");
      assert.match(v.urn, /^urn:pulumi:dev::.*aws:rds\/cluster:Cluster::us-east-1-db$/);
      assert.equal(v.resource, "us-east-1-db (aws:rds/cluster:Cluster)");
      assert.equal(view.mandatory, 1);
    }
    assert.deepEqual(json.differences, []);
    const one = JSON.parse((await runPolicyCli(["--stack", "dev", "--stage", "3", "--json", "--view", "deployed"], viewLoader)).stdout);
    assert.deepEqual(Object.keys(one.views), ["deployed"]);
  });
});

// ------------------------------------------------------------------------------------------------
// One flag case and one pass case per policy, from real graphs.

describe("policy pack: HA policies", () => {
  it("aurora-reader-in-another-az: flags readers placed in the writer's AZ", async () => {
    const capture = await plan({ stack: "dev", stage: HA_STAGE });
    passes(await checkCapture(capture), "aurora-reader-in-another-az");
    const writerAz = capture.resources.find((r) => r.type === "aws:rds/clusterInstance:ClusterInstance" && r.name.endsWith("-0"))!.inputs
      .availabilityZone;
    const sameAz = mutated(capture, is("aws:rds/clusterInstance:ClusterInstance"), (r) => (r.inputs.availabilityZone = writerAz));
    flags(await checkCapture(sameAz), "aurora-reader-in-another-az");
  });

  it(`asg-multi-az-elb-health: flags EC2 health checks and an ASG in fewer than minimums.azs subnets`, async () => {
    const capture = await plan({ stack: "dev", stage: LB_STAGE });
    passes(await checkCapture(capture), "asg-multi-az-elb-health");
    const ec2 = mutated(capture, is("aws:autoscaling/group:Group"), (r) => (r.inputs.healthCheckType = "EC2"));
    flags(await checkCapture(ec2), "asg-multi-az-elb-health", "aws:autoscaling/group:Group");
    const oneSubnet = mutated(
      capture,
      is("aws:autoscaling/group:Group"),
      (r) => (r.inputs.vpcZoneIdentifiers = r.inputs.vpcZoneIdentifiers.slice(0, 1)),
    );
    flags(await checkCapture(oneSubnet), "asg-multi-az-elb-health", "aws:autoscaling/group:Group");
  });

  it("load-balancer-multi-az: flags a load balancer in one subnet", async () => {
    const capture = await plan({ stack: "dev", stage: LB_STAGE });
    passes(await checkCapture(capture), "load-balancer-multi-az");
    const one = mutated(capture, is("aws:lb/loadBalancer:LoadBalancer"), (r) => (r.inputs.subnets = r.inputs.subnets.slice(0, 1)));
    flags(await checkCapture(one), "load-balancer-multi-az", "aws:lb/loadBalancer:LoadBalancer");
  });

  it("target-group-health-checks: flags a target group with health checks off", async () => {
    const capture = await plan({ stack: "dev", stage: LB_STAGE });
    passes(await checkCapture(capture), "target-group-health-checks");
    const off = mutated(
      capture,
      is("aws:lb/targetGroup:TargetGroup"),
      (r) => (r.inputs.healthCheck = { ...r.inputs.healthCheck, enabled: false }),
    );
    flags(await checkCapture(off), "target-group-health-checks", "aws:lb/targetGroup:TargetGroup");
  });

  it("cache-multi-az-failover: flags a replication group without multi-AZ, failover or enough nodes", async () => {
    const capture = await plan({ stack: "dev", stage: CACHE_STAGE });
    passes(await checkCapture(capture), "cache-multi-az-failover");
    for (const edit of [
      { multiAzEnabled: false },
      { multiAzEnabled: undefined }, // AWS's default is off

      { automaticFailoverEnabled: false },
      { numCacheClusters: stageDefinition(CACHE_STAGE).minimums.cacheNodes - 1 },
    ]) {
      const bad = mutated(capture, is("aws:elasticache/replicationGroup:ReplicationGroup"), (r) => Object.assign(r.inputs, edit));
      flags(await checkCapture(bad), "cache-multi-az-failover", "aws:elasticache/replicationGroup:ReplicationGroup");
    }
    flags(await checkCapture(without(capture, is("aws:elasticache/replicationGroup:ReplicationGroup"))), "cache-multi-az-failover");
  });

  it("asg-alarm-driven-scaling: flags step policies that no alarm fires", async () => {
    const capture = await plan({ stack: "dev", stage: ALARM_STAGE });
    passes(await checkCapture(capture), "asg-alarm-driven-scaling");
    const noScalingAlarms = without(
      capture,
      (r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.dependencies.some((d) => d.includes("aws:autoscaling/policy:Policy")),
    );
    flags(await checkCapture(noScalingAlarms), "asg-alarm-driven-scaling", "aws:autoscaling/policy:Policy");
    const noActions = mutated(capture, is("aws:cloudwatch/metricAlarm:MetricAlarm", "cpu-high"), (r) => (r.inputs.alarmActions = []));
    flags(await checkCapture(noActions), "asg-alarm-driven-scaling", "scale-out");
    const noPolicies = without(capture, is("aws:autoscaling/policy:Policy"));
    flags(await checkCapture(noPolicies), "asg-alarm-driven-scaling", "aws:autoscaling/group:Group");
  });

  it("nat-gateway-per-az: flags a private subnet routed through another AZ's NAT gateway", async () => {
    const capture = await plan({ stack: "dev", stage: NAT_STAGE });
    passes(await checkCapture(capture), "nat-gateway-per-az");
    const nat0 = named(capture, "aws:ec2/natGateway:NatGateway", "us-east-1-nat-0");
    const toNat0 = capture.resources.find((r) => r.type === "aws:ec2/route:Route" && r.dependencies.includes(nat0.urn))!;
    const otherAz = (r: ResourceRecord) =>
      r.type === "aws:ec2/route:Route" &&
      r.dependencies.some((d) => d.includes("aws:ec2/natGateway:NatGateway")) &&
      !r.dependencies.includes(nat0.urn);
    const moved = capture.resources.filter(otherAz).length;
    assert.equal(moved, stageDefinition(NAT_STAGE).minimums.azs - 1, "one route per other AZ");
    const crossAz = mutated(capture, otherAz, (r) => {
      r.dependencies = r.dependencies.map((d) => (d.includes("aws:ec2/natGateway:NatGateway") ? nat0.urn : d));
      r.inputs.natGatewayId = toNat0.inputs.natGatewayId;
    });
    const run = await checkCapture(crossAz);
    flags(run, "nat-gateway-per-az", "aws:ec2/route:Route");
    assert.equal(hits(run, "nat-gateway-per-az").filter((v) => v.message.includes(`through ${nat0.name}`)).length, moved);
  });

  it("multi-region-global-data: flags a secondary region whose VPC lacks the regional stack, naming the region", async () => {
    const capture = await plan({ stack: "prod" });
    passes(await checkCapture(capture, prodConfig()), "multi-region-global-data");
    const regions = [...new Set(capture.resources.filter(is("aws:ec2/vpc:Vpc")).map((r) => r.region!))];
    assert.ok(
      regions.length >= stageDefinition(MULTI_REGION_STAGE).minimums.regions && regions.length >= 2,
      "prod runs in several regions",
    );
    const secondary = regions.find((r) => r !== capture.resources.find(is("aws:ec2/vpc:Vpc"))!.region)!;
    const strip = (types: string[]) => {
      const matches = (r: ResourceRecord) => r.region === secondary && types.includes(r.type);
      for (const t of types)
        assert.ok(
          capture.resources.some((r) => r.region === secondary && r.type === t),
          `no ${t} in ${secondary}`,
        );
      return without(capture, matches);
    };
    const flagsRegion = async (stripped: Capture, missing: RegExp) => {
      const run = await checkCapture(stripped, prodConfig());
      flags(run, "multi-region-global-data", `${secondary}-vpc`);
      assert.ok(
        hits(run, "multi-region-global-data").some((v) => v.message.includes(`region ${secondary}`) && missing.test(v.message)),
        JSON.stringify(hits(run, "multi-region-global-data").map((v) => v.message)),
      );
    };
    // The audit's case: the web tier, cache and scaling of the secondary region gone, its VPC left.
    await flagsRegion(
      strip([
        "aws:autoscaling/group:Group",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:lb/listener:Listener",
        "aws:lb/listenerRule:ListenerRule",
        "aws:lb/targetGroup:TargetGroup",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:autoscaling/policy:Policy",
        "aws:cloudwatch/metricAlarm:MetricAlarm",
      ]),
      /internet-facing load balancer.*Auto Scaling group.*replication group/,
    );
    await flagsRegion(strip(["aws:elasticache/replicationGroup:ReplicationGroup"]), /no ElastiCache replication group$/);
    await flagsRegion(strip(["aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"]), /no Aurora cluster$/);
    // Only an internal load balancer left in the region: no internet-facing one.
    const internalOnly = strip(["aws:lb/loadBalancer:LoadBalancer"]);
    const ilb = capture.resources.find((r) => r.region === secondary && r.type === "aws:lb/loadBalancer:LoadBalancer" && r.inputs.internal);
    assert.ok(ilb, "prod has an internal load balancer for the services");
    await flagsRegion({ ...internalOnly, resources: [...internalOnly.resources, ilb] }, /no internet-facing load balancer$/);
  });

  it("asg-multi-az-elb-health: flags a web ASG with ELB health checks in no target group, or in one no listener uses", async () => {
    const capture = await plan({ stack: "dev", stage: SERVICES_STAGE });
    passes(await checkCapture(capture), "asg-multi-az-elb-health");
    const webAsg = is("aws:autoscaling/group:Group", "web-asg");
    assert.equal(capture.resources.find(webAsg)!.inputs.healthCheckType, "ELB");
    const detached = mutated(capture, webAsg, (r) => {
      assert.ok(r.inputs.targetGroupArns.length > 0);
      r.inputs.targetGroupArns = [];
    });
    flags(await checkCapture(detached), "asg-multi-az-elb-health", "web-asg");
    assert.match(hits(await checkCapture(detached), "asg-multi-az-elb-health")[0].message, /in no target group/);
    // An aws.autoscaling.Attachment to the same target group is as good as targetGroupArns.
    const asg = capture.resources.find(webAsg)!;
    const tg = capture.resources.find(is("aws:lb/targetGroup:TargetGroup", "web-tg"))!;
    const attachment: ResourceRecord = {
      ...structuredClone(asg),
      type: "aws:autoscaling/attachment:Attachment",
      name: "web-attachment",
      urn: asg.urn.replace("aws:autoscaling/group:Group::", "aws:autoscaling/attachment:Attachment::") + "-attachment",
      dependencies: [asg.urn, tg.urn],
      inputs: { autoscalingGroupName: "web", lbTargetGroupArn: asg.inputs.targetGroupArns[0] },
    };
    passes(await checkCapture({ ...detached, resources: [...detached.resources, attachment] }), "asg-multi-az-elb-health");
    // The target group is still there, but the listener no longer forwards to it.
    const webTgArn = asg.inputs.targetGroupArns[0];
    const unused = mutated(
      capture,
      (r) => r.type === "aws:lb/listener:Listener" && r.inputs.defaultActions?.some((a: any) => a.targetGroupArn === webTgArn),
      (r) => {
        r.inputs.defaultActions = [{ type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "503" } }];
        r.dependencies = r.dependencies.filter((d) => d !== tg.urn);
      },
    );
    assert.ok(!unused.resources.some((r) => JSON.stringify(r.inputs).includes(webTgArn) && r.type.startsWith("aws:lb/listener")));
    const run = await checkCapture(unused);
    flags(run, "asg-multi-az-elb-health", "web-asg");
    assert.ok(hits(run, "asg-multi-az-elb-health").some((v) => /used by no listener or listener rule/.test(v.message)));
  });

  it("asg-alarm-driven-scaling: flags a web ASG that alarms only scale out, or only scale in", async () => {
    const capture = await plan({ stack: "dev", stage: ALARM_STAGE });
    passes(await checkCapture(capture), "asg-alarm-driven-scaling");
    const drop = (policy: string, alarm: string) => {
      const match = (r: ResourceRecord) =>
        is("aws:autoscaling/policy:Policy", policy)(r) || is("aws:cloudwatch/metricAlarm:MetricAlarm", alarm)(r);
      assert.equal(capture.resources.filter(match).length, 2, `one ${policy} policy and one ${alarm} alarm`);
      return without(capture, match);
    };
    const noScaleIn = await checkCapture(drop("web-scale-in", "web-cpu-low"));
    flags(noScaleIn, "asg-alarm-driven-scaling", "web-asg");
    assert.ok(hits(noScaleIn, "asg-alarm-driven-scaling").some((v) => /scales it in$/.test(v.message)));
    const noScaleOut = await checkCapture(drop("web-scale-out", "web-cpu-high"));
    flags(noScaleOut, "asg-alarm-driven-scaling", "web-asg");
    assert.ok(hits(noScaleOut, "asg-alarm-driven-scaling").some((v) => /scales it out$/.test(v.message)));
    // Direction read from the alarm when a policy has no adjustment sign: a scale-in policy fired by CPU-high is still "out".
    const flipped = mutated(capture, is("aws:autoscaling/policy:Policy", "web-scale-in"), (r) => {
      r.inputs.stepAdjustments = r.inputs.stepAdjustments.map((a: any) => ({ ...a, scalingAdjustment: 1 }));
    });
    flags(await checkCapture(flipped), "asg-alarm-driven-scaling", "web-asg");
  });

  it("nat-gateway-per-az: reads inline routes of a route table, and flags an app subnet with no default route to a NAT", async () => {
    const capture = await plan({ stack: "dev", stage: NAT_STAGE });
    passes(await checkCapture(capture), "nat-gateway-per-az");
    const natRoute = (r: ResourceRecord) =>
      r.type === "aws:ec2/route:Route" && r.dependencies.some((d) => d.includes("aws:ec2/natGateway:NatGateway"));
    const routes = capture.resources.filter(natRoute);
    assert.equal(routes.length, stageDefinition(NAT_STAGE).minimums.azs, "one NAT route per AZ");
    const tableOf = (route: ResourceRecord) => route.dependencies.find((d) => d.includes("aws:ec2/routeTable:RouteTable"))!;
    const natOf = (route: ResourceRecord) => route.dependencies.find((d) => d.includes("aws:ec2/natGateway:NatGateway"))!;
    const appTable = (r: ResourceRecord) => r.type === "aws:ec2/routeTable:RouteTable" && routes.some((route) => tableOf(route) === r.urn);
    const inline = (pick: (table: ResourceRecord, own: ResourceRecord) => ResourceRecord) =>
      mutated(without(capture, natRoute), appTable, (t) => {
        const via = pick(
          t,
          routes.find((route) => tableOf(route) === t.urn)!,
        );
        t.inputs.routes = [{ cidrBlock: "0.0.0.0/0", natGatewayId: via.inputs.natGatewayId }];
        t.dependencies = [...t.dependencies, natOf(via)];
      });
    // Each table's default route inline, to its own AZ's gateway: passes.
    passes(await checkCapture(inline((_t, own) => own)), "nat-gateway-per-az");
    // Every table's inline default route to the first AZ's gateway: the other AZs are flagged.
    const first = routes[0];
    const crossAz = await checkCapture(inline(() => first));
    flags(crossAz, "nat-gateway-per-az", "aws:ec2/routeTable:RouteTable");
    const firstNat = capture.resources.find((r) => r.urn === natOf(first))!;
    assert.equal(
      hits(crossAz, "nat-gateway-per-az").filter((v) => v.message.includes(`through ${firstNat.name}`)).length,
      routes.length - 1,
      JSON.stringify(hits(crossAz, "nat-gateway-per-az").map((v) => v.message)),
    );
    // No NAT route at all: every app subnet is cut off.
    const noRoute = await checkCapture(without(capture, natRoute));
    flags(noRoute, "nat-gateway-per-az", "aws:ec2/subnet:Subnet");
    assert.equal(
      hits(noRoute, "nat-gateway-per-az").filter((v) => /no default route/.test(v.message)).length,
      capture.resources.filter((r) => r.type === "aws:ec2/subnet:Subnet" && r.inputs.tags?.["scaling:tier"] === "app").length,
    );
  });

  it("multi-region-global-data: flags a cluster outside the global database and a table without replicas", async () => {
    const capture = await plan(devAt(MULTI_REGION_STAGE));
    passes(await checkCapture(capture), "multi-region-global-data");
    const noReplicas = mutated(capture, is("aws:dynamodb/table:Table"), (r) => (r.inputs.replicas = []));
    flags(await checkCapture(noReplicas), "multi-region-global-data", "aws:dynamodb/table:Table");
    const noGlobal = without(capture, is("aws:rds/globalCluster:GlobalCluster"));
    flags(await checkCapture(noGlobal), "multi-region-global-data");
    // A secondary-region cluster left out of its global database.
    const secondary = (r: ResourceRecord) => r.type === "aws:rds/cluster:Cluster" && r.inputs.globalClusterIdentifier !== undefined;
    const detached = mutated(capture, secondary, (r) => {
      delete r.inputs.globalClusterIdentifier;
      r.dependencies = r.dependencies.filter((d) => !d.includes("aws:rds/globalCluster:GlobalCluster"));
      r.inputs.manageMasterUserPassword = true;
    });
    flags(await checkCapture(detached), "multi-region-global-data", "aws:rds/cluster:Cluster");
    // In the real stage-7 graph, an AWS-managed password on a global-database member is flagged.
    const managedInGlobal = mutated(capture, secondary, (r) => (r.inputs.manageMasterUserPassword = true));
    flags(await checkCapture(managedInGlobal), "db-managed-credentials", "aws:rds/cluster:Cluster");
    passes(await checkCapture(capture), "db-managed-credentials");
  });
});

describe("policy pack: security baseline", () => {
  it("encryption-at-rest: flags an unencrypted Aurora cluster, EBS volume, root volume and launch template", async () => {
    const host = await plan({ stack: "dev", stage: 2 });
    passes(await checkCapture(host), "encryption-at-rest");
    flags(
      await checkCapture(mutated(host, is("aws:ebs/volume:Volume"), (r) => (r.inputs.encrypted = false))),
      "encryption-at-rest",
      "aws:ebs/volume:Volume",
    );
    flags(
      await checkCapture(mutated(host, is("aws:ec2/instance:Instance"), (r) => (r.inputs.rootBlockDevice.encrypted = false))),
      "encryption-at-rest",
      "aws:ec2/instance:Instance",
    );
    const db = await plan({ stack: "dev", stage: 3 });
    flags(
      await checkCapture(mutated(db, is("aws:rds/cluster:Cluster"), (r) => delete r.inputs.storageEncrypted)),
      "encryption-at-rest",
      "aws:rds/cluster:Cluster",
    );
    const web = await plan({ stack: "dev", stage: LB_STAGE });
    passes(await checkCapture(web), "encryption-at-rest");
    const lt = mutated(web, is("aws:ec2/launchTemplate:LaunchTemplate"), (r) => (r.inputs.blockDeviceMappings[0].ebs.encrypted = "false"));
    flags(await checkCapture(lt), "encryption-at-rest", "aws:ec2/launchTemplate:LaunchTemplate");
  });

  it("encryption-at-rest and encryption-in-transit: flag an unencrypted cache and DynamoDB table", async () => {
    const capture = await plan({ stack: "dev", stage: NAT_STAGE });
    passes(await checkCapture(capture), "encryption-in-transit");
    const cache = is("aws:elasticache/replicationGroup:ReplicationGroup");
    flags(await checkCapture(mutated(capture, cache, (r) => (r.inputs.transitEncryptionEnabled = false))), "encryption-in-transit");
    flags(
      await checkCapture(mutated(capture, cache, (r) => (r.inputs.atRestEncryptionEnabled = false))),
      "encryption-at-rest",
      "ReplicationGroup",
    );
    flags(
      await checkCapture(mutated(capture, is("aws:dynamodb/table:Table"), (r) => delete r.inputs.serverSideEncryption)),
      "encryption-at-rest",
      "Table",
    );
  });

  it("encryption-in-transit: flags a CloudFront behaviour that allows HTTP", async () => {
    const capture = await plan({ stack: "dev", stage: CACHE_STAGE });
    const cdn = is("aws:cloudfront/distribution:Distribution");
    const allowAll = mutated(capture, cdn, (r) => (r.inputs.defaultCacheBehavior.viewerProtocolPolicy = "allow-all"));
    flags(await checkCapture(allowAll), "encryption-in-transit", "Distribution");
  });

  it("s3-encryption and s3-public-access-blocked: flag a bucket without SSE or with public access allowed", async () => {
    const capture = await plan({ stack: "dev", stage: CACHE_STAGE });
    passes(await checkCapture(capture), "s3-encryption");
    passes(await checkCapture(capture), "s3-public-access-blocked");
    flags(
      await checkCapture(without(capture, (r) => r.type.startsWith("aws:s3/bucketServerSideEncryptionConfiguration"))),
      "s3-encryption",
      "aws:s3/bucket",
    );
    flags(
      await checkCapture(without(capture, is("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"))),
      "s3-public-access-blocked",
      "aws:s3/bucket",
    );
    const open = mutated(
      capture,
      is("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"),
      (r) => (r.inputs.restrictPublicBuckets = false),
    );
    flags(await checkCapture(open), "s3-public-access-blocked", "BucketPublicAccessBlock");
  });

  it("alb-https-redirect: with a certificate, flags an HTTP listener that forwards instead of redirecting", async () => {
    const capture = await plan({ stack: "prod" });
    assert.ok(
      capture.resources.some((r) => r.type === "aws:lb/listener:Listener" && r.inputs.protocol === "HTTPS"),
      "prod has a domain, so HTTPS",
    );
    passes(await checkCapture(capture), "alb-https-redirect");
    const forwards = mutated(
      capture,
      (r) => r.type === "aws:lb/listener:Listener" && r.inputs.protocol === "HTTP" && r.inputs.defaultActions?.[0]?.type === "redirect",
      (r) => (r.inputs.defaultActions = [{ type: "forward", targetGroupArn: "arn:tg" }]),
    );
    flags(await checkCapture(forwards), "alb-https-redirect", "aws:lb/listener:Listener");
  });

  it("db-not-publicly-accessible: flags a public DB instance", async () => {
    const capture = await plan({ stack: "dev", stage: 3 });
    passes(await checkCapture(capture), "db-not-publicly-accessible");
    const pub = mutated(capture, is("aws:rds/clusterInstance:ClusterInstance"), (r) => (r.inputs.publiclyAccessible = true));
    flags(await checkCapture(pub), "db-not-publicly-accessible", "ClusterInstance");
  });

  it("imdsv2-required: flags optional tokens on the host and on a launch template", async () => {
    const host = await plan({ stack: "dev", stage: 2 });
    passes(await checkCapture(host), "imdsv2-required");
    flags(
      await checkCapture(mutated(host, is("aws:ec2/instance:Instance"), (r) => (r.inputs.metadataOptions.httpTokens = "optional"))),
      "imdsv2-required",
      "Instance",
    );
    const web = await plan({ stack: "dev", stage: LB_STAGE });
    passes(await checkCapture(web), "imdsv2-required");
    flags(
      await checkCapture(mutated(web, is("aws:ec2/launchTemplate:LaunchTemplate"), (r) => delete r.inputs.metadataOptions)),
      "imdsv2-required",
      "LaunchTemplate",
    );
  });

  it("no-admin-ports-from-internet: passes public 80/443, flags SSH or PostgreSQL from 0.0.0.0/0 or ::/0 in any rule form", async () => {
    const capture = await plan({ stack: "dev", stage: 3 });
    passes(await checkCapture(capture), "no-admin-ports-from-internet");
    const ssh = mutated(capture, is("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "80-v6"), (r) =>
      Object.assign(r.inputs, { fromPort: 22, toPort: 22 }),
    );
    flags(await checkCapture(ssh), "no-admin-ports-from-internet", "80-v6");
    const db = mutated(capture, is("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "db-from-web"), (r) => {
      delete r.inputs.referencedSecurityGroupId;
      r.inputs.cidrIpv4 = "0.0.0.0/0";
    });
    flags(await checkCapture(db), "no-admin-ports-from-internet", "db-from-web");
    const inline = mutated(capture, is("aws:ec2/securityGroup:SecurityGroup", "db-sg"), (r) => {
      r.inputs.ingress = [{ protocol: "tcp", fromPort: 5000, toPort: 6000, cidrBlocks: ["0.0.0.0/0"] }];
    });
    flags(await checkCapture(inline), "no-admin-ports-from-internet", "db-sg");
    const sgRule = mutated(capture, is("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "80-v4"), (r) => {
      r.type = "aws:ec2/securityGroupRule:SecurityGroupRule";
      r.inputs = { type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"], securityGroupId: "sg-1" };
    });
    flags(await checkCapture(sgRule), "no-admin-ports-from-internet", "80-v4");
  });
});

describe("policy pack: credentials and IAM", () => {
  it("db-managed-credentials: flags a plaintext master password, and an AWS-managed one in a global database", async () => {
    const capture = await plan({ stack: "dev", stage: 3 });
    passes(await checkCapture(capture), "db-managed-credentials");
    const cluster = is("aws:rds/cluster:Cluster");
    const plaintext = mutated(capture, cluster, (r) => {
      delete r.inputs.manageMasterUserPassword;
      r.inputs.masterPassword = "hunter2hunter2";
    });
    flags(await checkCapture(plaintext), "db-managed-credentials", "aws:rds/cluster:Cluster");
    const unmanaged = mutated(capture, cluster, (r) => (r.inputs.manageMasterUserPassword = false));
    flags(await checkCapture(unmanaged), "db-managed-credentials", "aws:rds/cluster:Cluster");
    const source = capture.resources.find(cluster)!;
    const global: ResourceRecord = {
      ...structuredClone(source),
      type: "aws:rds/globalCluster:GlobalCluster",
      urn: source.urn.replace("aws:rds/cluster:Cluster::", "aws:rds/globalCluster:GlobalCluster::"),
      dependencies: [source.urn],
      inputs: { globalClusterIdentifier: "g", sourceDbClusterIdentifier: "arn:cluster" },
    };
    const joined = { ...capture, resources: [...capture.resources, global] };
    flags(await checkCapture(joined), "db-managed-credentials", "aws:rds/cluster:Cluster");
  });

  it("iam-least-privilege: passes the app's scoped grants, flags wildcards and broad managed policies", async () => {
    const capture = await plan({ stack: "dev", stage: NAT_STAGE });
    passes(await checkCapture(capture), "iam-least-privilege");
    const policy = is("aws:iam/rolePolicy:RolePolicy", "read-config");
    const star = mutated(
      capture,
      policy,
      (r) => (r.inputs.policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] })),
    );
    flags(await checkCapture(star), "iam-least-privilege", "read-config");
    const serviceWide = mutated(
      capture,
      policy,
      (r) => (r.inputs.policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["ssm:*"], Resource: "*" }] })),
    );
    flags(await checkCapture(serviceWide), "iam-least-privilege", "read-config");
    const admin = mutated(
      capture,
      is("aws:iam/rolePolicyAttachment:RolePolicyAttachment"),
      (r) => (r.inputs.policyArn = "arn:aws:iam::aws:policy/AdministratorAccess"),
    );
    flags(await checkCapture(admin), "iam-least-privilege", "RolePolicyAttachment");
  });
});

describe("policy pack: data protection", () => {
  const dbCluster = is("aws:rds/cluster:Cluster");

  it(`applies from stage ${PROTECT_STAGE} or in production, not before`, async () => {
    const dev = await plan({ stack: "dev", stage: BEFORE_PROTECT });
    const unprotected = mutated(dev, dbCluster, (r) =>
      Object.assign(r.inputs, { deletionProtection: false, skipFinalSnapshot: true, backupRetentionPeriod: 1 }),
    );
    const run = await checkCapture(unprotected);
    for (const p of ["data-deletion-protection", "data-backups", "data-final-snapshot", "stateful-protect-retain"]) passes(run, p);
    const production = await plan({ stack: "dev", stage: BEFORE_PROTECT, set: ["production=true"] });
    cleanMandatory(await checkCapture(production));
    const prodUnprotected = mutated(production, dbCluster, (r) => (r.inputs.deletionProtection = false));
    flags(await checkCapture(prodUnprotected), "data-deletion-protection", "aws:rds/cluster:Cluster");
  });

  it("data-deletion-protection, data-backups, data-final-snapshot: flag a stage-4 cluster without them", async () => {
    const capture = await plan({ stack: "dev", stage: PROTECT_STAGE });
    const run = await checkCapture(capture);
    for (const p of ["data-deletion-protection", "data-backups", "data-final-snapshot", "stateful-protect-retain"]) passes(run, p);
    flags(
      await checkCapture(mutated(capture, dbCluster, (r) => (r.inputs.deletionProtection = false))),
      "data-deletion-protection",
      "Cluster",
    );
    flags(
      await checkCapture(mutated(capture, dbCluster, (r) => (r.inputs.backupRetentionPeriod = PROTECTED_BACKUP_RETENTION_DAYS - 1))),
      "data-backups",
      "Cluster",
    );
    flags(await checkCapture(mutated(capture, dbCluster, (r) => (r.inputs.skipFinalSnapshot = true))), "data-final-snapshot", "Cluster");
    // A stricter pack config tunes the threshold.
    flags(
      await checkCapture(capture, { "data-backups": { minBackupRetentionDays: PROTECTED_BACKUP_RETENTION_DAYS + 7 } }),
      "data-backups",
      "Cluster",
    );
  });

  it("data-backups and data-deletion-protection: flag a sessions table without PITR or deletion protection", async () => {
    const capture = await plan({ stack: "dev", stage: NAT_STAGE });
    const table = is("aws:dynamodb/table:Table");
    flags(await checkCapture(mutated(capture, table, (r) => (r.inputs.pointInTimeRecovery = { enabled: false }))), "data-backups", "Table");
    flags(
      await checkCapture(mutated(capture, table, (r) => (r.inputs.deletionProtectionEnabled = false))),
      "data-deletion-protection",
      "Table",
    );
  });

  it("stateful-protect-retain: flags stateful resources without protect", async () => {
    const capture = await plan({ stack: "dev", stage: PROTECT_STAGE });
    const stateful = capture.resources.filter((r) => STATEFUL_TYPES.includes(r.type));
    assert.ok(stateful.length > 0);
    passes(await checkCapture(capture), "stateful-protect-retain");
    flags(await checkCapture(mutated(capture, dbCluster, (r) => (r.protect = false))), "stateful-protect-retain", "Cluster");
    flags(await checkCapture(mutated(capture, is("aws:kms/key:Key"), (r) => (r.protect = false))), "stateful-protect-retain", "Key");
  });

  // The engine never shows a policy retainOnDelete (tools/policyRunner.ts), so the pack can't
  // check it: this test does, on the program's own registrations, at every protected stage.
  for (const selection of [devAt(PROTECT_STAGE), devAt(STAGE_NUMBERS[STAGE_NUMBERS.length - 1]), { stack: "prod" }])
    it(`every stateful resource of ${JSON.stringify(selection)} is registered with retainOnDelete (which no policy can see)`, async () => {
      const stateful = (await plan(selection)).resources.filter((r) => STATEFUL_TYPES.includes(r.type));
      assert.ok(stateful.length > 0);
      assert.deepEqual(
        stateful.filter((r) => !r.retainOnDelete).map((r) => r.urn),
        [],
      );
      const seen: unknown[] = [];
      const probe = {
        name: "probe",
        description: "what the engine shows",
        enforcementLevel: "advisory" as const,
        validateStack: (a: any) => void seen.push(...a.resources.map((r: any) => r.opts)),
      };
      await runPolicies(await plan(selection), [probe]);
      assert.ok(
        seen.length > 0 && seen.every((o) => !("retainOnDelete" in (o as object))),
        "the runner shows retainOnDelete, which the engine never sends",
      );
    });
});

describe("policy pack: advisory hygiene", () => {
  it("ec2-detailed-monitoring: advisory only, flags monitoring off", async () => {
    const capture = await plan({ stack: "dev", stage: 2 });
    passes(await checkCapture(capture), "ec2-detailed-monitoring");
    const off = await checkCapture(mutated(capture, is("aws:ec2/instance:Instance"), (r) => (r.inputs.monitoring = false)));
    flags(off, "ec2-detailed-monitoring", "Instance", "advisory");
    assert.equal(mandatory(off).length, 0);
  });

  it("alb-access-logs: advisory only, passes with access logs on", async () => {
    const capture = await plan({ stack: "dev", stage: LB_STAGE });
    const on = mutated(capture, is("aws:lb/loadBalancer:LoadBalancer"), (r) => (r.inputs.accessLogs = { bucket: "logs", enabled: true }));
    passes(await checkCapture(on), "alb-access-logs");
    const off = mutated(capture, is("aws:lb/loadBalancer:LoadBalancer"), (r) => delete r.inputs.accessLogs);
    flags(await checkCapture(off), "alb-access-logs", "LoadBalancer", "advisory");
  });
});
