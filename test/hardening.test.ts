/** Behaviour a real account depends on that the stage tests do not pin: names, grants, boot order. */
import { strict as assert } from "node:assert";
import { REGION_FACTS } from "../components/awsFacts";
import { renderUserData } from "../components/userData";
import { targetGroupName } from "../components/services";
import { byUrn, ofType, one, plan } from "./helpers";

describe("hardening", () => {
  it("keeps every service's target-group name within AWS's 32 characters, unique per stack and region", () => {
    const longest = "a".repeat(20);
    for (const region of ["us-east-1", "ap-southeast-2"]) {
      const name = targetGroupName("aws-scaling-journey-prod", region, longest);
      assert.ok(name.length <= 32, `${name} is ${name.length} long`);
      assert.match(name, /^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
    }
    assert.notEqual(targetGroupName("p-dev", "us-east-1", "orders"), targetGroupName("p-prod", "us-east-1", "orders"));
    assert.equal(targetGroupName("p-dev", "us-east-1", "orders"), targetGroupName("p-dev", "us-east-1", "orders"));
  });

  it("sets the services' target-group names explicitly (auto-names overflow in long regions)", async () => {
    const c = await plan({ stack: "dev", stage: 6 });
    const groups = ofType(c, "aws:lb/targetGroup:TargetGroup").filter((t) => t.inputs.tags?.["scaling:service"]);
    assert.ok(groups.length > 0);
    for (const g of groups) assert.ok(g.inputs.name && g.inputs.name.length <= 32, g.name);
  });

  it("lets the services reach the cache, as they get its config and grant", async () => {
    const c = await plan({ stack: "dev", stage: 6 });
    const index = byUrn(c);
    const cacheSg = one(c, "aws:ec2/securityGroup:SecurityGroup", "cache");
    const servicesSg = one(c, "aws:ec2/securityGroup:SecurityGroup", "svc");
    const rules = ofType(c, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter((r) =>
      r.dependencies.includes(cacheSg.urn),
    );
    const sources = rules.map(
      (r) =>
        r.dependencies.map((u) => index.get(u)).find((d) => d?.type === "aws:ec2/securityGroup:SecurityGroup" && d.urn !== cacheSg.urn)
          ?.urn,
    );
    assert.ok(sources.includes(servicesSg.urn), "a rule admits the services' security group");
    assert.ok(rules.every((r) => r.inputs.fromPort === 6379 && !r.inputs.cidrIpv4 && !r.inputs.cidrIpv6));
  });

  it("protects every replica of a global table like the table", async () => {
    const c = await plan({ stack: "prod" });
    for (const t of ofType(c, "aws:dynamodb/table:Table")) {
      assert.ok(t.inputs.replicas.length > 0);
      for (const r of t.inputs.replicas) assert.equal(r.deletionProtectionEnabled, true, `${t.name} → ${r.regionName}`);
    }
  });

  it("requires TLS on every database connection, through a cluster parameter group", async () => {
    const c = await plan({ stack: "dev", stage: 3 });
    const group = one(c, "aws:rds/clusterParameterGroup:ClusterParameterGroup");
    assert.deepEqual(
      group.inputs.parameters.filter((p: { name: string }) => p.name === "rds.force_ssl").map((p: { value: string }) => p.value),
      ["1"],
    );
    assert.ok(one(c, "aws:rds/cluster:Cluster").dependencies.includes(group.urn));
  });

  it("names account-wide things after the stack, so dev and prod can share an account", async () => {
    const [dev, prod] = await Promise.all([plan({ stack: "dev", stage: 4 }), plan({ stack: "prod", stage: 4 })]);
    const alias = (c: typeof dev) => one(c, "aws:kms/alias:Alias").inputs.name;
    const snapshot = (c: typeof dev) => one(c, "aws:rds/cluster:Cluster").inputs.finalSnapshotIdentifier;
    assert.notEqual(alias(dev), alias(prod));
    assert.notEqual(snapshot(dev), snapshot(prod));
  });

  it("shares one ACM validation record per domain among all certificates", async () => {
    const c = await plan({ stack: "prod" });
    const certs = ofType(c, "aws:acm/certificate:Certificate");
    assert.ok(certs.length > 2, "an ALB certificate per region and CloudFront's");
    const validations = ofType(c, "aws:route53/record:Record").filter((r) => r.name.startsWith("acm-validation-"));
    // One per distinct name (the apex; each region's internal services name), however many certificates share it.
    const names = new Set(certs.map((x) => x.inputs.domainName));
    assert.ok(certs.length > names.size, "some certificates share a name");
    assert.equal(validations.length, names.size);
  });

  it("lets hosts read only their own SSM parameters: no broad managed policy for the SSM agent", async () => {
    const c = await plan({ stack: "dev", stage: 5 });
    const managed = ofType(c, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn);
    assert.ok(!managed.some((arn: string) => arn.endsWith("/AmazonSSMManagedInstanceCore")));
    const statements = ofType(c, "aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.name.includes("-app-"))
      .flatMap((p) => JSON.parse(p.inputs.policy).Statement as { Action: string | string[]; Resource: unknown }[]);
    const reads = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith("ssm:GetParameter")));
    assert.ok(reads.length > 0);
    for (const r of reads)
      for (const arn of [r.Resource].flat() as string[]) assert.match(arn, /:parameter\/pulumi\/aws-scaling-journey\/dev\/app/);
    const agent = statements.find((s) => [s.Action].flat().includes("ssmmessages:OpenDataChannel"));
    assert.ok(agent, "Session Manager still works");
    assert.ok(
      [agent.Action].flat().every((a) => !a.endsWith("*")),
      "no wildcard actions",
    );
  });

  it("starts the app before the optional boot steps, and fetches its config as root", () => {
    const script = renderUserData({
      region: "us-east-1",
      configParameter: "/p/s/app/config",
      port: 80,
      role: "web",
      dataVolumeId: "vol-0123456789abcdef0",
      cloudwatchAgent: true,
    });
    const enable = script.indexOf("systemctl enable --now scaling-app");
    assert.ok(enable > 0);
    assert.ok(enable < script.indexOf("postgresql16-server"), "before PostgreSQL");
    assert.ok(enable < script.indexOf("amazon-cloudwatch-agent"), "before the agent");
    assert.match(script, /ExecStartPre=\+/);
    assert.match(script, /DynamicUser=yes/);
  });

  for (const stage of [2, 3])
    it(`stage ${stage}: the data volume is in the AZ of the host it is attached to (an EBS volume attaches only within its AZ)`, async () => {
      const c = await plan({ stack: "dev", stage });
      const index = byUrn(c);
      const attachment = one(c, "aws:ec2/volumeAttachment:VolumeAttachment");
      const [hostUrn] = attachment.propertyDependencies.instanceId ?? [];
      const [volumeUrn] = attachment.propertyDependencies.volumeId ?? [];
      const host = index.get(hostUrn);
      const volume = index.get(volumeUrn);
      assert.equal(host?.type, "aws:ec2/instance:Instance");
      assert.equal(volume?.type, "aws:ebs/volume:Volume");
      // The instance has no AZ of its own: it takes its subnet's.
      const subnet = index.get((host!.propertyDependencies.subnetId ?? [])[0]);
      assert.equal(subnet?.type, "aws:ec2/subnet:Subnet");
      // Subnets are placed by zone ID; the mock account maps data/regions.json's IDs to <region>a, b, ...
      const zoneIds = REGION_FACTS[String(subnet!.region)].zoneIds;
      const slot = zoneIds.indexOf(subnet!.inputs.availabilityZoneId);
      assert.ok(slot >= 0, "the host's subnet is placed by zone ID");
      assert.equal(volume!.inputs.availabilityZone, `${subnet!.region}${String.fromCharCode(97 + slot)}`);
    });
});
