import { strict as assert } from "node:assert";
import { comparePlans, loadReplaceTriggers } from "../tools/compare";
import { ResourceRecord } from "../tools/capture";
import { loadStackConfig } from "../tools/stackConfig";
import { byUrn, freshPlan, ofType, one, plan } from "./helpers";

const prodConfig = loadStackConfig({ stack: "prod" });
const project = prodConfig.project;
const cfg = (key: string) => prodConfig.config[`${project}:${key}`] as any;
const REGIONS: string[] = cfg("regions");
const DOMAINS: { name: string; shards: number }[] = cfg("database").domains;
const HOME = prodConfig.config["aws:region"] as string;
const T = {
  cluster: "aws:rds/cluster:Cluster",
  global: "aws:rds/globalCluster:GlobalCluster",
  table: "aws:dynamodb/table:Table",
  secret: "aws:secretsmanager/secret:Secret",
  record: "aws:route53/record:Record",
  health: "aws:route53/healthCheck:HealthCheck",
  param: "aws:ssm/parameter:Parameter",
};
const prod = () => plan({ stack: "prod" });
const inRegion = (records: ResourceRecord[], region: string) => records.filter((r) => r.region === region);

describe("stage 7 (ten million users): federation, shards, NoSQL, more regions", () => {
  it("runs one Aurora cluster per domain and shard in every region, keeping the stage-3 cluster as shard 0 of the first domain", async () => {
    const c = await prod();
    const expected = DOMAINS.reduce((n, d) => n + d.shards, 0);
    for (const region of REGIONS) {
      const clusters = inRegion(ofType(c, T.cluster), region);
      assert.equal(clusters.length, expected, region);
      const pairs = clusters.map((k) => `${k.inputs.tags["scaling:domain"]}/${k.inputs.tags["scaling:shard"]}`).sort();
      assert.deepEqual(pairs, DOMAINS.flatMap((d) => Array.from({ length: d.shards }, (_, i) => `${d.name}/${i}`)).sort());
    }
    const stage3 = one(await plan({ stack: "prod", stage: 3 }), T.cluster);
    const same = byUrn(c).get(stage3.urn);
    assert.ok(same, "the stage-3 cluster keeps its URN");
    assert.equal(same.inputs.tags["scaling:domain"], DOMAINS[0].name);
    assert.equal(same.inputs.tags["scaling:shard"], "0");
  });

  it("joins every cluster to an Aurora Global Database sourced from the home region's cluster", async () => {
    const c = await prod();
    const globals = ofType(c, T.global);
    assert.equal(
      globals.length,
      DOMAINS.reduce((n, d) => n + d.shards, 0),
    );
    const index = byUrn(c);
    for (const g of globals) {
      assert.equal(g.region, HOME);
      assert.deepEqual(g.ignoreChanges, ["sourceDbClusterIdentifier"], "a switchover must not replace the global cluster");
      const source = g.dependencies.map((u) => index.get(u)).find((r) => r?.type === T.cluster);
      assert.ok(source, `${g.name} has a source cluster`);
      assert.equal(source.region, HOME);
      assert.ok(source.ignoreChanges.includes("globalClusterIdentifier"), "the source keeps the membership AWS gives it");
    }
    const secondaries = ofType(c, T.cluster).filter((k) => k.region !== HOME);
    assert.ok(secondaries.length > 0);
    for (const k of secondaries) {
      assert.ok(k.inputs.globalClusterIdentifier, `${k.name} joins a global cluster`);
      assert.equal(k.inputs.masterUsername, undefined, "a secondary replicates the primary's users");
      assert.equal(k.inputs.databaseName, undefined);
      assert.ok(k.dependencies.some((u) => index.get(u)?.type === T.global));
      assert.equal(k.inputs.storageEncrypted, true);
    }
  });

  it("moves the master password of global members to a program-managed secret, in place, never in config", async () => {
    const [six, seven] = await Promise.all([plan({ stack: "prod", stage: 6 }), prod()]);
    const before = one(six, T.cluster, "db");
    const after = byUrn(seven).get(before.urn)!;
    assert.equal(before.inputs.manageMasterUserPassword, true);
    // Unset, not false: the provider rejects masterPasswordWo next to manageMasterUserPassword.
    assert.equal(after.inputs.manageMasterUserPassword, undefined);
    assert.ok(after.inputs.masterPasswordWo, "set through a write-only input");
    const password = one(seven, "random:index/randomPassword:RandomPassword", "db-master");
    assert.ok(after.dependencies.includes(password.urn), "generated, not typed in");
    assert.equal(typeof after.inputs.masterPasswordWoVersion, "number");
    assert.equal(after.inputs.masterPassword, undefined, "never the state-stored input");
    const configText = JSON.stringify(prodConfig.config);
    assert.ok(!configText.includes(after.inputs.masterPasswordWo), "the password does not come from config");
    const d = comparePlans(six, seven, loadReplaceTriggers());
    assert.ok(!d.replaced.some((r) => r.urn === before.urn), "the move is an in-place change");
    assert.ok(d.updated.some((r) => r.urn === before.urn));
    const secrets = ofType(seven, T.secret);
    assert.ok(secrets.length > 0);
    for (const s of secrets) {
      assert.equal(s.region, HOME);
      assert.deepEqual(s.inputs.replicas.map((r: { region: string }) => r.region).sort(), REGIONS.filter((r) => r !== HOME).sort());
      assert.ok(s.protect && s.retainOnDelete);
    }
  });

  it("is stable across runs: the password is a resource the cluster and its secret both read, never a per-run value", async () => {
    // The mock makes any value deterministic, so comparing two runs' passwords proves nothing about
    // the program. What keeps the password stable in a real account is where it comes from: one
    // RandomPassword resource (generated once, kept in state), fed to the cluster and to the
    // secret, with fixed inputs that no run changes, so the diff between runs never replaces it.
    const c = await prod();
    const index = byUrn(c);
    const passwords = ofType(c, "random:index/randomPassword:RandomPassword");
    assert.ok(passwords.length > 0);
    const members = ofType(c, T.cluster).filter((k) => k.inputs.masterPasswordWo !== undefined);
    assert.ok(members.length > 0);
    for (const cluster of members) {
      const sources = (cluster.propertyDependencies.masterPasswordWo ?? []).map((u) => index.get(u)?.type);
      assert.deepEqual(
        sources,
        ["random:index/randomPassword:RandomPassword"],
        `${cluster.name}: masterPasswordWo comes from a RandomPassword`,
      );
      const password = cluster.propertyDependencies.masterPasswordWo[0];
      const versions = ofType(c, "aws:secretsmanager/secretVersion:SecretVersion").filter((v) =>
        (v.propertyDependencies.secretStringWo ?? []).includes(password),
      );
      assert.equal(versions.length, 1, `${cluster.name}: its secret stores the same password`);
      assert.equal(versions[0].inputs.secretStringWoVersion, cluster.inputs.masterPasswordWoVersion, "one version number for both");
    }
    const again = await freshPlan({ stack: "prod" });
    const d = comparePlans(c, again, loadReplaceTriggers());
    assert.deepEqual(
      [...d.replaced, ...d.updated, ...d.unknown].map((r) => r.urn),
      [],
      "a second run changes nothing",
    );
  });

  it("turns sessions and NoSQL data into DynamoDB global tables owned by the home region", async () => {
    const c = await prod();
    const tables = ofType(c, T.table);
    assert.equal(tables.length, 1 + cfg("nosqlTables").length, "one session table and the NoSQL tables, not one per region");
    for (const t of tables) {
      assert.equal(t.region, HOME);
      assert.deepEqual(t.inputs.replicas.map((r: { regionName: string }) => r.regionName).sort(), REGIONS.filter((r) => r !== HOME).sort());
      assert.equal(t.inputs.streamViewType, "NEW_AND_OLD_IMAGES", "global tables need streams with both images");
      assert.equal(t.inputs.billingMode, "PAY_PER_REQUEST");
      assert.equal(t.inputs.pointInTimeRecovery.enabled, true);
      assert.equal(t.inputs.serverSideEncryption.enabled, true);
    }
    const carts = tables.find((t) => t.inputs.tags?.["scaling:table"] === "carts")!;
    const spec = cfg("nosqlTables")[0];
    assert.equal(carts.inputs.hashKey, spec.hashKey);
    assert.equal(carts.inputs.rangeKey, spec.rangeKey);
  });

  it("gives every region the full regional stack", async () => {
    const c = await prod();
    for (const type of [
      "aws:ec2/vpc:Vpc",
      "aws:lb/loadBalancer:LoadBalancer",
      "aws:autoscaling/group:Group",
      "aws:elasticache/replicationGroup:ReplicationGroup",
    ]) {
      for (const region of REGIONS) assert.ok(inRegion(ofType(c, type), region).length > 0, `${type} in ${region}`);
    }
    assert.equal(ofType(c, "aws:cloudfront/distribution:Distribution").length, 1, "CloudFront stays global");
  });

  it("routes origin.<domain> to the nearest healthy region with latency records and health checks", async () => {
    const c = await prod();
    const checks = ofType(c, T.health);
    assert.equal(checks.length, REGIONS.length);
    const origin = ofType(c, T.record).filter((r) => r.inputs.name === `origin.${cfg("domain")}`);
    assert.equal(origin.length, REGIONS.length * 2, "A and AAAA per region");
    for (const record of origin) {
      const region = record.inputs.setIdentifier;
      assert.ok(REGIONS.includes(region));
      assert.deepEqual(record.inputs.latencyRoutingPolicies, [{ region }]);
      assert.equal(record.inputs.aliases[0].evaluateTargetHealth, true, "an unhealthy ALB drops out too");
      const check = checks.find((h) => record.dependencies.includes(h.urn));
      assert.ok(check, `${record.name} is health-checked`);
      const alb = ofType(c, "aws:lb/loadBalancer:LoadBalancer").find((l) => record.dependencies.includes(l.urn))!;
      assert.equal(alb.region, region, `${record.name} points at its own region's ALB`);
      assert.equal(alb.inputs.internal, false);
    }
  });

  it("publishes the shard map as a stack output and as an SSM parameter in every region", async () => {
    const c = await prod();
    const map = c.outputs.shardMap as { rule: string; region: string; domains: Record<string, { shard: number; writer: string }[]> };
    assert.match(map.rule, /crc32/);
    assert.deepEqual(Object.keys(map.domains).sort(), DOMAINS.map((d) => d.name).sort());
    for (const d of DOMAINS) assert.equal(map.domains[d.name].length, d.shards);
    const params = ofType(c, T.param).filter((p) => p.inputs.name.endsWith("/shard-map"));
    assert.deepEqual(params.map((p) => p.region).sort(), [...REGIONS].sort());
    for (const p of params) {
      const regional = JSON.parse(p.inputs.value);
      assert.equal(regional.region, p.region);
      // Each region writes and reads through its own cluster of every shard (a secondary forwards
      // its writes to the primary): never the global endpoint, a private address in another VPC.
      const own = inRegion(ofType(c, T.cluster), String(p.region));
      for (const d of DOMAINS)
        for (const e of regional.domains[d.name] as { shard: number; writer: string; reader: string }[]) {
          const cluster = own.find((k) => k.inputs.tags["scaling:domain"] === d.name && k.inputs.tags["scaling:shard"] === String(e.shard));
          assert.ok(cluster, `${p.region} has a cluster for ${d.name}/${e.shard}`);
          // The mock engine names a cluster `<logical name>-<hex>`; its endpoints are in its region.
          assert.match(
            e.writer,
            new RegExp(`^${cluster.name}-[0-9a-f]+\\.cluster-${p.region === REGIONS[0] ? "" : "ro-"}[a-z0-9]+\\.${p.region}\\.`),
            `${p.region} ${d.name}/${e.shard} writes to its own cluster`,
          );
          assert.match(
            e.reader,
            new RegExp(`^${cluster.name}-[0-9a-f]+\\.cluster-ro-[a-z0-9]+\\.${p.region}\\.`),
            `${p.region} ${d.name}/${e.shard} reads from its own cluster`,
          );
        }
    }
  });

  it("binds every resource to the region it is meant for", async () => {
    const c = await prod();
    const index = byUrn(c);
    const cloud = c.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:") && !x.type.startsWith("random:"));
    for (const r of cloud) {
      assert.ok(r.provider && r.region, `${r.urn} has no explicit region`);
      // A resource under a RegionStack lives in that stack's region.
      let parent = r.parent ? index.get(r.parent) : undefined;
      while (parent && parent.type !== "scaling:region:RegionStack") parent = parent.parent ? index.get(parent.parent) : undefined;
      if (!parent) continue;
      const expected = r.name.includes("-cdn-cert") ? "us-east-1" : parent.name;
      assert.equal(r.region, expected, r.urn);
    }
  });

  it("keeps one-of-a-kind resources in the home region when a failover reorders the regions", async () => {
    const failover = await plan({ stack: "prod", set: [`regions=${JSON.stringify([...REGIONS].reverse())}`] });
    for (const type of [T.global, T.secret, T.table, "aws:cloudfront/distribution:Distribution"]) {
      const found = ofType(failover, type);
      assert.ok(found.length > 0, `${type} exists`);
      for (const r of found) assert.equal(r.region, HOME, `${r.name} stays home`);
    }
  });
});
