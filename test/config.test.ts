import { strict as assert } from "node:assert";
import { ConfigError, decodeConfigValues, validateConfig } from "../components/config";
import { buildPlan, cpuArchitecture } from "../components/plan";
import { stageDefinition } from "../components/stages";

const VALID = { stage: 3, regions: ["us-east-1"] };

function problemsOf(values: Record<string, unknown>, awsRegion: string | undefined = "us-east-1") {
  try {
    validateConfig(values, awsRegion);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.problems;
  }
  assert.fail(`config was accepted: ${JSON.stringify(values)}`);
}

/** Each bad value must be rejected with a problem naming exactly its key. */
const REJECTED: [string, Record<string, unknown>][] = [
  ["stage", { ...VALID, stage: 0 }],
  ["stage", { ...VALID, stage: 8 }],
  ["stage", { ...VALID, stage: 2.5 }],
  ["stage", { regions: ["us-east-1"] }],
  ["regions.0", { ...VALID, regions: ["mars-north-1"] }],
  ["regions", { ...VALID, regions: [] }],
  ["regions", { ...VALID, regions: ["us-east-1", "us-east-1"] }],
  ["aws:region", { ...VALID, regions: ["eu-west-1"] }],
  ["domain", { ...VALID, domain: "my shop.com" }],
  ["domain", { ...VALID, domain: "Example.COM" }],
  ["compute.instanceType", { ...VALID, compute: { instanceType: "large" } }],
  ["compute.minSize", { ...VALID, compute: { minSize: -1 } }],
  ["compute.maxSize", { ...VALID, compute: { maxSize: 0 } }],
  ["compute.minSize", { ...VALID, compute: { minSize: 5, maxSize: 2 } }],
  ["compute.cpuHigh", { ...VALID, compute: { cpuHigh: 101 } }],
  ["compute.cpuLow", { ...VALID, compute: { cpuLow: 0 } }],
  ["compute.cpuLow", { ...VALID, compute: { cpuLow: 80, cpuHigh: 60 } }],
  ["compute.cpu", { ...VALID, compute: { cpu: 2 } }],
  ["network.cidr", { ...VALID, network: { cidr: "10.0.0.0/8" } }],
  ["network.cidr", { ...VALID, network: { cidr: "10.0.0.300/16" } }],
  ["network.azs", { ...VALID, network: { azs: 9 } }],
  ["database.instanceClass", { ...VALID, database: { instanceClass: "r6g.large" } }],
  ["database.readers", { ...VALID, database: { readers: 16 } }],
  ["database.domains", { ...VALID, database: { domains: [] } }],
  ["database.domains.0.name", { ...VALID, database: { domains: [{ name: "Users!", shards: 1 }] } }],
  ["database.domains.0.shards", { ...VALID, database: { domains: [{ name: "users", shards: 0 }] } }],
  [
    "database.domains",
    {
      ...VALID,
      database: {
        domains: [
          { name: "users", shards: 1 },
          { name: "users", shards: 2 },
        ],
      },
    },
  ],
  ["database.hostVolumeRetired", { ...VALID, database: { hostVolumeRetired: "yes" } }],
  ["services.0.port", { ...VALID, services: [{ name: "api", port: 70000, path: "/api", minSize: 1, maxSize: 2 }] }],
  ["services.0.port", { ...VALID, services: [{ name: "api", port: 22, path: "/api", minSize: 1, maxSize: 2 }] }],
  ["services.0.path", { ...VALID, services: [{ name: "api", port: 8080, path: "api", minSize: 1, maxSize: 2 }] }],
  ["services.0.minSize", { ...VALID, services: [{ name: "api", port: 8080, path: "/api", minSize: 3, maxSize: 2 }] }],
  ["services.0.maxSize", { ...VALID, services: [{ name: "api", port: 8080, path: "/api", minSize: 1 }] }],
  [
    "services",
    {
      ...VALID,
      services: [
        { name: "a", port: 8080, path: "/a", minSize: 1, maxSize: 2 },
        { name: "b", port: 8080, path: "/b", minSize: 1, maxSize: 2 },
      ],
    },
  ],
  ["nosqlTables.0.name", { ...VALID, nosqlTables: [{ name: "x", hashKey: "id" }] }],
  ["nosqlTables.0.hashKey", { ...VALID, nosqlTables: [{ name: "carts", hashKey: "" }] }],
  ["nosqlTables.0.rangeKey", { ...VALID, nosqlTables: [{ name: "carts", hashKey: "id", rangeKey: "id" }] }],
  ["production", { ...VALID, production: "true" }],
  ["stagee", { ...VALID, stagee: 3 }],
];

describe("config validation", () => {
  for (const [key, values] of REJECTED) {
    it(`rejects a bad ${key}: ${JSON.stringify(values).slice(0, 90)}`, () => {
      const problems = problemsOf(values);
      assert.ok(
        problems.some((p) => p.key === key),
        `no problem names ${key}: ${problems.map((p) => p.key).join(", ")}`,
      );
      const message = new ConfigError(problems).message;
      assert.ok(message.includes(key), "the printed message names the key");
    });
  }

  it("reports every problem at once, each with the bad value and what is allowed", () => {
    const problems = problemsOf({
      stage: 9,
      compute: { minSize: 4, maxSize: 1 },
      network: { cidr: "nope" },
      typo: true,
      regions: ["us-east-1"],
    });
    assert.deepEqual(problems.map((p) => p.key).sort(), ["compute.minSize", "network.cidr", "stage", "typo"]);
    const stage = problems.find((p) => p.key === "stage")!;
    assert.equal(stage.value, 9);
    assert.match(stage.message, /1 to 7/);
    const typo = problems.find((p) => p.key === "typo")!;
    assert.match(typo.message, /allowed here: stage, regions/);
  });

  it("accepts the documented shape, including every optional key", () => {
    const config = validateConfig(
      {
        stage: 7,
        regions: ["us-east-1", "eu-west-1"],
        domain: "shop.example.com",
        domainDelegated: true,
        compute: { instanceType: "m7g.large", minSize: 3, maxSize: 12, cpuHigh: 70, cpuLow: 25 },
        network: { cidr: "10.20.0.0/16", azs: 3 },
        database: { instanceClass: "db.r6g.large", readers: 2, domains: [{ name: "users", shards: 2 }], hostVolumeRetired: true },
        services: [{ name: "orders", port: 8080, path: "/orders", minSize: 3, maxSize: 9 }],
        nosqlTables: [{ name: "carts", hashKey: "userId", rangeKey: "itemId" }],
        production: true,
      },
      "eu-west-1",
    );
    assert.equal(config.stage, 7);
  });

  it("decodes Pulumi's string config values of the project's namespace only", () => {
    const { values, awsRegion } = decodeConfigValues(
      { "proj:stage": "5", "proj:domain": "example.com", "proj:regions": '["us-east-1"]', "aws:region": "us-east-1", "other:stage": "1" },
      "proj",
    );
    assert.deepEqual(values, { stage: 5, domain: "example.com", regions: ["us-east-1"] });
    assert.equal(awsRegion, "us-east-1");
  });
});

describe("stage plan", () => {
  const ctx = { project: "p", stack: "s" };

  it("takes each stage's defaults from the stage table, and config overrides them", () => {
    for (const stage of [2, 4, 5, 6] as const) {
      const plan = buildPlan(validateConfig({ stage, regions: ["us-east-1"] }, "us-east-1"), "us-east-1", ctx);
      const defaults = stageDefinition(stage).defaults;
      assert.equal(plan.network.azs, defaults.azs);
      assert.equal(plan.compute.minSize, defaults.compute.minSize);
      assert.equal(plan.database.readers, defaults.database.readers);
    }
    const overridden = buildPlan(
      validateConfig({ stage: 4, regions: ["us-east-1"], compute: { minSize: 1 } }, "us-east-1"),
      "us-east-1",
      ctx,
    );
    assert.equal(overridden.compute.minSize, 1);
    assert.equal(overridden.compute.maxSize, stageDefinition(4).defaults.compute.maxSize);
  });

  it("protects data from the stage that requires it, or at any stage in production", () => {
    const at = (stage: number, production = false) =>
      buildPlan(validateConfig({ stage, regions: ["us-east-1"], production }, "us-east-1"), "us-east-1", ctx).protectData;
    assert.equal(at(3), stageDefinition(3).minimums.dataProtection);
    assert.equal(at(4), stageDefinition(4).minimums.dataProtection);
    assert.equal(at(2, true), true);
  });

  it("activates regions after the first only at the multi-region stage", () => {
    const regions = ["eu-west-1", "us-east-1"];
    const at = (stage: number) => buildPlan(validateConfig({ stage, regions }, "eu-west-1"), "eu-west-1", ctx);
    assert.deepEqual(at(6).activeRegions, ["eu-west-1"]);
    assert.deepEqual(at(7).activeRegions, regions);
    assert.equal(at(7).primaryRegion, "eu-west-1");
  });

  it("keeps the stage-3 cluster as shard 0 of the first domain when federating", () => {
    const domains = [
      { name: "users", shards: 2 },
      { name: "orders", shards: 1 },
    ];
    const at = (stage: number) =>
      buildPlan(validateConfig({ stage, regions: ["us-east-1"], database: { domains } }, "us-east-1"), "us-east-1", ctx);
    assert.deepEqual(at(3).database.clusters, [{ name: "db", domain: "users", shard: 0 }]);
    assert.deepEqual(
      at(7).database.clusters.map((c) => c.name),
      ["db", "db-users-1", "db-orders-0"],
    );
  });

  it("keeps the host volume while it still holds the database, warning that retirement waits", () => {
    const plan = buildPlan(
      validateConfig({ stage: 2, regions: ["us-east-1"], database: { hostVolumeRetired: true } }, "us-east-1"),
      "us-east-1",
      ctx,
    );
    assert.equal(plan.hostDataVolume, true);
    assert.ok(plan.warnings.some((w) => w.includes("hostVolumeRetired")));
  });

  it("requires aws:region to be the first region until the multi-region stage", () => {
    assert.throws(
      () => buildPlan(validateConfig({ stage: 6, regions: ["us-east-1", "eu-west-1"] }, "eu-west-1"), "eu-west-1", ctx),
      (err: unknown) => err instanceof ConfigError && err.problems[0].key === "aws:region",
    );
    const plan = buildPlan(validateConfig({ stage: 7, regions: ["us-east-1", "eu-west-1"] }, "eu-west-1"), "eu-west-1", ctx);
    assert.equal(plan.homeRegion, "eu-west-1");
    assert.equal(plan.primaryRegion, "us-east-1");
  });

  it("knows Graviton instance families from x86 ones", () => {
    for (const t of ["t4g.small", "m7g.large", "c7gn.xlarge", "r8gd.2xlarge", "a1.large"]) assert.equal(cpuArchitecture(t), "arm64", t);
    for (const t of ["t3.small", "m7i.large", "c6a.xlarge", "m5d.large"]) assert.equal(cpuArchitecture(t), "x86_64", t);
  });
});
