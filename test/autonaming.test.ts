/**
 * data/autonaming.json: which input pulumi-aws auto-names at Check for each AWS type the program
 * creates, the fact that decides what a first preview knows (tools/mocks.ts reads it).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import autonaming from "../data/autonaming.json";
import { STAGE_NUMBERS } from "../components/stages";
import { UNKNOWN } from "../tools/mocks";
import type { Capture, ResourceRecord } from "../tools/capture";
import { plan, previewPlan } from "./helpers";

const rules: Record<string, { field: string | null }> = autonaming.types;
const selections = [...STAGE_NUMBERS.map((stage) => ({ stack: "dev", stage })), { stack: "prod" }];

/** The inputs the installed SDK declares for a type (`aws:rds/cluster:Cluster` → ClusterArgs), with whether each is optional. */
function sdkArgs(type: string): Map<string, boolean> {
  const [, mod, file, cls] = type.match(/^aws:([^/]+)\/([^:]+):(.+)$/) ?? [];
  const dts = fs.readFileSync(path.join(__dirname, "..", "node_modules", "@pulumi", "aws", mod, `${file}.d.ts`), "utf8");
  const body = dts.split(`export interface ${cls}Args {`)[1]?.split("\n}")[0];
  assert.ok(body, `no ${cls}Args in @pulumi/aws ${mod}/${file}.d.ts`);
  return new Map([...body.matchAll(/^ {4}(\w+)(\?)?: /gm)].map((m) => [m[1], m[2] === "?"]));
}

describe("auto-naming (data/autonaming.json): what pulumi-aws names at Check, known in a first preview", function () {
  this.timeout(300_000);

  it("lists every AWS type the program creates, dev at every stage and prod", async () => {
    const created = new Set<string>();
    for (const selection of selections)
      for (const r of (await plan(selection)).resources) if (r.custom && r.type.startsWith("aws:")) created.add(r.type);
    assert.deepEqual(
      [...created].filter((t) => !(t in rules)),
      [],
      "types missing from data/autonaming.json (read provider/resource_overrides.go and the setAutonaming rule)",
    );
  });

  it("agrees with the installed @pulumi/aws: an auto-named input is optional in the SDK; setAutonaming names every `name` input unless overridden", () => {
    for (const [type, rule] of Object.entries(rules)) {
      const args = sdkArgs(type);
      if (rule.field) assert.equal(args.get(rule.field), true, `${type}: ${rule.field} should be an optional input`);
      // The only override that turns auto-naming off: a Route 53 record's name is its DNS name (required).
      if (args.get("name") === true) assert.equal(rule.field, "name", `${type} has an optional name input: setAutonaming names it`);
      if (!rule.field) assert.notEqual(args.get("name"), true, type);
    }
    assert.equal(sdkArgs("aws:route53/record:Record").get("name"), false);
  });

  it("the offline preview knows exactly the auto-named inputs: a table's name and a cache's id, not their ARNs; not an Aurora cluster's identifier", async () => {
    const preview = await previewPlan({ stack: "prod" });
    const checked = new Set<string>();
    for (const r of preview.resources) {
      const field = rules[r.type]?.field;
      if (!field || r.inputs[field] !== undefined) continue;
      assert.ok(typeof r.outputs?.[field] === "string" && r.outputs[field] !== UNKNOWN, `${r.name}: ${field} should be known`);
      assert.ok(r.outputs?.arn === undefined || r.outputs.arn === UNKNOWN, `${r.name}: arn should be unknown`);
      checked.add(r.type);
    }
    for (const type of [
      "aws:dynamodb/table:Table",
      "aws:elasticache/replicationGroup:ReplicationGroup",
      "aws:secretsmanager/secret:Secret",
    ])
      assert.ok(checked.has(type), type);
    const cluster = preview.resources.find((r) => r.type === "aws:rds/cluster:Cluster" && r.inputs.clusterIdentifier === undefined)!;
    assert.equal(cluster.outputs!.clusterIdentifier, UNKNOWN);
  });
});

describe("grants built from known values name exactly the ARNs AWS reports once the resources exist", function () {
  this.timeout(300_000);
  const byName = (c: Capture, type: string, suffix: string): ResourceRecord => {
    const hits = c.resources.filter((r) => r.type === type && r.name.endsWith(suffix));
    assert.equal(hits.length, 1, `${type} *${suffix}`);
    return hits[0];
  };
  const resources = (grant: ResourceRecord): string[] => JSON.parse(grant.inputs.policy).Statement.flatMap((s: any) => s.Resource);
  /** The same ARN in another region (a global table's replica keeps the table's name). */
  const inRegion = (arn: string, region: string) =>
    arn
      .split(":")
      .map((part, i) => (i === 3 ? region : part))
      .join(":");

  it("prod: the session and NoSQL tables (in every region), the cache group and its IAM user", async () => {
    const c = await plan({ stack: "prod" });
    const sessions = byName(c, "aws:dynamodb/table:Table", "-sessions").outputs!.arn;
    const carts = byName(c, "aws:dynamodb/table:Table", "nosql-carts").outputs!.arn;
    for (const region of ["us-east-1", "eu-west-1"]) {
      assert.deepEqual(resources(byName(c, "aws:iam/rolePolicy:RolePolicy", `${region}-app-sessions-table`)), [inRegion(sessions, region)]);
      assert.deepEqual(resources(byName(c, "aws:iam/rolePolicy:RolePolicy", `${region}-app-nosql-tables`)), [inRegion(carts, region)]);
      assert.deepEqual(resources(byName(c, "aws:iam/rolePolicy:RolePolicy", `${region}-app-cache-connect`)), [
        byName(c, "aws:elasticache/replicationGroup:ReplicationGroup", `${region}-cache`).outputs!.arn,
        byName(c, "aws:elasticache/user:User", `${region}-cache-app-user`).outputs!.arn,
      ]);
    }
  });

  it("dev stage 1: the Lambda may write only its own log group's streams", async () => {
    const c = await plan({ stack: "dev", stage: 1 });
    const logs = byName(c, "aws:cloudwatch/logGroup:LogGroup", "backend-logs");
    assert.deepEqual(resources(byName(c, "aws:iam/rolePolicy:RolePolicy", "backend-logs")), [`${logs.outputs!.arn}:*`]);
  });
});
