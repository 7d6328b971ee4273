import { strict as assert } from "node:assert";
import { firstStageWith, STAGE_NUMBERS, STAGES, stageDefinition } from "../components/stages";

describe("stage table", () => {
  it("has one row per stage 1..7, in order", () => {
    assert.deepEqual(
      STAGES.map((s) => s.stage),
      [...STAGE_NUMBERS],
    );
  });

  it("switches each capability on at the stage SPEC.md gives it", () => {
    assert.equal(
      firstStageWith((c) => c.staticSite && c.lambdaBackend),
      1,
    );
    assert.equal(
      firstStageWith((c) => c.network && c.singleHost && c.hostDatabase),
      2,
    );
    assert.equal(
      firstStageWith((c) => c.aurora),
      3,
    );
    assert.equal(
      firstStageWith((c) => c.loadBalancedWebTier),
      4,
    );
    assert.equal(
      firstStageWith((c) => c.cache && c.cdn && c.alarmScaling && c.cloudwatchAgent),
      5,
    );
    assert.equal(
      firstStageWith((c) => c.sessions === "dynamodb" && c.services && c.nat === "perAz" && c.dashboard),
      6,
    );
    assert.equal(
      firstStageWith((c) => c.federation && c.multiRegion),
      7,
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
