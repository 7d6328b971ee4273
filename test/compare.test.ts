import { strict as assert } from "node:assert";
import { aliasUrns, engineUrn, type Capture, type ResourceRecord } from "../tools/capture";
import {
  changedPaths,
  comparePlans,
  deletesFirst,
  instanceArchitecture,
  loadReplaceOrders,
  loadReplaceTriggers,
  ReplaceTriggers,
  STATEFUL_TYPES,
} from "../tools/compare";
import { parsePlanArgs, runPlan } from "../tools/plan";
import type { StackSelection } from "../tools/stackConfig";
import { createdTypes, plan, resourceRecord, viewLoader } from "./helpers";

const triggers: ReplaceTriggers = loadReplaceTriggers();
const STACK = "t";
const PROJECT = "p";
const urnOf = (type: string, name: string) => `urn:pulumi:${STACK}::${PROJECT}::${type}::${name}`;

function resource(type: string, name: string, inputs: Record<string, unknown>, extra: Partial<ResourceRecord> = {}): ResourceRecord {
  return resourceRecord({ urn: urnOf(type, name), type, name, inputs, ...extra });
}

const capture = (...resources: ResourceRecord[]): Capture => ({ project: PROJECT, stack: STACK, resources, outputs: {}, warnings: [] });

const VOLUME = "aws:ebs/volume:Volume";
const INSTANCE = "aws:ec2/instance:Instance";
const CLUSTER = "aws:rds/cluster:Cluster";
const CACHE = "aws:elasticache/replicationGroup:ReplicationGroup";

/** A top-level input the trigger file lists as forceNew for `type`, and one it does not. */
function forceNewInput(type: string): string {
  return triggers[type].forceNew[0];
}

describe("comparePlans on hand-built plans", () => {
  it("the trigger file covers every stateful type it is asked about", () => {
    for (const type of STATEFUL_TYPES.filter((t) => t !== "aws:s3/bucketV2:BucketV2")) assert.ok(triggers[type], type);
  });

  it("puts a replaced or removed resource of every SPEC stateful type at risk: databases, tables, buckets, volumes, zones, keys, secrets", () => {
    // SPEC invariant 1 names these kinds; each must be guarded by the diff, whatever its type token.
    const spec = [
      "rds/cluster",
      "rds/clusterInstance",
      "dynamodb/table",
      "s3/bucket",
      "ebs/volume",
      "route53/zone",
      "kms/key",
      "secretsmanager/secret",
    ];
    for (const kind of spec)
      assert.ok(
        STATEFUL_TYPES.some((t) => t.startsWith(`aws:${kind}:`)),
        `${kind} is stateful`,
      );
    for (const type of STATEFUL_TYPES.filter((t) => triggers[t]?.forceNew.length)) {
      const key = forceNewInput(type);
      const d = comparePlans(
        capture(resource(type, "replaced", { [key]: "a" }), resource(type, "removed", {})),
        capture(resource(type, "replaced", { [key]: "b" })),
        triggers,
      );
      assert.deepEqual(d.statefulAtRisk.map((r) => `${r.name}:${r.change}`).sort(), ["removed:removed", "replaced:replaced"], type);
    }
  });

  it("classifies a forceNew input change as replaced, another change as updated, equal inputs (any key order) as unchanged", () => {
    const key = forceNewInput(VOLUME);
    assert.ok(key, "the trigger file lists forceNew inputs for EBS volumes");
    const updatable = "size";
    assert.ok(!triggers[VOLUME].forceNew.includes(updatable));
    const from = capture(
      resource(VOLUME, "replaced", { [key]: "a", size: 10 }),
      resource(VOLUME, "updated", { [key]: "a", [updatable]: 10 }),
      resource("aws:ec2/vpc:Vpc", "same", { cidrBlock: "10.0.0.0/16", tags: { a: "1", b: "2" } }),
    );
    const to = capture(
      resource(VOLUME, "replaced", { [key]: "b", size: 10 }),
      resource(VOLUME, "updated", { [key]: "a", [updatable]: 20 }),
      resource("aws:ec2/vpc:Vpc", "same", { tags: { b: "2", a: "1" }, cidrBlock: "10.0.0.0/16" }),
    );
    const diff = comparePlans(from, to, triggers);
    assert.deepEqual(
      diff.replaced.map((r) => r.name),
      ["replaced"],
    );
    assert.ok(diff.replaced[0].reasons.some((r) => r.includes(key)));
    assert.deepEqual(
      diff.updated.map((r) => [r.name, r.changedPaths]),
      [["updated", [updatable]]],
    );
    assert.equal(diff.unchanged, 1);
    assert.deepEqual(diff.counts, { added: 0, removed: 0, updated: 1, replaced: 1, unknown: 0, unchanged: 1 });
    // The replaced volume is stateful: flagged with the input that forces it.
    assert.deepEqual(
      diff.statefulAtRisk.map((r) => [r.name, r.change]),
      [["replaced", "replaced"]],
    );
    assert.ok(diff.statefulAtRisk[0].reasons.some((r) => r.includes(key)));
  });

  it("matches nested forceNew paths through list indices and appearing blocks", () => {
    const nested = triggers[INSTANCE].forceNewNested.find((p) => p.startsWith("rootBlockDevice."));
    assert.ok(nested);
    const [block, leaf] = nested.split(".");
    const from = capture(resource(INSTANCE, "host", { instanceType: "t4g.small" }));
    const to = capture(resource(INSTANCE, "host", { instanceType: "t4g.small", [block]: { [leaf]: true } }));
    const diff = comparePlans(from, to, triggers);
    assert.equal(diff.counts.replaced, 1);
    assert.ok(diff.replaced[0].reasons.some((r) => r.includes(nested)));
    assert.deepEqual(changedPaths({ a: [{ b: 1 }] }, { a: [{ b: 2 }] }), ["a.0.b"]);
  });

  it("flags a removed stateful resource, and not a removed stateless one", () => {
    const from = capture(
      resource(CLUSTER, "db", { engine: "aurora-postgresql" }, { protect: true }),
      resource("aws:ec2/eip:Eip", "ip", {}),
    );
    const diff = comparePlans(from, capture(), triggers);
    assert.deepEqual(diff.removed.map((r) => r.name).sort(), ["db", "ip"]);
    assert.equal(diff.statefulAtRisk.length, 1);
    assert.equal(diff.statefulAtRisk[0].urn, urnOf(CLUSTER, "db"));
    assert.equal(diff.statefulAtRisk[0].change, "removed");
    assert.equal(diff.statefulAtRisk[0].protect, true);
  });

  it("treats a region change as a replacement, even with identical inputs", () => {
    const from = capture(resource("aws:dynamodb/table:Table", "sessions", { hashKey: "id" }, { region: "us-east-1" }));
    const to = capture(resource("aws:dynamodb/table:Table", "sessions", { hashKey: "id" }, { region: "eu-west-1" }));
    const diff = comparePlans(from, to, triggers);
    assert.equal(diff.counts.replaced, 1);
    assert.ok(diff.replaced[0].reasons.some((r) => r.includes("us-east-1") && r.includes("eu-west-1")));
    assert.equal(diff.statefulAtRisk.length, 1);
    assert.equal(diff.statefulAtRisk[0].change, "replaced");
  });

  it("matches a moved resource through its alias (full URN or bare name): no add, no remove", () => {
    const old = resource(VOLUME, "data-old", { size: 10 });
    const moved = resource(VOLUME, "data", { size: 10 }, { urn: urnOf("scaling:x:Comp$" + VOLUME, "data"), aliases: [{ urn: old.urn }] });
    const diff = comparePlans(capture(old), capture(moved), triggers);
    assert.deepEqual(diff.counts, { added: 0, removed: 0, updated: 0, replaced: 0, unknown: 0, unchanged: 1 });
    assert.equal(diff.statefulAtRisk.length, 0);

    const renamed = resource(VOLUME, "data", { size: 20 }, { aliases: [{ name: "data-old" }] });
    const byName = comparePlans(capture(old), capture(renamed), triggers);
    assert.equal(byName.counts.updated, 1);
    assert.equal(byName.updated[0].fromUrn, old.urn);
    assert.equal(byName.counts.removed, 0);
  });

  it("resolves spec aliases as the engine does: a moved parent, a new type, or no parent at all", () => {
    const parentUrn = urnOf("scaling:x:Comp", "comp");
    const old = resource(VOLUME, "data", { size: 10 });
    const underComp = resource(VOLUME, "data", { size: 10 }, { urn: urnOf("scaling:x:Comp$" + VOLUME, "data"), parent: parentUrn });
    assert.deepEqual(aliasUrns({ ...underComp, aliases: [{ noParent: true }] }), [old.urn]);
    assert.equal(comparePlans(capture(old), capture({ ...underComp, aliases: [{ noParent: true }] }), triggers).counts.unchanged, 1);
    // Without the alias the same move is a delete and an add: the alias is what saves the volume.
    assert.equal(comparePlans(capture(old), capture(underComp), triggers).statefulAtRisk.length, 1);

    const retyped = resource("aws:ebs/volumeV2:VolumeV2", "data", { size: 10 });
    assert.deepEqual(aliasUrns({ ...retyped, aliases: [{ type: VOLUME }] }), [old.urn]);
    const movedUnder = resource(VOLUME, "data", { size: 10 });
    assert.deepEqual(aliasUrns({ ...movedUnder, aliases: [{ parentUrn }] }), [urnOf("scaling:x:Comp$" + VOLUME, "data")]);
    assert.deepEqual(aliasUrns({ ...movedUnder, aliases: [{ stack: "other", project: "q", name: "x" }] }), [
      `urn:pulumi:other::q::${VOLUME}::x`,
    ]);
    // With a parent the engine takes stack and project from the parent URN (alias.go CreateURN).
    assert.deepEqual(aliasUrns({ ...movedUnder, aliases: [{ parentUrn, stack: "other", project: "q" }] }), [
      "urn:pulumi:t::p::scaling:x:Comp$aws:ebs/volume:Volume::data",
    ]);
  });

  it("builds URNs as the engine does, written out literally (a nested type chain; the root stack adds nothing)", () => {
    const app = "urn:pulumi:t::p::scaling:x:App::app";
    assert.equal(engineUrn("p", "t", app, VOLUME, "app-data"), "urn:pulumi:t::p::scaling:x:App$aws:ebs/volume:Volume::app-data");
    assert.equal(
      engineUrn("p", "t", "urn:pulumi:t::p::scaling:x:App$scaling:x:Db::app-db", CLUSTER, "c"),
      "urn:pulumi:t::p::scaling:x:App$scaling:x:Db$aws:rds/cluster:Cluster::c",
    );
    assert.equal(
      engineUrn("p", "t", "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t", VOLUME, "v"),
      "urn:pulumi:t::p::aws:ebs/volume:Volume::v",
    );
    // The engine's inheritedChildAlias example: app renamed to newapp, child newapp-data keeps app-data.
    const child = {
      urn: "urn:pulumi:t::p::scaling:y:App2$aws:ebs/volume:Volume::newapp-data",
      type: VOLUME,
      name: "newapp-data",
      parent: "urn:pulumi:t::p::scaling:y:App2::newapp",
      aliases: [],
    };
    assert.deepEqual(aliasUrns(child, new Map([[child.parent, app]])), ["urn:pulumi:t::p::scaling:x:App$aws:ebs/volume:Volume::app-data"]);
  });

  it("inherits a parent's alias as the engine does: a renamed, re-typed component keeps its children, nested ones too", () => {
    // Before: component `app` (scaling:x:App) with a volume `app-data`, a bucket `app-bucket` and a
    // nested component `app-db` holding a cluster `app-db-cluster`. After: the component is
    // `newapp` of type scaling:y:App2 and carries the only alias; the children follow the
    // `<parent>-suffix` naming, so the engine derives their old names from the parent's.
    const BUCKET = "aws:s3/bucket:Bucket";
    const under = (parentUrn: string, type: string, name: string, inputs: Record<string, unknown>, extra: Partial<ResourceRecord> = {}) =>
      resource(type, name, inputs, { urn: engineUrn(PROJECT, STACK, parentUrn, type, name), parent: parentUrn, ...extra });
    const component = (type: string, name: string, parentUrn = "", extra: Partial<ResourceRecord> = {}) =>
      parentUrn ? under(parentUrn, type, name, {}, { custom: false, ...extra }) : resource(type, name, {}, { custom: false, ...extra });

    const app = component("scaling:x:App", "app");
    const db = component("scaling:x:Db", "app-db", app.urn);
    const from = capture(
      app,
      under(app.urn, VOLUME, "app-data", { size: 10 }),
      under(app.urn, BUCKET, "app-bucket", { forceDestroy: false }),
      db,
      under(db.urn, CLUSTER, "app-db-cluster", { engine: "aurora-postgresql" }),
    );
    const newApp = component("scaling:y:App2", "newapp", "", { aliases: [{ name: "app", type: "scaling:x:App" }] });
    const newDb = component("scaling:x:Db", "newapp-db", newApp.urn);
    const to = capture(
      newApp,
      under(newApp.urn, VOLUME, "newapp-data", { size: 10 }),
      // Its own alias names its previous name under the new parent; the engine multiplies it by the parent's.
      under(newApp.urn, BUCKET, "newapp-assets", { forceDestroy: false }, { aliases: [{ name: "newapp-bucket" }] }),
      newDb,
      under(newDb.urn, CLUSTER, "newapp-db-cluster", { engine: "aurora-postgresql" }),
    );
    const d = comparePlans(from, to, triggers);
    assert.deepEqual(d.counts, { added: 0, removed: 0, updated: 0, replaced: 0, unknown: 0, unchanged: 5 });
    assert.deepEqual(d.statefulAtRisk, []);
    // The engine's own example (step_generator.go inheritedChildAlias): the parent's old name replaces the prefix.
    assert.deepEqual(aliasUrns(to.resources[1], new Map([[newApp.urn, app.urn]])), [from.resources[1].urn]);
    // Without the parent's match there is nothing to inherit: a volume and a cluster would be deleted.
    assert.deepEqual(aliasUrns(to.resources[1]), []);
  });

  it("resolves an alias's parent through the parent's own alias: moved out of a re-typed component into another", () => {
    const KEY = "aws:kms/key:Key";
    const old = resource("scaling:x:Db", "db", {}, { custom: false });
    const key = resource(KEY, "key", {}, { urn: engineUrn(PROJECT, STACK, old.urn, KEY, "key"), parent: old.urn });
    // A URN names its parent by type only, so only a parent whose type changed makes this matter.
    const renamed = resource("scaling:y:Database", "database", {}, { custom: false, aliases: [{ name: "db", type: "scaling:x:Db" }] });
    const keys = resource("scaling:x:Keys", "keys", {}, { custom: false });
    // The key moves under `keys`; its alias names its old parent by the parent's *new* URN.
    const moved = resource(
      KEY,
      "key",
      {},
      { urn: engineUrn(PROJECT, STACK, keys.urn, KEY, "key"), parent: keys.urn, aliases: [{ parentUrn: renamed.urn }] },
    );
    const d = comparePlans(capture(old, key), capture(renamed, keys, moved), triggers);
    assert.deepEqual(d.counts, { added: 1, removed: 0, updated: 0, replaced: 0, unknown: 0, unchanged: 2 });
    assert.deepEqual(
      d.added.map((r) => r.name),
      ["keys"],
    );
    assert.deepEqual(d.statefulAtRisk, []);
  });

  it("treats a resource created in the update as unknown to its dependents: a key moved without an alias replaces the cluster", () => {
    const KEY = "aws:kms/key:Key";
    const keyArn = "arn:aws:kms:us-east-1:123456789012:key/same-in-both-mocks";
    const oldKey = resource(KEY, "data-key", { description: "db" });
    // The same key under a new parent and no alias: a new URN, so a real preview creates it and
    // its ARN is unknown until then, though the mock gives both the same ARN.
    const newKey = resource(KEY, "data-key", { description: "db" }, { urn: urnOf("scaling:x:Comp$" + KEY, "data-key") });
    const cluster = (keyUrn: string) =>
      resource(CLUSTER, "db", { engine: "aurora-postgresql", kmsKeyId: keyArn }, { propertyDependencies: { kmsKeyId: [keyUrn] } });
    const diff = comparePlans(capture(oldKey, cluster(oldKey.urn)), capture(newKey, cluster(newKey.urn)), triggers);
    assert.deepEqual(
      diff.replaced.map((r) => r.name),
      ["db"],
    );
    assert.match(diff.replaced[0].reasons.join(), /kmsKeyId.*becomes unknown.*is created/);
    assert.deepEqual(diff.statefulAtRisk.map((r) => `${r.change} ${r.name}`).sort(), ["removed data-key", "replaced db"]);
  });

  it("skips inputs the target resource ignores", () => {
    const from = capture(resource(CLUSTER, "db", { engine: "aurora-postgresql" }));
    const to = capture(
      resource(
        CLUSTER,
        "db",
        { engine: "aurora-postgresql", globalClusterIdentifier: "g" },
        { ignoreChanges: ["globalClusterIdentifier"] },
      ),
    );
    assert.equal(comparePlans(from, to, triggers).unchanged, 1);
  });

  it("evaluates conditional triggers: EC2 instance type across CPU architectures, ElastiCache transit encryption, LB subnets", () => {
    assert.equal(instanceArchitecture("t4g.small"), "arm64");
    assert.equal(instanceArchitecture("m7i.large"), "x86_64");
    const host = (instanceType: string) => capture(resource(INSTANCE, "host", { instanceType }));
    const sameArch = comparePlans(host("t4g.small"), host("t4g.medium"), triggers);
    assert.equal(sameArch.counts.updated, 1);
    assert.equal(sameArch.counts.replaced, 0);
    const crossArch = comparePlans(host("t4g.small"), host("t3.medium"), triggers);
    assert.equal(crossArch.counts.replaced, 1);
    assert.ok(crossArch.replaced[0].reasons.some((r) => r.includes("instanceType")));

    const cache = (engineVersion: string, transitEncryptionEnabled: boolean) =>
      capture(resource(CACHE, "cache", { engine: "redis", engineVersion, transitEncryptionEnabled }));
    assert.equal(comparePlans(cache("6.2", false), cache("6.2", true), triggers).counts.replaced, 1);
    assert.equal(comparePlans(cache("7.1", false), cache("7.1", true), triggers).counts.replaced, 0);
    assert.equal(comparePlans(cache("7.1", false), cache("7.1", true), triggers).counts.updated, 1);

    const lb = (loadBalancerType: string, subnets: string[]) =>
      capture(resource("aws:lb/loadBalancer:LoadBalancer", "lb", { loadBalancerType, subnets }));
    assert.equal(comparePlans(lb("application", ["a", "b"]), lb("application", ["a", "b", "c"]), triggers).counts.updated, 1);
    assert.equal(comparePlans(lb("network", ["a", "b"]), lb("network", ["a", "c"]), triggers).counts.replaced, 1);
    assert.equal(comparePlans(lb("network", ["a", "b"]), lb("network", ["a", "b", "c"]), triggers).counts.replaced, 0);
  });
});

describe("conditional triggers of the types read from v6.58.0", () => {
  const verdict = (type: string, from: Record<string, unknown>, to: Record<string, unknown>) => {
    const d = comparePlans(capture(resource(type, "r", from)), capture(resource(type, "r", to)), triggers);
    return d.counts.replaced === 1 ? "replace" : d.counts.updated === 1 ? "update" : "same";
  };
  const EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
  const cases: [string, Record<string, unknown>, Record<string, unknown>, string][] = [
    [EGRESS, { securityGroupId: "sg-1", cidrIpv4: "0.0.0.0/0" }, { securityGroupId: "sg-1", cidrIpv4: "10.0.0.0/8" }, "update"],
    [EGRESS, { securityGroupId: "sg-1", cidrIpv4: "0.0.0.0/0" }, { securityGroupId: "sg-1", referencedSecurityGroupId: "sg-2" }, "replace"],
    [EGRESS, { securityGroupId: "sg-1", cidrIpv4: "0.0.0.0/0" }, { securityGroupId: "sg-2", cidrIpv4: "0.0.0.0/0" }, "replace"],
    ["aws:ssm/parameter:Parameter", { name: "/a", tier: "Advanced" }, { name: "/a", tier: "Standard" }, "replace"],
    ["aws:ssm/parameter:Parameter", { name: "/a", tier: "Standard" }, { name: "/a", tier: "Advanced" }, "update"],
    ["aws:ssm/parameter:Parameter", { name: "/a", value: "1" }, { name: "/a", value: "2" }, "update"],
    ["aws:acm/certificate:Certificate", { domainName: "a.example.com" }, { domainName: "b.example.com" }, "replace"],
    [
      "aws:secretsmanager/secretVersion:SecretVersion",
      { secretId: "s", secretString: "x" },
      { secretId: "s", secretString: "y" },
      "replace",
    ],
    [
      "aws:ec2/vpc:Vpc",
      { cidrBlock: "10.0.0.0/16", instanceTenancy: "dedicated" },
      { cidrBlock: "10.0.0.0/16", instanceTenancy: "default" },
      "update",
    ],
    ["aws:ec2/vpc:Vpc", { cidrBlock: "10.0.0.0/16" }, { cidrBlock: "10.1.0.0/16" }, "replace"],
    ["random:index/randomPassword:RandomPassword", { length: 40, special: false }, { length: 41, special: false }, "replace"],
    ["random:index/randomPassword:RandomPassword", { length: 40, keepers: { a: "1" } }, { length: 40, keepers: { a: "2" } }, "replace"],
  ];
  for (const [type, from, to, expected] of cases)
    it(`${type.split(":").pop()}: ${JSON.stringify(from)} → ${JSON.stringify(to)} is ${expected}`, () => {
      assert.equal(verdict(type, from, to), expected);
    });
});

describe("comparePlans on real plans", () => {
  it("dev stage 2 → 3 keeps the data volume (same URN, not at risk) and adds the Aurora cluster", async () => {
    const from = await plan({ stack: "dev", stage: 2 });
    const to = await plan({ stack: "dev", stage: 3 });
    const diff = comparePlans(from, to, triggers);
    const volumes = from.resources.filter((r) => r.type === VOLUME);
    assert.equal(volumes.length, 1);
    const volume = volumes[0];
    assert.ok(
      to.resources.some((r) => r.urn === volume.urn),
      "the stage-3 plan has the volume under the same URN",
    );
    assert.ok(!diff.removed.some((r) => r.urn === volume.urn));
    assert.ok(!diff.replaced.some((r) => r.urn === volume.urn));
    assert.ok(!diff.statefulAtRisk.some((r) => r.urn === volume.urn));
    const clusters = to.resources.filter((r) => r.type === CLUSTER);
    assert.ok(clusters.length > 0);
    for (const c of clusters)
      assert.ok(
        diff.added.some((a) => a.urn === c.urn),
        c.urn,
      );
    // Every resource of both plans is accounted for exactly once.
    const c = diff.counts;
    assert.equal(c.added + c.updated + c.replaced + c.unchanged, to.resources.length);
    assert.equal(c.removed + c.updated + c.replaced + c.unchanged, from.resources.length);
  });
});

describe("replacements cascade as in a preview", () => {
  const SUBNET = "aws:ec2/subnet:Subnet";
  const DB_SUBNETS = "aws:rds/subnetGroup:SubnetGroup";
  const INSTANCE_DB = "aws:rds/clusterInstance:ClusterInstance";
  const dep = (type: string, name: string) => urnOf(type, name);

  /** VPC → subnet → DB subnet group → cluster, each input wired through propertyDependencies. */
  function chain(opts: { cidr: string; groupName?: string }): Capture {
    return capture(
      resource("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: opts.cidr }),
      resource(
        SUBNET,
        "data-0",
        { vpcId: "vpc-1", cidrBlock: "10.0.0.0/20" },
        { propertyDependencies: { vpcId: [dep("aws:ec2/vpc:Vpc", "vpc")] } },
      ),
      resource(
        DB_SUBNETS,
        "db-subnets",
        { subnetIds: ["subnet-1"], ...(opts.groupName ? { name: opts.groupName } : {}) },
        { propertyDependencies: { subnetIds: [dep(SUBNET, "data-0")] } },
      ),
      resource(
        CLUSTER,
        "db",
        { engine: "aurora-postgresql", dbSubnetGroupName: opts.groupName ?? "db-subnets-1234567" },
        {
          propertyDependencies: { dbSubnetGroupName: [dep(DB_SUBNETS, "db-subnets")] },
        },
      ),
      resource(
        INSTANCE_DB,
        "db-1",
        { clusterIdentifier: "db-abc", engine: "aurora-postgresql" },
        {
          propertyDependencies: { clusterIdentifier: [dep(CLUSTER, "db")] },
        },
      ),
    );
  }

  it("a replaced VPC makes its subnets' vpcId unknown, which replaces them; an updatable input that goes unknown is an update", () => {
    const d = comparePlans(chain({ cidr: "10.0.0.0/16", groupName: "db" }), chain({ cidr: "10.1.0.0/16", groupName: "db" }), triggers);
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["vpc", "data-0"],
    );
    const subnet = d.replaced[1];
    assert.deepEqual(subnet.cascadeFrom, [dep("aws:ec2/vpc:Vpc", "vpc")]);
    assert.ok(subnet.reasons.some((r) => r.includes('"vpcId"') && r.includes("unknown")));
    // subnetIds of a DB subnet group is not ForceNew: unknown, updated in place, and the group's
    // explicit name stays known, so the cluster keeps its dbSubnetGroupName and is not touched.
    assert.deepEqual(
      d.updated.map((r) => [r.name, r.changes.map((c) => [c.path, c.unknownBecause !== undefined])]),
      [["db-subnets", [["subnetIds", true]]]],
    );
    assert.deepEqual(d.statefulAtRisk, []);
  });

  it("a replaced DB subnet group replaces the cluster (dbSubnetGroupName unknown) and then its instances (clusterIdentifier unknown)", () => {
    const d = comparePlans(chain({ cidr: "10.0.0.0/16" }), chain({ cidr: "10.1.0.0/16" }), triggers);
    const groupInputsChanged = comparePlans(
      capture(resource(DB_SUBNETS, "g", { subnetIds: ["a"], name: "x" })),
      capture(resource(DB_SUBNETS, "g", { subnetIds: ["a"], name: "y" })),
      triggers,
    );
    assert.equal(groupInputsChanged.counts.replaced, 1, "name is ForceNew on a DB subnet group");
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["vpc", "data-0"],
      "subnetIds alone never replaces the group",
    );
    const forced = comparePlans(
      chain({ cidr: "10.0.0.0/16", groupName: "old" }),
      chain({ cidr: "10.0.0.0/16", groupName: "new" }),
      triggers,
    );
    assert.deepEqual(
      forced.replaced.map((r) => r.name),
      ["db-subnets", "db", "db-1"],
    );
    assert.deepEqual(
      forced.statefulAtRisk.map((r) => [r.name, r.change]),
      [
        ["db", "replaced"],
        ["db-1", "replaced"],
      ],
    );
    assert.ok(forced.replaced[1].reasons.some((r) => r.includes('"dbSubnetGroupName"')));
    assert.ok(forced.replaced[2].reasons.some((r) => r.includes('"clusterIdentifier" becomes unknown')));
  });

  it("an input that only echoes the replaced resource's own inputs stays known, unless the replacement deletes first", () => {
    const cluster = resource(
      CLUSTER,
      "db",
      { dbSubnetGroupName: "same" },
      { propertyDependencies: { dbSubnetGroupName: [dep(DB_SUBNETS, "g")] } },
    );
    // Auto-named (no explicit name): created before the old one is deleted; the echoed value stays known.
    const autoNamed = comparePlans(
      capture(resource(DB_SUBNETS, "g", { subnetIds: ["a"], description: "old" }), cluster),
      capture(resource(DB_SUBNETS, "g", { subnetIds: ["a"], description: "same" }), cluster),
      { ...triggers, [DB_SUBNETS]: { forceNew: ["description"], forceNewNested: [], conditional: [] } },
    );
    assert.deepEqual(
      autoNamed.replaced.map((r) => r.name),
      ["g"],
    );
    assert.equal(autoNamed.unchanged, 1);
    // An explicit name makes the bridge replace it delete-first, and the engine then treats every
    // dependent input as unknown (calculateDependentReplacements): the cluster is replaced too.
    const named = comparePlans(
      capture(resource(DB_SUBNETS, "g", { subnetIds: ["a"], name: "old" }), cluster),
      capture(resource(DB_SUBNETS, "g", { subnetIds: ["a"], name: "same" }), cluster),
      triggers,
    );
    assert.deepEqual(
      named.replaced.map((r) => r.name),
      ["g", "db"],
    );
    assert.deepEqual(
      named.statefulAtRisk.map((r) => `${r.change} ${r.name}`),
      ["replaced db"],
    );
  });

  it("a resource whose provider is replaced is replaced", () => {
    const provider = resource("pulumi:providers:aws", "p", { region: "us-east-1" });
    const child = (region: string) =>
      resource(VOLUME, "v", { availabilityZone: `${region}a` }, { provider: `${provider.urn}::id`, region });
    const d = comparePlans(
      capture(provider, child("us-east-1")),
      capture({ ...provider, inputs: { region: "us-east-1" } }, child("us-east-1")),
      { ...triggers, "pulumi:providers:aws": { forceNew: ["region"], forceNewNested: [], conditional: [] } },
    );
    assert.equal(d.counts.replaced, 0);
    const moved = comparePlans(
      capture(provider, child("us-east-1")),
      capture({ ...provider, region: "eu-west-1", inputs: { region: "eu-west-1" } }, child("us-east-1")),
      { ...triggers, "pulumi:providers:aws": { forceNew: ["region"], forceNewNested: [], conditional: [] } },
    );
    assert.deepEqual(
      moved.replaced.map((r) => [r.name, r.cascadeFrom]),
      [
        ["p", []],
        ["v", [provider.urn]],
      ],
    );
  });

  it("never calls a change to a type missing from the trigger file an update: it is unknown, and at risk when stateful", () => {
    const d = comparePlans(
      capture(resource("aws:ec2/madeUp:MadeUp", "x", { a: 1 }), resource(VOLUME, "v", { size: 1 })),
      capture(resource("aws:ec2/madeUp:MadeUp", "x", { a: 2 }), resource(VOLUME, "v", { size: 1 })),
      triggers,
    );
    assert.deepEqual(
      d.unknown.map((r) => r.name),
      ["x"],
    );
    assert.equal(d.counts.updated, 0);
    const withoutVolume = Object.fromEntries(Object.entries(triggers).filter(([type]) => type !== VOLUME));
    const volume = comparePlans(capture(resource(VOLUME, "v", { size: 1 })), capture(resource(VOLUME, "v", { size: 2 })), withoutVolume);
    assert.deepEqual(
      volume.statefulAtRisk.map((r) => [r.name, r.change]),
      [["v", "unknown"]],
    );
  });
});

describe("which replacements delete first (the program's option, else the bridge's name rule)", () => {
  const orders = loadReplaceOrders();
  const DB_SUBNETS = "aws:rds/subnetGroup:SubnetGroup";
  const INSTANCE_DB = "aws:rds/clusterInstance:ClusterInstance";

  it("deletes first exactly when the program set an autonamed input, the provider asks for it, or the option says so", () => {
    const r = (type: string, inputs: Record<string, unknown>, extra: Partial<ResourceRecord> = {}) => resource(type, "r", inputs, extra);
    assert.equal(deletesFirst(r(DB_SUBNETS, { name: "db", subnetIds: [] }), orders), true, "a DB subnet group's name is autonamed");
    assert.equal(deletesFirst(r(DB_SUBNETS, { subnetIds: [] }), orders), false, "left to the autonamer");
    assert.equal(
      deletesFirst(r("aws:cloudwatch/metricAlarm:MetricAlarm", { name: "cpu-high" }), orders),
      true,
      "alarm_name is autonamed as name",
    );
    assert.equal(deletesFirst(r("aws:s3/bucket:Bucket", { bucket: "assets" }), orders), true, "bucket is autonamed");
    // Identifiers the bridge does not autoname give no delete-first replacement, even when set.
    assert.equal(deletesFirst(r(CLUSTER, { clusterIdentifier: "db" }), orders), false);
    assert.equal(deletesFirst(r("aws:rds/globalCluster:GlobalCluster", { globalClusterIdentifier: "g" }), orders), false);
    assert.equal(deletesFirst(r("aws:route53/record:Record", { name: "www.example.com" }), orders), false, "records are not autonamed");
    // ResourceInfo.DeleteBeforeReplace, with no name at all.
    assert.equal(deletesFirst(r("aws:iam/rolePolicyAttachment:RolePolicyAttachment", { role: "x", policyArn: "y" }), orders), true);
    // The program's option wins both ways (step_generator.go lines 2043-2047).
    assert.equal(
      deletesFirst(r(DB_SUBNETS, { name: "db" }, { deleteBeforeReplace: false, deleteBeforeReplaceDefined: true }), orders),
      false,
    );
    assert.equal(deletesFirst(r(CLUSTER, {}, { deleteBeforeReplace: true, deleteBeforeReplaceDefined: true }), orders), true);
    // A type the data does not know is assumed to delete first: that hides no cascade.
    assert.equal(deletesFirst(r("aws:ec2/madeUp:MadeUp", {}), orders), true);
  });

  /** A cluster replaced through a ForceNew input, and an instance whose clusterIdentifier echoes the cluster's. */
  function clusterAndInstance(forceNewValue: string, clusterExtra: Partial<ResourceRecord> = {}): Capture {
    const key = triggers[CLUSTER].forceNew.find((k) => k !== "clusterIdentifier" && k !== "availabilityZones")!;
    return capture(
      resource(CLUSTER, "db", { clusterIdentifier: "orders-db", [key]: forceNewValue }, clusterExtra),
      resource(
        INSTANCE_DB,
        "db-0",
        { clusterIdentifier: "orders-db", instanceClass: "db.r6g.large" },
        { propertyDependencies: { clusterIdentifier: [urnOf(CLUSTER, "db")] } },
      ),
    );
  }

  it("an explicitly named cluster is replaced create-before-delete (clusterIdentifier is not autonamed): its instance keeps the echoed identifier", () => {
    const d = comparePlans(clusterAndInstance("a"), clusterAndInstance("b"), triggers);
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["db"],
    );
    assert.equal(d.unchanged, 1, "the instance's clusterIdentifier stays known");
  });

  it("the program's deleteBeforeReplace makes the same replacement cascade to the instance", () => {
    const option = { deleteBeforeReplace: true, deleteBeforeReplaceDefined: true };
    const d = comparePlans(clusterAndInstance("a", option), clusterAndInstance("b", option), triggers);
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["db", "db-0"],
    );
    assert.match(d.replaced[1].reasons.join(), /"clusterIdentifier" becomes unknown: Cluster db is replaced/);
  });

  it("deleteBeforeReplace: false on a named DB subnet group keeps its dependents' echoed name known", () => {
    const group = (description: string) =>
      resource(
        DB_SUBNETS,
        "g",
        { subnetIds: ["a"], name: "orders", description },
        { deleteBeforeReplace: false, deleteBeforeReplaceDefined: true },
      );
    const cluster = resource(
      CLUSTER,
      "db",
      { dbSubnetGroupName: "orders" },
      { propertyDependencies: { dbSubnetGroupName: [urnOf(DB_SUBNETS, "g")] } },
    );
    const forced = { ...triggers, [DB_SUBNETS]: { forceNew: ["description"], forceNewNested: [], conditional: [] } };
    const d = comparePlans(capture(group("old"), cluster), capture(group("new"), cluster), forced);
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["g"],
    );
    assert.deepEqual(d.statefulAtRisk, []);
  });

  it("a delete-first replacement cascades through every dependent it replaces: a named subnet group, its create-first cluster, the cluster's instance", () => {
    // The cluster alone would be replaced create-before-delete (clusterIdentifier is not
    // autonamed) and its instance would keep the echoed identifier; but the cluster is replaced
    // because the group is deleted first, so the engine (calculateDependentReplacements) puts it
    // in the same delete-first set and makes the instance's identifier unknown too.
    const group = (description: string) => resource(DB_SUBNETS, "g", { subnetIds: ["a"], name: "orders", description });
    const cluster = resource(
      CLUSTER,
      "db",
      { clusterIdentifier: "orders-db", dbSubnetGroupName: "orders" },
      { propertyDependencies: { dbSubnetGroupName: [urnOf(DB_SUBNETS, "g")] } },
    );
    const instance = resource(
      INSTANCE_DB,
      "db-0",
      { clusterIdentifier: "orders-db", instanceClass: "db.r6g.large" },
      { propertyDependencies: { clusterIdentifier: [urnOf(CLUSTER, "db")] } },
    );
    const forced = { ...triggers, [DB_SUBNETS]: { forceNew: ["description"], forceNewNested: [], conditional: [] } };
    const d = comparePlans(capture(group("old"), cluster, instance), capture(group("new"), cluster, instance), forced);
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["g", "db", "db-0"],
    );
    assert.match(d.replaced[2].reasons.join(), /"clusterIdentifier" becomes unknown: Cluster db is replaced/);
  });
});

describe("outputs an in-place update recomputes (UPDATE_RECOMPUTED)", () => {
  const LT = "aws:ec2/launchTemplate:LaunchTemplate";
  const ASG = "aws:autoscaling/group:Group";
  const template = (inputs: Record<string, unknown>) =>
    resource(
      LT,
      "web-lt",
      { updateDefaultVersion: true, ...inputs },
      { id: "lt-1", outputs: { ...inputs, latestVersion: 1, defaultVersion: 1 } },
    );
  const group = resource(
    ASG,
    "web-asg",
    { launchTemplate: { id: "lt-1", version: "1" }, minSize: 2 },
    { propertyDependencies: { launchTemplate: [urnOf(LT, "web-lt")] } },
  );

  it("a launch template change makes the group's launchTemplate.version unknown: the group is updated too", () => {
    const d = comparePlans(
      capture(template({ instanceType: "t4g.small" }), group),
      capture(template({ instanceType: "t4g.large" }), group),
      triggers,
    );
    assert.deepEqual(
      d.updated.map((r) => r.name),
      ["web-lt", "web-asg"],
    );
    assert.match(d.updated[1].changes[0].unknownBecause ?? "", /LaunchTemplate web-lt is updated \(its latestVersion is recomputed\)/);
  });

  it("a description-only change recomputes no version: the group is unchanged", () => {
    const d = comparePlans(
      capture(template({ instanceType: "t4g.small", description: "a" }), group),
      capture(template({ instanceType: "t4g.small", description: "b" }), group),
      triggers,
    );
    assert.deepEqual(
      d.updated.map((r) => r.name),
      ["web-lt"],
    );
    assert.equal(d.unchanged, 1);
  });
});

describe("what a create-before-delete replacement changes for its dependents", () => {
  it("an attribute AWS picks (planned unknown) changes on replacement; a fixed schema default does not", () => {
    // A cluster instance left to AWS for its AZ: a replacement may land elsewhere, so a tag that
    // echoes the old AZ is not a safe echo (the old code took every modelled attribute as fixed).
    const DBI = "aws:rds/clusterInstance:ClusterInstance";
    const EBS = "aws:ebs/volume:Volume";
    const instance = (instanceClass: string) =>
      resource(
        DBI,
        "db-0",
        { clusterIdentifier: "c", instanceClass, tags: { placedIn: "us-east-1a" } },
        {
          id: "db-0-id",
          outputs: { clusterIdentifier: "c", instanceClass, tags: { placedIn: "us-east-1a" }, availabilityZone: "us-east-1a" },
        },
      );
    const volume = resource(
      EBS,
      "scratch",
      { availabilityZone: "us-east-1a", size: 10 },
      { propertyDependencies: { availabilityZone: [urnOf(DBI, "db-0")] } },
    );
    const forced = { ...triggers, [DBI]: { forceNew: ["instanceClass"], forceNewNested: [], conditional: [] } };
    const d = comparePlans(capture(instance("db.r6g.large"), volume), capture(instance("db.r6g.xlarge"), volume), forced);
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["db-0", "scratch"],
    );
  });

  const SG = "aws:ec2/securityGroup:SecurityGroup";
  const RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
  const sgId = "sg-0123456789abcdef0";
  /** An autonamed security group (created before the old one is deleted) with the outputs a capture records. */
  const group = (description: string, tags: Record<string, string>) =>
    resource(
      SG,
      "web",
      { description, vpcId: "vpc-1", tags },
      {
        id: sgId,
        outputs: {
          description,
          vpcId: "vpc-1",
          tags,
          name: "web-1a2b3c4",
          arn: `arn:aws:ec2:us-east-1:123456789012:security-group/${sgId}`,
        },
      },
    );
  const rule = (inputs: Record<string, unknown>, key: string) =>
    resource(RULE, "web-in", { cidrIpv4: "10.0.0.0/8", ...inputs }, { propertyDependencies: { [key]: [urnOf(SG, "web")] } });

  it("an input taken from the replaced group's id is unknown, even when one of the group's own inputs holds the same string", () => {
    // The group's tag happens to hold its id: value matching alone would call the rule's
    // securityGroupId an echo of that tag, but it came from the id, which the replacement changes.
    const tags = { Self: sgId };
    const d = comparePlans(
      capture(group("old", tags), rule({ securityGroupId: sgId }, "securityGroupId")),
      capture(group("new", tags), rule({ securityGroupId: sgId }, "securityGroupId")),
      triggers,
    );
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["web", "web-in"],
    );
    assert.match(d.replaced[1].reasons.join(), /forceNew input "securityGroupId" becomes unknown: SecurityGroup web is replaced/);
  });

  it("an input built around the replaced group's id (a path, a policy document) is unknown too", () => {
    const PARAM = "aws:ssm/parameter:Parameter";
    const path = `/firewall/${sgId}/rules`;
    const tags = { Path: path };
    const param = resource(
      PARAM,
      "rules",
      { name: path, type: "String", value: "[]" },
      { propertyDependencies: { name: [urnOf(SG, "web")] } },
    );
    const d = comparePlans(capture(group("old", tags), param), capture(group("new", tags), param), triggers);
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["web", "rules"],
    );
  });

  it("an input that holds a value equal to an unrelated input of the replaced group stays known", () => {
    // securityGroupId came through the group (propertyDependencies), but its value is one of the
    // group's own inputs, which the replacement's planned state echoes: nothing the replacement changes.
    const tags = { Peer: "sg-0fedcba9876543210" };
    const d = comparePlans(
      capture(group("old", tags), rule({ securityGroupId: "sg-0fedcba9876543210" }, "securityGroupId")),
      capture(group("new", tags), rule({ securityGroupId: "sg-0fedcba9876543210" }, "securityGroupId")),
      triggers,
    );
    assert.deepEqual(
      d.replaced.map((r) => r.name),
      ["web"],
    );
    assert.equal(d.unchanged, 1);
  });
});

describe("cascades on the real graph", () => {
  const STAGE3 = { stack: "dev", stage: 3 };

  it("shifting the VPC CIDR replaces the VPC, every subnet, security group and route table, and the host placed in them", async () => {
    const d = comparePlans(await plan(STAGE3), await plan({ ...STAGE3, set: ["network.cidr=10.1.0.0/16"] }), triggers);
    const replacedTypes = new Set(d.replaced.map((r) => r.type));
    for (const type of [
      "aws:ec2/vpc:Vpc",
      "aws:ec2/subnet:Subnet",
      "aws:ec2/securityGroup:SecurityGroup",
      "aws:ec2/routeTable:RouteTable",
      "aws:ec2/routeTableAssociation:RouteTableAssociation",
      INSTANCE,
      "aws:ec2/volumeAttachment:VolumeAttachment",
    ])
      assert.ok(replacedTypes.has(type), `${type} is replaced`);
    const host = d.replaced.find((r) => r.type === INSTANCE)!;
    assert.ok(host.reasons.some((r) => r.includes('"subnetId" becomes unknown')));
    // The data volume and the cluster keep their replace-triggering inputs (availabilityZone,
    // dbSubnetGroupName: the group has a fixed name and is only updated), so nothing stateful goes.
    assert.deepEqual(d.statefulAtRisk, []);
    const group = d.updated.find((r) => r.type === "aws:rds/subnetGroup:SubnetGroup");
    assert.ok(
      group?.changes.some((c) => c.path === "subnetIds" && c.unknownBecause),
      "the DB subnet group's subnets are unknown",
    );
  });

  it("shifting only the subnet CIDRs replaces every subnet and cascades to what is placed in them", async () => {
    const from = await plan(STAGE3);
    const shifted: Capture = {
      ...from,
      resources: from.resources.map((r) =>
        r.type === "aws:ec2/subnet:Subnet"
          ? { ...r, inputs: { ...r.inputs, cidrBlock: r.inputs.cidrBlock.replace(/^10\.0\./, "10.0.128.") } }
          : r,
      ),
    };
    const subnets = from.resources.filter((r) => r.type === "aws:ec2/subnet:Subnet");
    assert.ok(subnets.length >= 4);
    const d = comparePlans(from, shifted, triggers);
    for (const s of subnets)
      assert.ok(
        d.replaced.some((r) => r.urn === s.urn && r.reasons.includes('forceNew input "cidrBlock"')),
        s.name,
      );
    assert.ok(
      d.replaced.some((r) => r.type === INSTANCE && r.cascadeFrom.length > 0),
      "the host in a public subnet is replaced",
    );
    assert.equal(d.replaced.filter((r) => r.type === "aws:ec2/vpc:Vpc").length, 0, "the VPC itself stays");
  });

  it("a DB subnet group replaced on the real graph takes the cluster and its instances with it", async () => {
    const from = await plan({ stack: "dev", stage: 4 });
    const renamed: Capture = {
      ...from,
      resources: from.resources.map((r) =>
        r.type === "aws:rds/subnetGroup:SubnetGroup" ? { ...r, inputs: { ...r.inputs, name: "renamed" } } : r,
      ),
    };
    const d = comparePlans(from, renamed, triggers);
    const atRisk = d.statefulAtRisk.map((r) => r.type).sort();
    const clusters = from.resources.filter((r) => r.type === CLUSTER).length;
    const instances = from.resources.filter((r) => r.type === "aws:rds/clusterInstance:ClusterInstance").length;
    assert.ok(clusters >= 1 && instances >= 2);
    assert.deepEqual(
      atRisk,
      [...Array(clusters).fill(CLUSTER), ...Array(instances).fill("aws:rds/clusterInstance:ClusterInstance")].sort(),
    );
  });
});

describe("the trigger file covers the program", () => {
  it("has an entry for every type the dev and prod stacks create at every stage", async () => {
    const missing = [...(await createdTypes())].filter((t) => !triggers[t]).sort();
    assert.deepEqual(missing, [], `types missing from data/replace-triggers.json: ${missing.join(", ")}`);
  });

  it("says for every type the dev and prod stacks create how the provider orders its replacement (data/delete-before-replace.json)", async () => {
    const orders = loadReplaceOrders();
    const missing = [...(await createdTypes())].filter((t) => !orders[t]).sort();
    assert.deepEqual(missing, [], "types missing from data/delete-before-replace.json");
  });

  it("the dynamic Amplify deployment's entry says what its provider's diff replaces", async () => {
    const { amplifyDeploymentProvider } = await import("../components/siteDeployment");
    const type = "pulumi-nodejs:dynamic/site:AmplifyDeployment";
    const deployment = (await plan({ stack: "dev", stage: 1 })).resources.find((r) => r.type === type)!;
    const olds = deployment.inputs as never;
    for (const key of ["region", "appId", "branchName", "contentHash", "timeoutSeconds"]) {
      const news = { ...deployment.inputs, [key]: key === "timeoutSeconds" ? 1 : "other" } as never;
      const result = await amplifyDeploymentProvider.diff!("id", olds, news);
      assert.equal((result.replaces ?? []).includes(key), triggers[type].forceNew.includes(key), key);
    }
  });
});

describe("aliases on the real graph", () => {
  it("a data volume moved to another parent, renamed, or into another project/stack is matched through its structured alias", async () => {
    const from = await plan({ stack: "dev", stage: 3 });
    const volume = from.resources.find((r) => r.type === VOLUME)!;
    const newParent = from.resources.find((r) => !r.custom && r.urn !== volume.parent && !r.type.startsWith("pulumi:"))!;
    const move = (changes: Partial<ResourceRecord>, project = from.project, stack = from.stack): Capture => {
      const moved = { ...volume, ...changes };
      moved.urn = engineUrn(project, stack, moved.parent ?? "", moved.type, moved.name);
      return { ...from, project, stack, resources: from.resources.map((r) => (r.urn === volume.urn ? moved : r)) };
    };
    const cases: [string, Capture][] = [
      ["parent", move({ parent: newParent.urn, aliases: [{ parentUrn: volume.parent! }] })],
      ["name", move({ name: "renamed-volume", aliases: [{ name: volume.name }] })],
      ["no parent", move({ parent: null, aliases: [{ parentUrn: volume.parent! }] })],
      ["project and stack", move({ aliases: [{ project: from.project, stack: from.stack }] }, "renamed-project", "other")],
    ];
    for (const [what, to] of cases) {
      const d = comparePlans(from, to, triggers);
      assert.deepEqual(d.statefulAtRisk, [], `moved by ${what}: not at risk`);
      assert.ok(!d.added.some((r) => r.type === VOLUME), `moved by ${what}: not created again`);
      assert.ok(!d.removed.some((r) => r.urn === volume.urn), `moved by ${what}: not removed`);
      const withoutAlias = comparePlans(
        from,
        { ...to, resources: to.resources.map((r) => (r.type === VOLUME ? { ...r, aliases: [] } : r)) },
        triggers,
      );
      assert.ok(
        withoutAlias.statefulAtRisk.some((r) => r.urn === volume.urn && r.change === "removed"),
        `moved by ${what} without the alias: the volume would be deleted`,
      );
    }
  });
});

describe("inherited aliases on the real graph", () => {
  /**
   * The plan with one component re-typed and renamed, every URN under it rebuilt as the engine
   * would (children's type chains follow the parent) and every reference to them rewritten.
   */
  function moveComponent(c: Capture, urn: string, type: string, name: string, aliases: ResourceRecord["aliases"]): Capture {
    const renamed = new Map<string, string>();
    const resources = c.resources.map((r) => {
      const parent = r.parent ? (renamed.get(r.parent) ?? r.parent) : null;
      const moved = r.urn === urn ? { ...r, type, name, aliases } : { ...r, parent };
      moved.urn = engineUrn(c.project, c.stack, moved.parent ?? "", moved.type, moved.name);
      if (moved.urn !== r.urn) renamed.set(r.urn, moved.urn);
      return moved;
    });
    const remap = (u: string) => renamed.get(u) ?? u;
    return {
      ...c,
      resources: resources.map((r) => ({
        ...r,
        dependencies: r.dependencies.map(remap),
        propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, deps]) => [k, deps.map(remap)])),
      })),
    };
  }

  it("a database tier re-typed and renamed with one alias on the component keeps its cluster, instances and key", async () => {
    const from = await plan({ stack: "dev", stage: 4 });
    const tier = from.resources.find((r) => r.type === "scaling:database:DatabaseTier")!;
    const children = from.resources.filter((r) => r.parent === tier.urn);
    assert.ok(children.some((r) => r.type === CLUSTER) && children.some((r) => r.type === "aws:rds/clusterInstance:ClusterInstance"));
    const to = moveComponent(from, tier.urn, "scaling:data:Databases", `${tier.name}-tier`, [{ type: tier.type, name: tier.name }]);
    assert.ok(!to.resources.some((r) => children.some((child) => child.urn === r.urn)), "every child has a new URN");
    const d = comparePlans(from, to, triggers);
    assert.deepEqual(d.statefulAtRisk, []);
    assert.deepEqual([d.counts.added, d.counts.removed, d.counts.replaced], [0, 0, 0]);
    // The alias on the component is what keeps them: without it the whole tier is deleted and created.
    const noAlias = comparePlans(from, moveComponent(from, tier.urn, "scaling:data:Databases", `${tier.name}-tier`, []), triggers);
    assert.ok(noAlias.statefulAtRisk.some((r) => r.type === CLUSTER && r.change === "removed"));
  });
});

describe("npm run plan -- --compare N --view VIEW: the pack's verdicts a change introduces and resolves", () => {
  const HEALTHY = ["--stack", "dev", "--stage", "4"];
  const READER_POLICY = "aurora-reader-in-another-az";

  it("takes --view as npm run policy does, repeatable, only with --compare; none by default", () => {
    assert.deepEqual(parsePlanArgs(["--compare", "4"]).views, []);
    assert.deepEqual(parsePlanArgs(["--compare", "4", "--view", "preview", "--view", "inputs"]).views, ["inputs", "preview"]);
    assert.deepEqual(parsePlanArgs(["--to-set", "database.readers=0", "--view", "deployed"]).views, ["deployed"]);
    assert.throws(() => parsePlanArgs(["--compare", "4", "--view", "nope"]), /--view takes one of inputs, preview, deployed, got "nope"/);
    assert.throws(() => parsePlanArgs(["--view", "preview"]), /use it with --compare N/);
  });

  it("reports the mandatory violation that dropping the stage-4 reader introduces, on the cluster, and nothing without --view", async () => {
    const cluster = (await plan({ stack: "dev", stage: 4 })).resources.find((r) => r.type === CLUSTER)!;
    const args = [...HEALTHY, "--compare", "4", "--to-set", "database.readers=0", "--json"];
    const doc = JSON.parse((await runPlan([...args, "--view", "inputs"], viewLoader)).stdout);
    assert.deepEqual(
      doc.policy.inputs.introduced.map((v: { enforcementLevel: string; policyName: string; urn: string }) => [
        v.enforcementLevel,
        v.policyName,
        v.urn,
      ]),
      [["mandatory", READER_POLICY, cluster.urn]],
    );
    assert.deepEqual(doc.policy.inputs.resolved, []);
    assert.equal(doc.policy.inputs.to.mandatory - doc.policy.inputs.from.mandatory, 1);
    const text = (await runPlan([...HEALTHY, "--compare", "4", "--to-set", "database.readers=0", "--view", "inputs"], viewLoader)).stdout;
    assert.match(
      text,
      new RegExp(`policy verdicts, view inputs .*1 introduced, 0 resolved[\\s\\S]*\\+ \\[mandatory\\] ${READER_POLICY}  ${cluster.name} `),
    );
    const plain = await runPlan(args, viewLoader);
    assert.equal(JSON.parse(plain.stdout).policy, undefined);
  });

  it("--view preview judges both sides as a first preview, and restoring the reader resolves the violation", async () => {
    const loads: [StackSelection, boolean][] = [];
    const spy = (selection: StackSelection, preview: boolean) => {
      loads.push([selection, preview]);
      return viewLoader(selection, preview);
    };
    const degraded = ["--stack", "dev", "--stage", "4", "--set", "database.readers=0"];
    const run = await runPlan([...degraded, "--compare", "4", "--to-set", "database.readers=1", "--view", "preview", "--json"], spy);
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout);
    assert.deepEqual(
      doc.policy.preview.resolved.map((v: { policyName: string }) => v.policyName),
      [READER_POLICY],
    );
    assert.deepEqual(doc.policy.preview.introduced, []);
    const previews = loads.filter(([, preview]) => preview).map(([selection]) => selection.set);
    assert.deepEqual(previews, [["database.readers=0"], ["database.readers=0", "database.readers=1"]], "a preview of each side");
  });
});
