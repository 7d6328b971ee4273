/**
 * The app role's grants against AWS's own facts: which key encrypts which database secret, what
 * the app needs to connect, which ARNs name the partition. (The ARN formats of the grants built
 * from known names are in test/autonaming.test.ts.)
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { STAGES } from "../components/stages";
import { MOCK_ACCOUNT_ID } from "../tools/mocks";
import type { Capture, ResourceRecord } from "../tools/capture";
import { named, ofType, plan } from "./helpers";

interface Statement {
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
}
const statements = (policy: ResourceRecord): Statement[] => JSON.parse(policy.inputs.policy).Statement;
const grantsOf = (c: Capture, suffix: string) => ofType(c, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.endsWith(suffix));
const kmsStatements = (policy: ResourceRecord) => statements(policy).filter((s) => [s.Action].flat().some((a) => a.startsWith("kms:")));

// Stages with Aurora whose clusters are standalone (an RDS-managed secret): 3–6 today, read from the table.
const standaloneStages = STAGES.filter((s) => s.capabilities.aurora && !s.capabilities.multiRegion).map((s) => s.stage);

describe("database secret grant: kms:Decrypt only where a customer key encrypts the secret", function () {
  this.timeout(300_000);

  it("the stages with managed secrets are the ones the brief names (3–6)", () => {
    assert.deepEqual(standaloneStages, [3, 4, 5, 6]);
  });

  // CreateDBCluster, MasterUserSecretKmsKeyId (RDS API reference): "If you don't specify
  // MasterUserSecretKmsKeyId, then the aws/secretsmanager KMS key is used to encrypt the secret."
  // Principals of the account use aws/secretsmanager through Secrets Manager without an IAM grant
  // (UpdateSecret, KmsKeyId: "All users and roles in the AWS account automatically have access to
  // use aws/secretsmanager").
  for (const stage of [3, 4, 5, 6]) {
    it(`stage ${stage}: the managed secret is read without any KMS statement`, async () => {
      const c = await plan({ stack: "dev", stage });
      const cluster = ofType(c, "aws:rds/cluster:Cluster");
      assert.ok(cluster.every((k) => k.inputs.manageMasterUserPassword === true && k.inputs.masterUserSecretKmsKeyId === undefined));
      const [grant] = grantsOf(c, "app-read-db-secret");
      assert.ok(grant, "the secret grant exists");
      assert.deepEqual(kmsStatements(grant), []);
      assert.deepEqual(
        statements(grant).map((s) => s.Action),
        [["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]],
      );
    });
  }

  it("stage 7 (prod): the home region decrypts with its data key through Secrets Manager; a secondary (secret replicas on aws/secretsmanager) does not", async () => {
    const c = await plan({ stack: "prod" });
    const [home, ...others] = c.outputs.regions as string[];
    assert.ok(others.length > 0);
    // The program-managed secrets are encrypted with the home region's data key...
    const dataKey = named(c, "aws:kms/key:Key", `${home}-data-key`);
    const secrets = ofType(c, "aws:secretsmanager/secret:Secret");
    assert.ok(secrets.length > 0);
    for (const s of secrets) {
      assert.equal(s.inputs.kmsKeyId, dataKey.outputs!.arn, s.name);
      // ...and their replicas name no key: "If you don't include this field, Secrets Manager uses
      // aws/secretsmanager" (Secrets Manager API reference, ReplicaRegionType, KmsKeyId).
      for (const r of s.inputs.replicas) assert.equal(r.kmsKeyId, undefined, `${s.name} → ${r.region}`);
    }
    const homeGrant = named(c, "aws:iam/rolePolicy:RolePolicy", `${home}-app-read-db-secret`);
    assert.deepEqual(kmsStatements(homeGrant), [
      {
        Effect: "Allow",
        Action: "kms:Decrypt",
        Resource: dataKey.outputs!.arn,
        Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${home}.amazonaws.com` } },
      },
    ]);
    for (const region of others) {
      const grant = named(c, "aws:iam/rolePolicy:RolePolicy", `${region}-app-read-db-secret`);
      assert.deepEqual(kmsStatements(grant), [], region);
      assert.equal(statements(grant).length, 1, region);
    }
  });

  it("the mock reports a managed secret the way RDS does: rds!cluster-<uuid>-<6 chars>, encrypted with the aws/secretsmanager key", async () => {
    const c = await plan({ stack: "dev", stage: 3 });
    const cluster = ofType(c, "aws:rds/cluster:Cluster")[0];
    const [secret] = cluster.outputs!.masterUserSecrets;
    // The format of an RDS-managed secret's ARN (AWS CLI reference, secretsmanager list-secrets,
    // example "To list the secrets managed by other services": secret:rds!cluster-a1b2c3d4-5678-90ab-cdef-EXAMPLE11111-a1b2c3).
    assert.match(
      secret.secretArn,
      new RegExp(
        `^arn:aws:secretsmanager:us-east-1:${MOCK_ACCOUNT_ID}:secret:rds!cluster-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-[A-Za-z0-9]{6}$`,
      ),
    );
    // A key ARN (Service Authorization Reference, AWS KMS, resource type `key`), not the data key.
    assert.match(secret.kmsKeyId, new RegExp(`^arn:aws:kms:us-east-1:${MOCK_ACCOUNT_ID}:key/[0-9a-f-]{36}$`));
    assert.notEqual(secret.kmsKeyId, ofType(c, "aws:kms/key:Key")[0].outputs!.arn);
  });
});

describe("app config: what an ElastiCache IAM auth token is signed for", function () {
  this.timeout(300_000);

  // "Authenticating with IAM" (ElastiCache user guide, auth-iam.html, Connecting): the token is a
  // presigned request to `<replication group id>/?Action=connect&User=<user id>`, so the app needs both.
  it("stage 5: the cache config names the replication group id and the user", async () => {
    const c = await plan({ stack: "dev", stage: 5 });
    const config = JSON.parse(ofType(c, "aws:ssm/parameter:Parameter").find((p) => p.name.endsWith("-app-config"))!.inputs.value);
    const group = ofType(c, "aws:elasticache/replicationGroup:ReplicationGroup")[0];
    const user = ofType(c, "aws:elasticache/user:User").find((u) => u.inputs.authenticationMode.type === "iam")!;
    assert.equal(config.cache.replicationGroupId, group.outputs!.replicationGroupId);
    assert.equal(config.cache.user, user.inputs.userId);
  });
});

describe("the Lambda backend's first invocations can write logs", function () {
  this.timeout(300_000);

  it("stage 1: the function is created after its log-writing policy", async () => {
    const c = await plan({ stack: "dev", stage: 1 });
    const fn = ofType(c, "aws:lambda/function:Function")[0];
    const policy = named(c, "aws:iam/rolePolicy:RolePolicy", "backend-logs");
    assert.ok(fn.dependencies.includes(policy.urn), "the function dependsOn the backend-logs RolePolicy");
  });
});

describe("ARNs take the partition from the provider, not a literal", () => {
  // A `arn:aws:` literal in a component would be wrong in aws-cn and aws-us-gov; every ARN the
  // components build interpolates aws.getPartitionOutput's partition.
  it("no component writes an `arn:aws:` literal", () => {
    const dir = path.join(__dirname, "..", "components");
    const hits: string[] = [];
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts")))
      fs.readFileSync(path.join(dir, file), "utf8")
        .split("\n")
        .forEach((line, i) => {
          // Comments may quote AWS's formats; code may not.
          if (/["'`]arn:aws:/.test(line) && !/^\s*(\/\/|\*)/.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    assert.deepEqual(hits, []);
  });
});
