/**
 * SPEC invariant 1: promotion is non-destructive. Each step below is diffed with the same
 * comparePlans the plan tool's --compare uses, against the replace triggers of
 * data/replace-triggers.json. No step may remove or replace a stateful resource.
 */
import { strict as assert } from "node:assert";
import { comparePlans, loadReplaceTriggers, PlanDiff } from "../tools/compare";
import { StackSelection } from "../tools/stackConfig";
import { StageCapabilities, stageDefinition, StageNumber } from "../components/stages";
import { devClassSet, plan } from "./helpers";

const triggers = loadReplaceTriggers();

async function diff(from: StackSelection, to: StackSelection): Promise<PlanDiff> {
  return comparePlans(await plan(from), await plan(to), triggers);
}

function assertNothingStatefulLost(d: PlanDiff, step: string): void {
  const lost = d.statefulAtRisk.map((r) => `${r.change} ${r.urn}: ${r.reasons.join("; ")}`);
  assert.deepEqual(lost, [], `${step} loses data`);
}

function assertNothingReplaced(d: PlanDiff, step: string): void {
  const replaced = d.replaced.map((r) => `${r.urn}: ${r.reasons.join("; ")}`);
  assert.deepEqual(replaced, [], `${step} replaces running resources`);
}

/** What SPEC's stage table switches on at each step, one resource type each: 1→2 … 6→7. */
const SPEC_STEP_CREATES = [
  "aws:ec2/vpc:Vpc",
  "aws:rds/cluster:Cluster",
  "aws:lb/loadBalancer:LoadBalancer",
  "aws:elasticache/replicationGroup:ReplicationGroup",
  "aws:dynamodb/table:Table",
  "aws:rds/globalCluster:GlobalCluster",
];

describe("promotion is non-destructive", () => {
  for (const stack of ["dev", "prod"]) {
    // prod has retired the stage-2 volume; walking the journey, it is kept until that is decided.
    const set = stack === "prod" ? ["database.hostVolumeRetired=false"] : [];
    for (let stage = 1; stage <= 6; stage++) {
      it(`${stack}: stage ${stage} → ${stage + 1} removes or replaces no stateful resource`, async () => {
        const to = { stack, stage: stage + 1, set: stack === "dev" ? [...set, ...devClassSet(stage + 1)] : set };
        const d = await diff({ stack, stage, set }, to);
        // Not just "something changed" (the stage marker always does): the step creates what SPEC
        // says the stage switches on.
        const brings = SPEC_STEP_CREATES[stage - 1];
        assert.ok(
          d.added.some((r) => r.type === brings),
          `${stack} ${stage}→${stage + 1} creates a ${brings}`,
        );
        assertNothingStatefulLost(d, `${stack} ${stage}→${stage + 1}`);
      });
    }
  }

  for (let stage = 2; stage <= 6; stage++) {
    it(`dev: stage ${stage} → ${stage + 1} replaces nothing that keeps running`, async () => {
      const to = { stack: "dev", stage: stage + 1, set: devClassSet(stage + 1) };
      assertNothingReplaced(await diff({ stack: "dev", stage }, to), `dev ${stage}→${stage + 1}`);
    });
  }

  // The components a capability owns: switching the capability off removes them and nothing else.
  const OWNED_BY: Partial<Record<keyof StageCapabilities, string>> = {
    staticSite: "scaling:site:StaticSite",
    lambdaBackend: "scaling:backend:LambdaBackend",
    singleHost: "scaling:host:AppHost",
  };
  for (let stage = 1; stage <= 6; stage++) {
    it(`dev: stage ${stage} → ${stage + 1} removes only what the stage table switches off`, async () => {
      const [a, b] = [stageDefinition(stage as StageNumber).capabilities, stageDefinition((stage + 1) as StageNumber).capabilities];
      const off = (Object.keys(a) as (keyof StageCapabilities)[]).filter((k) => a[k] === true && b[k] === false);
      const d = await diff({ stack: "dev", stage }, { stack: "dev", stage: stage + 1, set: devClassSet(stage + 1) });
      const owners = off.map((k) => OWNED_BY[k]).filter((t): t is string => t !== undefined);
      for (const r of d.removed)
        assert.ok(
          owners.some((t) => r.urn.includes(`${t}$`) || r.type === t),
          `${r.urn} removed, but ${off.join(", ") || "nothing"} switched off`,
        );
      if (owners.length > 0) assert.ok(d.removed.length > 0, `${off.join(", ")} switched off: its resources go`);
    });
  }

  it("keeps the stage-2 data volume and the stage-3 cluster under the same URNs up to stage 7", async () => {
    const urnsOf = async (stage: number, type: string) =>
      (await plan({ stack: "dev", stage, set: devClassSet(stage) })).resources.filter((r) => r.type === type).map((r) => r.urn);
    const volume = await urnsOf(2, "aws:ebs/volume:Volume");
    const cluster = await urnsOf(3, "aws:rds/cluster:Cluster");
    assert.equal(volume.length, 1);
    assert.equal(cluster.length, 1);
    for (const stage of [3, 4, 5, 6, 7])
      assert.ok((await urnsOf(stage, "aws:ebs/volume:Volume")).includes(volume[0]), `volume at ${stage}`);
    for (const stage of [4, 5, 6, 7])
      assert.ok((await urnsOf(stage, "aws:rds/cluster:Cluster")).includes(cluster[0]), `cluster at ${stage}`);
  });
});

describe("growing a stage-7 stack is non-destructive", () => {
  const prod = { stack: "prod" };
  const steps: [string, string[]][] = [
    ["a region", ['regions=["us-east-1","eu-west-1","ap-southeast-2"]']],
    ["a shard", ['database.domains=[{"name":"users","shards":3},{"name":"orders","shards":2}]']],
    ["a domain", ['database.domains=[{"name":"users","shards":2},{"name":"orders","shards":2},{"name":"catalog","shards":1}]']],
    ["a reader", ["database.readers=3"]],
    ["a NoSQL table", ['nosqlTables=[{"name":"carts","hashKey":"userId","rangeKey":"itemId"},{"name":"likes","hashKey":"userId"}]']],
  ];
  for (const [what, set] of steps) {
    it(`adding ${what} removes or replaces nothing`, async () => {
      const d = await diff(prod, { ...prod, set });
      assert.ok(d.counts.added > 0, `adding ${what} adds resources`);
      assertNothingStatefulLost(d, `adding ${what}`);
      assertNothingReplaced(d, `adding ${what}`);
    });
  }

  it("making another region the primary moves and replaces nothing", async () => {
    const d = await diff(prod, { ...prod, set: ['regions=["eu-west-1","us-east-1"]'] });
    assertNothingStatefulLost(d, "failover");
    assertNothingReplaced(d, "failover");
    assert.equal(d.counts.added, 0, "nothing new is created");
    assert.equal(d.counts.removed, 0, "nothing is deleted");
  });

  it("flags retiring the stage-2 data volume, which is an explicit operation", async () => {
    const d = await diff({ stack: "dev", stage: 4 }, { stack: "dev", stage: 4, set: ["database.hostVolumeRetired=true"] });
    assert.deepEqual(
      d.statefulAtRisk.map((r) => [r.type, r.change]),
      [["aws:ebs/volume:Volume", "removed"]],
    );
    assert.ok(d.statefulAtRisk[0].retainOnDelete, "from stage 4 the volume is only forgotten by Pulumi, not deleted");
  });

  it("flags the removal of a region, which is an explicit operation", async () => {
    const d = await diff(prod, { ...prod, set: ['regions=["us-east-1"]'] });
    assert.ok(d.statefulAtRisk.some((r) => r.region === "eu-west-1" && r.change === "removed"));
  });
});
