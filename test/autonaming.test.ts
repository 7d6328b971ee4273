/**
 * data/autonaming.json: which input pulumi-aws auto-names at Check for each AWS type the program
 * creates, the fact that decides what a first preview knows (tools/mocks.ts reads it).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import autonaming from "../data/autonaming.json";
import { MOCK_ACCOUNT_ID, UNKNOWN } from "../tools/mocks";
import type { Capture, ResourceRecord } from "../tools/capture";
import { createdTypes, plan, previewPlan } from "./helpers";

const rules: Record<string, { field: string | null }> = autonaming.types;

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
    const created = [...(await createdTypes())].filter((t) => t.startsWith("aws:"));
    assert.deepEqual(
      created.filter((t) => !(t in rules)),
      [],
      "types missing from data/autonaming.json (read provider/resource_overrides.go and the setAutonaming rule)",
    );
  });

  it("gives every auto-named input its maximum length (the AutoName/setAutonaming call's maxlen)", () => {
    for (const [type, rule] of Object.entries(autonaming.types as Record<string, { field: string | null; maxLength?: number }>))
      if (rule.field) assert.ok(Number.isInteger(rule.maxLength) && rule.maxLength! > 0, `${type}: ${rule.field} has no maxLength`);
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

/**
 * The resource ARN formats of AWS's Service Authorization Reference ("Actions, resources, and
 * condition keys for <service>", table "Resource types defined by <service>"), written out here,
 * not taken from the code or the mocks. Each captures the name the grant must carry.
 */
const PARTITION = "(aws|aws-cn|aws-us-gov)";
const REGION = "([a-z]{2}(-[a-z]+)+-\\d)";
const ACCOUNT = "(\\d{12})";
const AWS_FORMATS = {
  // list_amazondynamodb.html, resource type `table`: arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}
  dynamodbTable: new RegExp(`^arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/(?<name>[A-Za-z0-9_.-]{3,255})$`),
  // list_amazonelasticache.html, resource type `replicationgroup`: arn:${Partition}:elasticache:${Region}:${Account}:replicationgroup:${ReplicationGroupId}
  elasticacheReplicationGroup: new RegExp(`^arn:${PARTITION}:elasticache:${REGION}:${ACCOUNT}:replicationgroup:(?<name>[a-z][a-z0-9-]*)$`),
  // list_amazonelasticache.html, resource type `user`: arn:${Partition}:elasticache:${Region}:${Account}:user:${UserId}
  elasticacheUser: new RegExp(`^arn:${PARTITION}:elasticache:${REGION}:${ACCOUNT}:user:(?<name>[a-zA-Z][a-zA-Z0-9-]*)$`),
  // list_amazoncloudwatchlogs.html, resource type `log-group`: arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:*
  logGroup: new RegExp(`^arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:(?<name>[\\w#/.-]+):\\*$`),
  // list_awssystemsmanager.html, resource type `parameter`: arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}
  ssmParameter: new RegExp(`^arn:${PARTITION}:ssm:${REGION}:${ACCOUNT}:parameter/(?<name>[\\w./*-]+)$`),
};

describe("grants built from known values match AWS's ARN formats and name the resources they grant", function () {
  this.timeout(300_000);
  const byName = (c: Capture, type: string, suffix: string): ResourceRecord => {
    const hits = c.resources.filter((r) => r.type === type && r.name.endsWith(suffix));
    assert.equal(hits.length, 1, `${type} *${suffix}`);
    return hits[0];
  };
  const resources = (grant: ResourceRecord): string[] => JSON.parse(grant.inputs.policy).Statement.flatMap((s: any) => s.Resource);
  /** The ARN's parts against one AWS format: the region, account and captured name. */
  const parse = (arn: string, format: RegExp) => {
    const m = arn.match(format);
    assert.ok(m, `${arn} does not match ${format}`);
    return { partition: m[1], region: m[2], account: m[4], name: m.groups!.name };
  };
  const where = (region: string) => ({ partition: "aws", region, account: MOCK_ACCOUNT_ID });

  it("prod: the session and NoSQL tables (in every region, by the table's name), the cache group and its IAM user", async () => {
    const c = await plan({ stack: "prod" });
    const sessions = byName(c, "aws:dynamodb/table:Table", "-sessions").outputs!.name;
    const carts = byName(c, "aws:dynamodb/table:Table", "nosql-carts").outputs!.name;
    for (const region of ["us-east-1", "eu-west-1"]) {
      const [sessionsArn] = resources(byName(c, "aws:iam/rolePolicy:RolePolicy", `${region}-app-sessions-table`));
      assert.deepEqual(parse(sessionsArn, AWS_FORMATS.dynamodbTable), { ...where(region), name: sessions });
      const [cartsArn] = resources(byName(c, "aws:iam/rolePolicy:RolePolicy", `${region}-app-nosql-tables`));
      assert.deepEqual(parse(cartsArn, AWS_FORMATS.dynamodbTable), { ...where(region), name: carts });
      const [groupArn, userArn, ...rest] = resources(byName(c, "aws:iam/rolePolicy:RolePolicy", `${region}-app-cache-connect`));
      assert.deepEqual(rest, []);
      assert.deepEqual(parse(groupArn, AWS_FORMATS.elasticacheReplicationGroup), {
        ...where(region),
        name: byName(c, "aws:elasticache/replicationGroup:ReplicationGroup", `${region}-cache`).outputs!.replicationGroupId,
      });
      assert.deepEqual(parse(userArn, AWS_FORMATS.elasticacheUser), {
        ...where(region),
        name: byName(c, "aws:elasticache/user:User", `${region}-cache-app-user`).inputs.userId,
      });
      // The app config parameter and the path below it (the parameter's name without its leading slash).
      const config = byName(c, "aws:ssm/parameter:Parameter", `${region}-app-config`).inputs.name as string;
      const parameterArns = resources(byName(c, "aws:iam/rolePolicy:RolePolicy", `${region}-app-read-config`));
      const names = parameterArns.map((arn) => parse(arn, AWS_FORMATS.ssmParameter));
      for (const n of names) assert.deepEqual({ ...n, name: "" }, { ...where(region), name: "" });
      const [path, below] = names.map((n) => `/${n.name}`);
      assert.equal(below, `${path}/*`);
      assert.ok(config.startsWith(`${path}/`), `${config} is under ${path}`);
    }
  });

  it("dev stage 1: the Lambda may write only its own log group's streams", async () => {
    const c = await plan({ stack: "dev", stage: 1 });
    const logs = byName(c, "aws:cloudwatch/logGroup:LogGroup", "backend-logs");
    const [arn, ...rest] = resources(byName(c, "aws:iam/rolePolicy:RolePolicy", "backend-logs"));
    assert.deepEqual(rest, []);
    assert.deepEqual(parse(arn, AWS_FORMATS.logGroup), { ...where("us-east-1"), name: logs.outputs!.name });
  });
});
