import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { InstanceType as Ec2InstanceType } from "@pulumi/aws/types/enums/ec2";
import { CACHE_NODE_TYPE } from "../components/cache";
import {
  AURORA_POSTGRESQL_CLASSES,
  AWS_PROVIDER_KEYS,
  ConfigError,
  ConfigProblem,
  decodeConfigValues,
  EC2_INSTANCE_TYPES,
  ELASTICACHE_NODE_TYPES,
  formatProblem,
  runtimeConfig,
  validateConfig,
} from "../components/config";
import { buildPlan, cpuArchitecture } from "../components/plan";
import { STAGE_NUMBERS, stageDefinition } from "../components/stages";
import awsProviderConfig from "../data/aws-provider-config.json";
import instanceTypes from "../data/instance-types.json";
import { cliFailure, npmSwallowedFlags } from "../tools/cli";
import { runInBackground } from "./children";
import { checkStackConfig, loadStackConfig } from "../tools/stackConfig";

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
    assert.match(typo.message, /allowed here: stage, regions/i);
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

describe("config errors that point at the fix", () => {
  const PROJECT = "aws-scaling-journey";
  /** Decodes raw Pulumi config (strings, as the engine passes them) and validates it. */
  function problemsOfRaw(all: Record<string, string>) {
    const { values, awsRegion, strayKeys } = decodeConfigValues(all, PROJECT);
    try {
      validateConfig(values, awsRegion, strayKeys);
    } catch (err) {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
      return err.problems;
    }
    assert.fail(`config was accepted: ${JSON.stringify(all)}`);
  }
  const base = { [`${PROJECT}:stage`]: "3", [`${PROJECT}:regions`]: '["us-east-1"]', "aws:region": "us-east-1" };
  const only = (problems: ConfigProblem[], key: string) => {
    const found = problems.filter((p) => p.key === key);
    assert.equal(found.length, 1, `one problem for ${key}: ${problems.map(formatProblem).join("\n")}`);
    return found[0];
  };

  it("names a misspelled project namespace and the key it meant", () => {
    const problems = problemsOfRaw({ "aws-scaling-jouney:stage": "3", "aws:region": "us-east-1" });
    const stray = only(problems, "aws-scaling-jouney:stage");
    assert.match(stray.message, /unknown key|not a known key/);
    assert.match(stray.message, /did you mean aws-scaling-journey:stage\?/i);
  });

  it("names an aws: key the provider does not read, and the one it meant", () => {
    const problems = problemsOfRaw({ ...base, "aws:regoin": "us-east-1" });
    assert.match(only(problems, "aws:regoin").message, /did you mean aws:region\?/i);
  });

  it("leaves the provider's own keys and unrelated namespaces alone", () => {
    const { strayKeys } = decodeConfigValues(
      { ...base, "aws:profile": "dev", "aws:skipCredentialsValidation": "true", "other-tool:x": "1" },
      PROJECT,
    );
    assert.deepEqual(strayKeys, []);
  });

  it("suggests the project key a misspelled one meant", () => {
    const problems = problemsOf({ stage: 3, regoins: ["us-east-1"] });
    assert.match(only(problems, "regoins").message, /did you mean regions\?/i);
    assert.match(only(problems, "regoins").message, /not a known key/);
  });

  it("reports a bad region once, short, with the closest codes, and no knock-on on aws:region", () => {
    const problems = problemsOf({ stage: 3, regions: ["us-est-1"] }, "us-east-1");
    assert.equal(problems.length, 1, problems.map(formatProblem).join("\n"));
    const [problem] = problems;
    assert.equal(problem.key, "regions.0");
    assert.match(problem.message, /did you mean us-east-1\b/i);
    assert.ok(!problem.message.includes("ap-southeast-2"), "does not list every region");
    assert.ok(problem.message.length < 160, problem.message);
  });

  it("checks aws:region itself against AWS's region codes", () => {
    const problems = problemsOf({ stage: 3 }, "eu-wset-1");
    assert.match(only(problems, "aws:region").message, /did you mean eu-west-1\b/i);
  });

  it("rejects an instance type, DB class that AWS does not offer, naming close valid ones", () => {
    const problems = problemsOf({ ...VALID, compute: { instanceType: "t4g.nope" }, database: { instanceClass: "db.r6g.lrage" } });
    const type = only(problems, "compute.instanceType");
    const suggested = type.message.match(/t4g\.[a-z0-9]+/g) ?? [];
    assert.ok(suggested.length >= 3, type.message);
    for (const t of suggested) assert.ok(EC2_INSTANCE_TYPES.includes(t), `${t} is a real type`);
    const dbClass = only(problems, "database.instanceClass");
    assert.match(dbClass.message, /did you mean db\.r6g\.large\b/i);
  });

  it("rejects an EC2 instance type used as a DB class (Aurora PostgreSQL classes only)", () => {
    assert.ok(problemsOf({ ...VALID, database: { instanceClass: "db.m1.small" } }).some((p) => p.key === "database.instanceClass"));
  });
});

describe("config as the Pulumi runtime hands it to the program", () => {
  it("reads `namespace:config:key` as `namespace:key` (runtime/config.js cleanKey) and every value as a string", () => {
    assert.deepEqual(
      runtimeConfig({ "aws-scaling-journey:config:stage": 2, "aws:region": "us-east-1", "aws:configs": true, "config:x": [1] }),
      { "aws-scaling-journey:stage": "2", "aws:region": "us-east-1", "aws:configs": "true", "config:x": "[1]" },
    );
  });

  it("is what the early config check judges: it accepts what the program accepts", () => {
    assert.doesNotThrow(() => checkStackConfig(loadStackConfig({ stack: "dev", set: ["aws-scaling-journey:config:stage=2"] })));
    assert.throws(
      () => checkStackConfig(loadStackConfig({ stack: "dev", set: ["aws-scaling-journey:config:bogusKey=1"] })),
      (err: unknown) => err instanceof ConfigError && err.problems.some((p) => p.key === "bogusKey"),
    );
  });
});

describe("AWS provider config keys (data/aws-provider-config.json)", () => {
  it("carry their source, naming the installed @pulumi/aws, and the date they were read", () => {
    assert.match(awsProviderConfig.read, /^\d{4}-\d{2}-\d{2}$/);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const installed: string = require("@pulumi/aws/package.json").version;
    assert.ok(awsProviderConfig.source.startsWith(`@pulumi/aws ${installed},`), awsProviderConfig.source);
  });

  it("list exactly the keys the installed @pulumi/aws reads, in its order (refresh it when the provider moves)", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const installed = Object.keys(require("@pulumi/aws/config")).filter((k) => k !== "requireRegion" && k !== "__esModule");
    assert.ok(installed.includes("region"));
    assert.deepEqual(AWS_PROVIDER_KEYS, installed);
  });
});

describe("AWS type lists (data/instance-types.json)", () => {
  it("carry their source and the date they were read", () => {
    assert.match(instanceTypes.read, /^\d{4}-\d{2}-\d{2}$/);
    for (const list of [
      instanceTypes.ec2InstanceTypes,
      instanceTypes.auroraPostgresqlInstanceClasses,
      instanceTypes.elasticacheNodeTypes,
    ]) {
      assert.ok(list.source.length > 20);
      assert.ok(list.values.length > 50);
    }
  });

  it("list exactly the EC2 types of the installed @pulumi/aws enum (refresh it when the provider moves)", () => {
    assert.deepEqual([...EC2_INSTANCE_TYPES].sort(), [...new Set(Object.values(Ec2InstanceType))].sort());
  });

  it("hold every type the program uses by default", () => {
    for (const stage of STAGE_NUMBERS) {
      const d = stageDefinition(stage).defaults;
      assert.ok(EC2_INSTANCE_TYPES.includes(d.compute.instanceType), d.compute.instanceType);
      assert.ok(AURORA_POSTGRESQL_CLASSES.includes(d.database.instanceClass), d.database.instanceClass);
    }
    assert.ok(ELASTICACHE_NODE_TYPES.includes(CACHE_NODE_TYPE), CACHE_NODE_TYPE);
  });
});

describe("stack file errors", () => {
  let root: string;
  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "stackfile-"));
    fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: aws-scaling-journey\nruntime: nodejs\n");
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const failureFor = (name: string, text: string) => {
    fs.writeFileSync(path.join(root, `Pulumi.${name}.yaml`), text);
    try {
      loadStackConfig({ stack: name }, root);
    } catch (err) {
      return cliFailure(err, "plan", "usage");
    }
    assert.fail(`Pulumi.${name}.yaml was accepted`);
  };

  it("gives each reader its own copy of a stack file, and reads a changed file anew", () => {
    const file = path.join(root, "Pulumi.reread.yaml");
    const compute = (set?: string[]) => loadStackConfig({ stack: "reread", set }, root).config["aws-scaling-journey:compute"];
    fs.writeFileSync(file, "config:\n  aws:region: us-east-1\n  aws-scaling-journey:compute:\n    minSize: 2\n");
    (compute() as Record<string, number>).minSize = 99;
    assert.deepEqual(compute(["compute.maxSize=4"]), { minSize: 2, maxSize: 4 }, "an edit stays with its reader");
    assert.deepEqual(compute(), { minSize: 2 }, "so does an override");
    fs.writeFileSync(file, "config:\n  aws:region: us-east-1\n  aws-scaling-journey:compute:\n    minSize: 3\n");
    assert.deepEqual(compute(), { minSize: 3 });
  });

  it("names the file and the over-indented line, and exits 2", () => {
    const result = failureFor(
      "indent",
      "config:\n  aws:region: us-east-1\n  aws-scaling-journey:stage: 3\n   aws-scaling-journey:regions:\n    - us-east-1\n",
    );
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Pulumi\.indent\.yaml:4:/);
    assert.ok(!result.stderr.includes("    at "), "no stack trace");
  });

  it("names the line of an unclosed quote, not the end of the file", () => {
    const result = failureFor("quote", 'config:\n  aws:region: "us-east-1\n  aws-scaling-journey:stage: 3\n');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Pulumi\.quote\.yaml:2:/);
  });

  it("names a tab in the indentation", () => {
    const result = failureFor("tab", "config:\n  aws:region: us-east-1\n\taws-scaling-journey:stage: 3\n");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Pulumi\.tab\.yaml:3:1: .*tab/);
  });

  it("rejects a config block that is not a mapping", () => {
    const result = failureFor("list", "config:\n  - stage: 3\n");
    assert.equal(result.code, 2);
    assert.match(result.stderr, /Pulumi\.list\.yaml: `config:` must be a mapping/);
  });
});

describe("flags npm swallowed (npm run plan --stage 4)", () => {
  // Queued when this file loads (test/children.ts), to run beside the other tests.
  const npmRun = runInBackground("npm", ["run", "--silent", "plan", "--stage", "4"]);

  it("says how to pass the flag after `--`", () => {
    const message = npmSwallowedFlags({ npm_lifecycle_event: "plan", npm_config_stage: "true" }, ["4"]);
    assert.ok(message);
    assert.ok(message.includes("npm run plan -- --stage 4"), message);
  });

  it("stays quiet when the flags came after `--` or the command was not run by npm", () => {
    assert.equal(npmSwallowedFlags({ npm_lifecycle_event: "plan" }, ["--stage", "4"]), undefined);
    assert.equal(npmSwallowedFlags({ npm_config_stage: "true" }, ["4"]), undefined);
  });

  it("exits 2 from the real npm script before running anything", async () => {
    const run = await npmRun;
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /npm run plan -- --stage 4/);
  });
});
