import { strict as assert } from "node:assert";
import { renderUserData } from "../components/userData";
import { STAGE_NUMBERS, stageDefinition } from "../components/stages";
import { freshPlan, ofType, one, plan, devClassSet } from "./helpers";

const dev = (stage: number, set: string[] = []) => plan({ stack: "dev", stage, set: [...devClassSet(stage), ...set] });
const PRIMARY = "us-east-1";

describe("stage 1: static site and Lambda backend", () => {
  it("creates Amplify app + branch, a Lambda behind an HTTP API, and no servers or VPC", async () => {
    const c = await dev(1);
    one(c, "aws:amplify/app:App");
    assert.equal(one(c, "aws:amplify/branch:Branch").inputs.stage, "PRODUCTION");
    const fn = one(c, "aws:lambda/function:Function");
    assert.match(fn.inputs.runtime, /^nodejs\d+\.x$/);
    assert.equal(one(c, "aws:apigatewayv2/api:Api").inputs.protocolType, "HTTP");
    for (const absent of ["aws:ec2/vpc:Vpc", "aws:ec2/instance:Instance", "aws:rds/cluster:Cluster", "aws:ebs/volume:Volume"]) {
      assert.equal(ofType(c, absent).length, 0, `${absent} at stage 1`);
    }
  });

  it("gives the function a log group with retention and a role that may only write to it", async () => {
    const c = await dev(1);
    const logs = one(c, "aws:cloudwatch/logGroup:LogGroup");
    assert.ok(logs.inputs.retentionInDays > 0);
    const policy = JSON.parse(one(c, "aws:iam/rolePolicy:RolePolicy").inputs.policy);
    const actions = policy.Statement.flatMap((s: { Action: string[] }) => s.Action);
    assert.deepEqual(actions.sort(), ["logs:CreateLogStream", "logs:PutLogEvents"]);
    assert.ok(policy.Statement.every((s: { Resource: string }) => s.Resource !== "*"));
    assert.equal(one(c, "aws:lambda/permission:Permission").inputs.principal, "apigateway.amazonaws.com");
  });

  it("outputs the site and API URLs", async () => {
    const c = await dev(1);
    assert.match(String(c.outputs.siteUrl), /^https:\/\/main\..+amplifyapp\.com$/);
    assert.match(String(c.outputs.apiUrl), /^https:\/\/.+execute-api/);
  });
});

describe("stage 2: one EC2 host", () => {
  it("runs exactly one host with IMDSv2, an encrypted root volume and an Elastic IP", async () => {
    const c = await dev(2);
    const host = one(c, "aws:ec2/instance:Instance");
    assert.equal(host.inputs.metadataOptions.httpTokens, "required");
    assert.equal(host.inputs.rootBlockDevice.encrypted, true);
    assert.equal(host.inputs.instanceType, "t4g.small");
    assert.deepEqual(host.ignoreChanges, ["ami"], "a new AMI must never replace the running host");
    one(c, "aws:ec2/eip:Eip", "host");
    const association = one(c, "aws:ec2/eipAssociation:EipAssociation");
    assert.ok(association.dependencies.includes(host.urn));
  });

  it("keeps the database on a separate encrypted gp3 volume attached to the host, installed by cloud-init", async () => {
    const c = await dev(2);
    const volume = one(c, "aws:ebs/volume:Volume");
    assert.equal(volume.inputs.encrypted, true);
    assert.equal(volume.inputs.type, "gp3");
    const attachment = one(c, "aws:ec2/volumeAttachment:VolumeAttachment");
    assert.ok(attachment.dependencies.includes(volume.urn));
    const userData: string = one(c, "aws:ec2/instance:Instance").inputs.userData;
    assert.match(userData, /postgresql\d+-server/);
    assert.ok(userData.includes(volume.inputs.id ?? "Amazon_Elastic_Block_Store_vol"), "the script finds the volume by its id");
  });

  it("removes the stage-1 resources", async () => {
    const c = await dev(2);
    for (const gone of ["aws:amplify/app:App", "aws:lambda/function:Function", "aws:apigatewayv2/api:Api"])
      assert.equal(ofType(c, gone).length, 0, gone);
  });

  it("opens only HTTP to the internet: no SSH, no database port, no HTTPS without a listener", async () => {
    const c = await dev(2);
    const open = ofType(c, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
      (r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 === "::/0",
    );
    assert.ok(open.length > 0);
    assert.deepEqual([...new Set(open.map((r) => r.inputs.fromPort))], [80]);
  });

  it("sizes the VPC address plan for later stages: subnets exist only for the AZs in use", async () => {
    const c = await dev(2);
    const subnets = ofType(c, "aws:ec2/subnet:Subnet");
    const byTier = (tier: string) => subnets.filter((s) => s.inputs.tags["scaling:tier"] === tier).length;
    assert.equal(byTier("public"), stageDefinition(2).defaults.azs);
    assert.equal(byTier("app"), stageDefinition(2).defaults.azs);
    assert.ok(byTier("data") >= 2, "Aurora needs data subnets in two AZs at least");
  });

  it("publishes A and AAAA records for the host when a domain is set", async () => {
    const c = await dev(2, ["domain=example.com", "domainDelegated=true"]);
    one(c, "aws:route53/zone:Zone");
    const records = ofType(c, "aws:route53/record:Record");
    assert.deepEqual(records.map((r) => r.inputs.type).sort(), ["A", "AAAA"]);
    const eip = one(c, "aws:ec2/eip:Eip", "host");
    assert.ok(records.find((r) => r.inputs.type === "A")!.dependencies.includes(eip.urn));
  });

  it("changes the instance type in place within an architecture, and warns before a cross-architecture move", async () => {
    const [small, large, x86] = await Promise.all([
      dev(2),
      dev(2, ["compute.instanceType=t4g.large"]),
      dev(2, ["compute.instanceType=t3.large"]),
    ]);
    const host = one(small, "aws:ec2/instance:Instance");
    assert.equal(one(large, "aws:ec2/instance:Instance").urn, host.urn, "resizing keeps the host");
    assert.notEqual(one(x86, "aws:ec2/instance:Instance").urn, host.urn, "a new architecture is a new host with a matching AMI");
    assert.equal(small.warnings.length, 0);
    assert.ok(x86.warnings.some((w) => w.includes("x86_64") && w.includes("replaces")));
  });
});

describe("stage 3: a separate Aurora database", () => {
  it("adds an encrypted Aurora PostgreSQL cluster with AWS-managed credentials and one writer", async () => {
    const c = await dev(3);
    const cluster = one(c, "aws:rds/cluster:Cluster");
    assert.equal(cluster.inputs.engine, "aurora-postgresql");
    assert.equal(cluster.inputs.storageEncrypted, true);
    assert.equal(cluster.inputs.manageMasterUserPassword, true);
    assert.equal(cluster.inputs.masterPassword, undefined);
    assert.equal(cluster.inputs.availabilityZones, undefined, "cluster AZs force a replacement; instances are placed instead");
    assert.ok(cluster.dependencies.includes(one(c, "aws:kms/key:Key").urn));
    const instances = ofType(c, "aws:rds/clusterInstance:ClusterInstance");
    assert.equal(instances.length, 1 + stageDefinition(3).defaults.database.readers);
    assert.ok(instances.every((i) => i.inputs.publiclyAccessible === false));
  });

  it("puts the database in private data subnets, reachable only from the app's security group", async () => {
    const c = await dev(3);
    const group = one(c, "aws:rds/subnetGroup:SubnetGroup");
    const dataSubnets = ofType(c, "aws:ec2/subnet:Subnet").filter((s) => s.inputs.tags["scaling:tier"] === "data");
    assert.equal(group.inputs.subnetIds.length, dataSubnets.length);
    const dbSg = one(c, "aws:ec2/securityGroup:SecurityGroup", "db-sg");
    const webSg = one(c, "aws:ec2/securityGroup:SecurityGroup", "web-sg");
    const rules = ofType(c, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) => r.dependencies.includes(dbSg.urn));
    assert.equal(rules.length, 1);
    assert.equal(rules[0].inputs.fromPort, 5432);
    assert.ok(rules[0].dependencies.includes(webSg.urn));
    assert.equal(rules[0].inputs.cidrIpv4, undefined);
  });

  it("keeps the host, which now runs only the app, and the stage-2 data volume under the same URN", async () => {
    const [two, three] = await Promise.all([dev(2), dev(3)]);
    assert.equal(one(three, "aws:ebs/volume:Volume").urn, one(two, "aws:ebs/volume:Volume").urn);
    assert.equal(one(three, "aws:ec2/instance:Instance").urn, one(two, "aws:ec2/instance:Instance").urn);
    assert.equal(
      one(three, "aws:ec2/instance:Instance").inputs.userData,
      one(two, "aws:ec2/instance:Instance").inputs.userData,
      "no stop/start for new user data",
    );
  });

  it("retires the data volume only when config says so", async () => {
    const c = await dev(3, ["database.hostVolumeRetired=true"]);
    assert.equal(ofType(c, "aws:ebs/volume:Volume").length, 0);
    assert.equal(ofType(c, "aws:ec2/volumeAttachment:VolumeAttachment").length, 0);
  });

  it("points the app at Aurora through its SSM config, and outputs the endpoints", async () => {
    const c = await dev(3);
    const config = JSON.parse(one(c, "aws:ssm/parameter:Parameter", "app-config").inputs.value);
    const endpoints = c.outputs.databaseEndpoints as { writer: string; reader: string }[];
    assert.equal(config.database.writer, endpoints[0].writer);
    assert.match(endpoints[0].reader, /cluster-ro/);
  });

  it("protects stateful resources in production even before stage 4", async () => {
    const [plain, production] = await Promise.all([dev(3), dev(3, ["production=true"])]);
    const cluster = one(production, "aws:rds/cluster:Cluster");
    assert.equal(cluster.protect && cluster.retainOnDelete && cluster.inputs.deletionProtection, true);
    assert.equal(cluster.inputs.skipFinalSnapshot, false);
    assert.ok(one(production, "aws:ebs/volume:Volume").retainOnDelete);
    assert.equal(one(plain, "aws:rds/cluster:Cluster").protect, stageDefinition(3).minimums.dataProtection);
  });
});

describe("every stage", () => {
  for (const stage of STAGE_NUMBERS) {
    it(`stage ${stage}: binds every resource to an explicit provider in a known region`, async () => {
      const c = await dev(stage);
      // Every cloud resource; `random:` ones (the stage-7 master password) live only in state.
      const custom = c.resources.filter((r) => r.custom && !r.type.startsWith("pulumi:providers:") && !r.type.startsWith("random:"));
      assert.ok(custom.length > 0);
      for (const r of custom) {
        // A dynamic resource (the stage-1 site deployment) runs in Pulumi's own dynamic provider,
        // which no AWS provider can stand in for: it carries its region as an input instead.
        if (r.type.startsWith("pulumi-nodejs:dynamic")) assert.ok(r.inputs.region, `${r.urn} has no region input`);
        else assert.ok(r.provider, `${r.urn} uses the default provider`);
        assert.ok(r.region, `${r.urn} has no region`);
      }
      assert.equal(c.outputs.stage, stage);
    });
  }

  it("is deterministic: the same config gives the same plan", async () => {
    // Two real runs (plan() would share one capture between them).
    const first = await freshPlan({ stack: "dev", stage: 3, set: ["compute.maxSize=1"] });
    const second = await freshPlan({ stack: "dev", stage: 3, set: ["compute.maxSize=1"] });
    assert.deepEqual(second.resources, first.resources);
  });

  it("writes the stage where the policy pack reads it", async () => {
    for (const stage of [1, 5]) {
      const marker = one(await dev(stage), "aws:ssm/parameter:Parameter", "stage");
      assert.equal(marker.inputs.value, String(stage));
      assert.equal(marker.inputs.tags["scaling:role"], "stage-marker");
    }
  });
});

describe("cloud-init", () => {
  it("installs the app as a service that reads its config at every start", () => {
    const script = renderUserData({ region: PRIMARY, configParameter: "/p/s/app/config", port: 80, role: "web", cloudwatchAgent: false });
    assert.match(script, /^#!\/bin\/bash/);
    assert.match(script, /ExecStartPre=.*ssm get-parameter --region us-east-1 --name \/p\/s\/app\/config/);
    assert.doesNotMatch(script, /postgresql/);
    assert.match(
      renderUserData({ region: PRIMARY, configParameter: "/x", port: 80, role: "web", cloudwatchAgent: true }),
      /amazon-cloudwatch-agent/,
    );
  });
});
