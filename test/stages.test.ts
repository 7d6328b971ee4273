import { strict as assert } from "node:assert";
import { firstStageWith, STAGE_NUMBERS, StageCapabilities, STAGES, stageDefinition } from "../components/stages";

describe("stage table", () => {
  it("has one row per stage 1..7, in order", () => {
    assert.deepEqual(
      STAGES.map((s) => s.stage),
      [...STAGE_NUMBERS],
    );
  });

  // SPEC.md's stage table, capability by capability: [first stage on, first stage off again].
  const SPEC_SPANS: Record<string, [number, number?]> = {
    staticSite: [1, 2],
    lambdaBackend: [1, 2],
    network: [2],
    singleHost: [2, 4],
    hostDatabase: [2, 3],
    aurora: [3],
    loadBalancedWebTier: [4],
    cache: [5],
    cdn: [5],
    alarmScaling: [5],
    operationalAlarms: [5],
    cloudwatchAgent: [5],
    services: [6],
    dashboard: [6],
    federation: [7],
    multiRegion: [7],
  };

  it("switches each boolean capability on, and off, exactly at the stages SPEC.md gives it", () => {
    const booleanKeys = Object.keys(STAGES[0].capabilities).filter(
      (k) => typeof STAGES[0].capabilities[k as keyof StageCapabilities] === "boolean",
    );
    assert.deepEqual(booleanKeys.sort(), Object.keys(SPEC_SPANS).sort(), "every capability has a span");
    for (const [key, [on, off = 8]] of Object.entries(SPEC_SPANS)) {
      for (const s of STAGES) {
        const expected = s.stage >= on && s.stage < off;
        assert.equal(s.capabilities[key as keyof StageCapabilities], expected, `${key} at stage ${s.stage}`);
      }
    }
  });

  it("moves sessions off the host at 5 and into DynamoDB at 6; NAT from one gateway at 4 to one per AZ at 6", () => {
    assert.deepEqual(
      STAGES.map((s) => s.capabilities.sessions),
      ["host", "host", "host", "host", "redis", "dynamodb", "dynamodb"],
    );
    assert.deepEqual(
      STAGES.map((s) => s.capabilities.nat),
      ["none", "none", "none", "single", "single", "perAz", "perAz"],
    );
    assert.equal(
      firstStageWith((c) => c.aurora),
      3,
    );
  });

  it("drops what a stage replaces: stage-1 serverless at 2, the host database at 3, the single host at 4", () => {
    assert.equal(stageDefinition(2).capabilities.staticSite, false);
    assert.equal(stageDefinition(2).capabilities.lambdaBackend, false);
    assert.equal(stageDefinition(3).capabilities.hostDatabase, false);
    assert.equal(stageDefinition(4).capabilities.singleHost, false);
  });

  it("never lowers an HA minimum from one stage to the next", () => {
    for (let i = 1; i < STAGES.length; i++) {
      const [prev, next] = [STAGES[i - 1].minimums, STAGES[i].minimums];
      for (const key of ["azs", "webInstances", "dbReaders", "cacheNodes", "regions"] as const) {
        assert.ok(next[key] >= prev[key], `stage ${STAGES[i].stage} lowers ${key}`);
      }
      assert.ok(!prev.dataProtection || next.dataProtection, `stage ${STAGES[i].stage} drops data protection`);
    }
  });

  it("has defaults that meet the stage's own minimums", () => {
    for (const s of STAGES) {
      assert.ok(s.defaults.azs >= s.minimums.azs, `stage ${s.stage} azs`);
      assert.ok(s.defaults.database.readers >= s.minimums.dbReaders, `stage ${s.stage} readers`);
      if (s.capabilities.loadBalancedWebTier) assert.ok(s.defaults.compute.minSize >= s.minimums.webInstances, `stage ${s.stage} min size`);
      assert.ok(s.defaults.compute.minSize <= s.defaults.compute.maxSize, `stage ${s.stage} sizes`);
    }
  });

  it("puts the HA floor of SPEC.md in the minimums: 2 AZs + 1 reader at 4, 2 readers + cache at 5, 3 AZs at 6, 2 regions at 7", () => {
    assert.deepEqual(
      [stageDefinition(4).minimums.azs, stageDefinition(4).minimums.dbReaders, stageDefinition(4).minimums.webInstances],
      [2, 1, 2],
    );
    assert.deepEqual([stageDefinition(5).minimums.dbReaders, stageDefinition(5).minimums.cacheNodes], [2, 2]);
    assert.equal(stageDefinition(6).minimums.azs, 3);
    assert.equal(stageDefinition(7).minimums.regions, 2);
    assert.equal(stageDefinition(3).minimums.dataProtection, false);
    assert.equal(stageDefinition(4).minimums.dataProtection, true);
  });
});
