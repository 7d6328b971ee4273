/**
 * Issue 8, items 1, 2, 4, 5 and 7: every region has its own address plan and a write path to the
 * current primary; AZs are chosen by zone ID from dated data; a region with too few AZs or a
 * burstable class in a global database is a config error.
 */
import { strict as assert } from "node:assert";
import { execFile } from "node:child_process";
import * as path from "node:path";
import { cidrsOverlap, defaultRegionCidr, overlappingRegions, regionCidrs, usableZoneIds } from "../components/addressing";
import { EXCLUDED_ZONE_IDS, GLOBAL_DATABASE_CLASS_FAMILIES, REGION_FACTS, supportsGlobalWriteForwarding } from "../components/awsFacts";
import { ConfigError, validateConfig } from "../components/config";
import { AURORA_ENGINE_VERSION, instanceAzSlot } from "../components/database";
import { buildPlan } from "../components/plan";
import { offeringProblem } from "../components/regionPlan";
import { ResourceRecord } from "../tools/capture";
import { loadStackConfig } from "../tools/stackConfig";
import { ofType, plan } from "./helpers";

const ROOT = path.resolve(__dirname, "..");
const ctx = { project: "aws-scaling-journey", stack: "test" };
const T = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  cluster: "aws:rds/cluster:Cluster",
  instance: "aws:rds/clusterInstance:ClusterInstance",
  param: "aws:ssm/parameter:Parameter",
};
const prodConfig = loadStackConfig({ stack: "prod" });
const PROD_REGIONS: string[] = prodConfig.config[`${prodConfig.project}:regions`] as string[];
const HOME = prodConfig.config["aws:region"] as string;

function problemsOf(build: () => unknown) {
  try {
    build();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${err}`);
    return err.problems;
  }
  assert.fail("config was accepted");
}
const planOf = (values: Record<string, unknown>, awsRegion = "us-east-1") => buildPlan(validateConfig(values, awsRegion), awsRegion, ctx);

function cli(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ["-r", "ts-node/register", "tools/plan.ts", ...args],
      { cwd: ROOT, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" }, timeout: 300_000 },
      (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stderr }),
    ),
  );
}

const vpcCidrs = (resources: ResourceRecord[]) =>
  Object.fromEntries(ofType({ resources } as never, T.vpc).map((v) => [v.region, v.inputs.cidrBlock]));
const appConfigOf = (resources: ResourceRecord[], region: string) =>
  JSON.parse(resources.find((r) => r.type === T.param && r.region === region && r.inputs.name.endsWith("/config"))!.inputs.value);

describe("per-region address plans (issue 8.1)", () => {
  it("keys every region's block by its name: the home keeps network.cidr, a reordered list moves nothing", () => {
    const args = { homeRegion: "us-east-1", homeCidr: "10.20.0.0/16", overrides: { "ap-southeast-2": "10.30.0.0/16" } };
    const forward = regionCidrs({ ...args, regions: ["us-east-1", "eu-west-1", "ap-southeast-2"] });
    const reordered = regionCidrs({ ...args, regions: ["ap-southeast-2", "eu-west-1", "us-east-1"] });
    assert.deepEqual(reordered, forward);
    assert.equal(forward["us-east-1"], "10.20.0.0/16");
    assert.equal(forward["ap-southeast-2"], "10.30.0.0/16");
    assert.equal(forward["eu-west-1"], defaultRegionCidr("eu-west-1"));
  });

  it("gives every region of the data file its own default block, apart from every other", () => {
    const defaults = Object.keys(REGION_FACTS).map((r) => [r, defaultRegionCidr(r)!] as const);
    for (let i = 0; i < defaults.length; i++)
      for (let j = i + 1; j < defaults.length; j++)
        assert.ok(!cidrsOverlap(defaults[i][1], defaults[j][1]), `${defaults[i][0]} / ${defaults[j][0]}`);
  });

  it("finds overlapping blocks, nested or equal, and only those", () => {
    assert.deepEqual(overlappingRegions({ a: "10.0.0.0/16", b: "10.0.128.0/20", c: "10.1.0.0/16", d: "10.1.0.0/16" }), [
      ["a", "b"],
      ["c", "d"],
    ]);
    assert.ok(!cidrsOverlap("10.0.0.0/16", "10.1.0.0/16"));
  });

  it("rejects overlapping plans of active regions (exit 2), naming both regions and blocks", () => {
    const problems = problemsOf(() =>
      planOf({
        stage: 7,
        regions: ["us-east-1", "eu-west-1"],
        network: { cidr: "10.20.0.0/16", regionCidrs: { "eu-west-1": "10.20.128.0/17" } },
      }),
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0].key, "network.regionCidrs.eu-west-1");
    for (const s of ["us-east-1", "10.20.0.0/16", "eu-west-1", "10.20.128.0/17"]) assert.ok(problems[0].message.includes(s), s);
    // Before the multi-region stage only the first region has a VPC: nothing overlaps yet.
    planOf({
      stage: 6,
      regions: ["us-east-1", "eu-west-1"],
      network: { cidr: "10.20.0.0/16", regionCidrs: { "eu-west-1": "10.20.128.0/17" } },
    });
  });

  it("prod: no two regions' VPC blocks overlap, and a failover (reordered regions) changes none of them", async () => {
    const prod = await plan({ stack: "prod" });
    const cidrs = vpcCidrs(prod.resources);
    assert.deepEqual(Object.keys(cidrs).sort(), [...PROD_REGIONS].sort());
    assert.deepEqual(overlappingRegions(cidrs), []);
    assert.equal(cidrs[HOME], (prodConfig.config[`${prodConfig.project}:network`] as { cidr: string }).cidr, "the home keeps network.cidr");
    const failover = await plan({ stack: "prod", set: [`regions=${JSON.stringify([...PROD_REGIONS].reverse())}`] });
    assert.deepEqual(vpcCidrs(failover.resources), cidrs);
    const subnets = (c: typeof prod) => ofType(c, T.subnet).map((s) => `${s.urn} ${s.inputs.cidrBlock} ${s.inputs.availabilityZoneId}`);
    assert.deepEqual(subnets(failover).sort(), subnets(prod).sort());
  });
});

describe("the write path of every region (issue 8.1)", () => {
  it("uses an engine version that supports global write forwarding, by AWS's version table", () => {
    assert.ok(supportsGlobalWriteForwarding(AURORA_ENGINE_VERSION), AURORA_ENGINE_VERSION);
    for (const v of ["16.1", "15.4", "15.10", "14.9", "17.4"]) assert.ok(supportsGlobalWriteForwarding(v), v);
    for (const v of ["15.3", "14.8", "13.12", "garbage"]) assert.ok(!supportsGlobalWriteForwarding(v), v);
  });

  it("turns on write forwarding on every secondary of every global database, and moves it with a failover", async () => {
    const failedOver = [...PROD_REGIONS].reverse();
    for (const regions of [PROD_REGIONS, failedOver]) {
      const c = await plan(regions === PROD_REGIONS ? { stack: "prod" } : { stack: "prod", set: [`regions=${JSON.stringify(regions)}`] });
      const clusters = ofType(c, T.cluster);
      const secondaries = clusters.filter((k) => k.region !== regions[0]);
      assert.ok(secondaries.length > 0);
      for (const k of secondaries) assert.equal(k.inputs.enableGlobalWriteForwarding, true, `${k.name} forwards writes to ${regions[0]}`);
      // AWS accepts the flag only on global members; the primary has nothing to forward to.
      for (const k of clusters.filter((c) => c.region === regions[0]))
        assert.equal(k.inputs.enableGlobalWriteForwarding, undefined, k.name);
    }
    for (const k of ofType(await plan({ stack: "prod" }), T.cluster).filter((c) => c.region !== HOME))
      assert.ok(k.inputs.globalClusterIdentifier, `${k.name} is a global database member`);
    // Before the multi-region stage there is no global database to forward to.
    for (const k of ofType(await plan({ stack: "prod", stage: 6 }), T.cluster))
      assert.equal(k.inputs.enableGlobalWriteForwarding, undefined);
  });

  it("names each region's own endpoints for writes and reads in its app config, before and after a failover", async () => {
    // Each plan named by the region order it was asked for; the primary is that order's first.
    const failedOver = [...PROD_REGIONS].reverse();
    const plans = [
      { regions: PROD_REGIONS, selection: { stack: "prod" } },
      { regions: failedOver, selection: { stack: "prod", set: [`regions=${JSON.stringify(failedOver)}`] } },
    ];
    for (const { regions, selection } of plans) {
      const c = await plan(selection);
      for (const region of PROD_REGIONS) {
        const db = appConfigOf(c.resources, region).database;
        const first = ofType(c, T.cluster).find((k) => k.region === region && k.name === `${region}-db`)!;
        // The primary writes through its cluster (writer) endpoint; a secondary has no writer and
        // forwards writes through its own reader endpoint (AWS: "Connecting to an Aurora global database").
        const primary = regions[0] === region;
        assert.match(
          db.writer,
          new RegExp(`^${first.name}-[0-9a-f]+\\.cluster-${primary ? "" : "ro-"}[a-z0-9]+\\.${region}\\.`),
          `${region} writes through its own cluster's ${primary ? "writer" : "reader"} endpoint`,
        );
        assert.match(db.reader, new RegExp(`^${first.name}-[0-9a-f]+\\.cluster-ro-[a-z0-9]+\\.${region}\\.`), `${region} reads locally`);
        assert.deepEqual(db.writeForwarding, primary ? undefined : { consistencyMode: "SESSION" });
      }
    }
  });
});

describe("a burstable class in a global database (issue 8.7)", () => {
  it("is a config error at the multi-region stage only, naming the key and the allowed families", () => {
    const problems = problemsOf(() =>
      planOf({ stage: 7, regions: ["us-east-1", "eu-west-1"], database: { instanceClass: "db.t4g.medium" } }),
    );
    assert.deepEqual(
      problems.map((p) => p.key),
      ["database.instanceClass"],
    );
    for (const family of GLOBAL_DATABASE_CLASS_FAMILIES) assert.ok(problems[0].message.includes(family), family);
    planOf({ stage: 6, regions: ["us-east-1"], database: { instanceClass: "db.t4g.medium" } });
    planOf({ stage: 7, regions: ["us-east-1", "eu-west-1"], database: { instanceClass: "db.r7g.xlarge" } });
  });
});

describe("AZs by zone ID, from dated data (issues 8.4 and 8.5)", () => {
  it("answers the offline plan's AZ lookups from data/regions.json, not from made-up zones", async () => {
    const prod = await plan({ stack: "prod" });
    for (const region of PROD_REGIONS) {
      const ids = ofType(prod, T.subnet)
        .filter((s) => s.region === region)
        .map((s) => s.inputs.availabilityZoneId);
      assert.ok(ids.length > 0);
      for (const id of ids) assert.ok(REGION_FACTS[region].zoneIds.includes(id), `${id} is a real zone of ${region}`);
      for (const id of ids) assert.ok(!EXCLUDED_ZONE_IDS.includes(id), `${id} is excluded`);
    }
  });

  it("places subnets by zone ID only, skips excluded zones, and honours a per-region override", async () => {
    assert.ok(!usableZoneIds("us-east-1")!.some((id) => EXCLUDED_ZONE_IDS.includes(id)));
    const pinned = ["use1-az6", "use1-az2", "use1-az1"];
    const c = await plan({ stack: "dev", stage: 4, set: [`network.zoneIds={"us-east-1":${JSON.stringify(pinned)}}`] });
    for (const s of ofType(c, T.subnet)) {
      assert.equal(s.inputs.availabilityZone, undefined, `${s.name} is placed by ID, never by the account's name mapping`);
      const slot = Number(s.name.split("-").pop());
      assert.equal(s.inputs.availabilityZoneId, pinned[slot], s.name);
    }
  });

  it("fails with the override's name when a chosen zone does not offer the instance type", () => {
    const problem = offeringProblem("us-east-1", "m7g.large", ["use1-az3", "use1-az1"], ["use1-az1"]);
    for (const s of ["m7g.large", "use1-az3", "network.zoneIds.us-east-1"]) assert.ok(problem?.includes(s), s);
    assert.ok(!problem!.includes("use1-az1,"), "names only the zones that lack it");
    assert.equal(offeringProblem("us-east-1", "m7g.large", ["use1-az1"], ["use1-az1", "use1-az2"]), undefined);
  });

  it("rejects a stage whose HA floor needs more AZs than the region has, naming region, count and stage", () => {
    const problems = problemsOf(() => planOf({ stage: 6, regions: ["us-west-1"] }, "us-west-1"));
    assert.equal(problems.length, 1);
    assert.equal(problems[0].key, "regions");
    for (const s of ["us-west-1", "has 2", "stage 6", "needs 3"]) assert.ok(problems[0].message.includes(s), s);
  });

  it("npm run plan -- --stage 6 in us-west-1 exits 2", async () => {
    const run = await cli("--stage", "6", "--set", 'regions=["us-west-1"]', "--set", "aws:region=us-west-1");
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /us-west-1 has 2 usable Availability Zones/);
  });

  it("spans the data tier over both zones of a two-zone region, placing DB instances by index only", async () => {
    const network = planOf({ stage: 4, regions: ["us-west-1"], database: { readers: 2 } }, "us-west-1").network.regions["us-west-1"];
    assert.equal(network.dataAzs, 2);
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => instanceAzSlot(i, network.dataAzs)),
      [0, 1, 0, 1],
    );
    const c = await plan({ stack: "dev", stage: 4, set: ['regions=["us-west-1"]', "aws:region=us-west-1", "database.readers=2"] });
    const data = ofType(c, T.subnet).filter((s) => s.inputs.tags["scaling:tier"] === "data");
    // usw1-az2 exists (AWS's AZ table) but new accounts can't use it: the two zones they get.
    assert.deepEqual(data.map((s) => s.inputs.availabilityZoneId).sort(), ["usw1-az1", "usw1-az3"]);
    assert.ok(REGION_FACTS["us-west-1"].zoneIds.includes("usw1-az2"), "the data lists every zone of the table");
    const zones = ofType(c, T.instance).map((i) => i.inputs.availabilityZone);
    assert.equal(zones[0], zones[2], "instance 2 shares instance 0's zone");
    assert.notEqual(zones[0], zones[1]);
  });
});
