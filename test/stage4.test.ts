import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROTECTED_BACKUP_RETENTION_DAYS, stageDefinition } from "../components/stages";
import { HOST_DATA_MOUNT } from "../components/userData";
import { ALB_TLS_POLICY, HEALTH_CHECK_PATH, WEB_PORT } from "../components/webTier";
import type { Capture, ResourceRecord } from "../tools/capture";
import { comparePlans, loadReplaceTriggers } from "../tools/compare";
import { named, ofType, one, plan } from "./helpers";

const STAGE = 4;
const def = stageDefinition(STAGE);
const T = {
  instance: "aws:ec2/instance:Instance",
  eip: "aws:ec2/eip:Eip",
  nat: "aws:ec2/natGateway:NatGateway",
  subnet: "aws:ec2/subnet:Subnet",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  cluster: "aws:rds/cluster:Cluster",
  dbInstance: "aws:rds/clusterInstance:ClusterInstance",
  param: "aws:ssm/parameter:Parameter",
  record: "aws:route53/record:Record",
  cert: "aws:acm/certificate:Certificate",
};

const urnsOf = (c: Capture, type: string, pattern: RegExp) =>
  ofType(c, type)
    .filter((r) => pattern.test(r.name))
    .map((r) => r.urn);
const dependsOnAll = (r: ResourceRecord, urns: string[]) => urns.every((u) => r.dependencies.includes(u));
/** The id a resource got, read off a resource that consumes it (capture records inputs, not ids). */
const webSgId = (c: Capture) => one(c, T.lt, "-web-lt").inputs.vpcSecurityGroupIds[0] as string;
const albSgId = (c: Capture) => one(c, T.alb, "-alb").inputs.securityGroups[0] as string;

describe("stage 4 (thousand users): load-balanced web tier in two AZs", () => {
  let c: Capture;
  before(async () => {
    c = await plan({ stack: "dev", stage: STAGE });
  });

  it("has no single host, no host Elastic IP and one shared NAT gateway", () => {
    assert.equal(ofType(c, T.instance).length, 0);
    assert.equal(ofType(c, "aws:ec2/eipAssociation:EipAssociation").length, 0);
    assert.deepEqual(
      ofType(c, T.eip).filter((e) => e.name.includes("host")),
      [],
    );
    assert.equal(def.capabilities.nat, "single");
    assert.equal(ofType(c, T.nat).length, 1);
  });

  it("keeps the stage-2 data volume, protected, until config retires it", async () => {
    const [volume] = ofType(c, "aws:ebs/volume:Volume");
    assert.ok(volume, "the volume outlives the host");
    assert.ok(volume.protect && volume.retainOnDelete);
    const retired = await plan({ stack: "dev", stage: STAGE, set: ["database.hostVolumeRetired=true"] });
    assert.equal(ofType(retired, "aws:ebs/volume:Volume").length, 0);
  });

  it("places an internet-facing dual-stack ALB in the public subnet of every AZ", () => {
    const alb = one(c, T.alb, "-alb");
    assert.equal(alb.inputs.internal, false);
    assert.equal(alb.inputs.loadBalancerType, "application");
    assert.equal(alb.inputs.ipAddressType, "dualstack");
    assert.equal(alb.inputs.subnets.length, def.defaults.azs);
    const publicSubnets = urnsOf(c, T.subnet, /-public-\d+$/);
    assert.equal(publicSubnets.length, def.defaults.azs);
    assert.ok(dependsOnAll(alb, publicSubnets), "the ALB uses the public subnets");
  });

  it("health-checks the path the app really serves, on a target group fixed at HTTP:80", () => {
    const tg = one(c, T.tg, "-web-tg");
    assert.equal(tg.inputs.port, WEB_PORT);
    assert.equal(tg.inputs.protocol, "HTTP");
    assert.equal(tg.inputs.healthCheck.path, HEALTH_CHECK_PATH);
    assert.equal(tg.inputs.healthCheck.matcher, "200");
    const server = fs.readFileSync(path.resolve(__dirname, "..", "app", "server.js"), "utf8");
    assert.ok(server.includes(`"${HEALTH_CHECK_PATH}"`), "app/server.js answers the health check path");
  });

  it("forwards HTTP to the web target group when there is no domain", () => {
    const listeners = ofType(c, T.listener).filter((l) => l.parent?.endsWith("-web"));
    assert.equal(listeners.length, 1);
    assert.equal(listeners[0].inputs.port, 80);
    assert.equal(listeners[0].inputs.defaultActions[0].type, "forward");
    assert.ok(listeners[0].dependencies.includes(one(c, T.tg, "-web-tg").urn));
  });

  it("runs the web tier as an ASG across the app subnets of every AZ, with ELB health checks and rolling refresh", () => {
    const asg = one(c, T.asg, "-web-asg");
    const appSubnets = urnsOf(c, T.subnet, /-app-\d+$/);
    assert.equal(asg.inputs.vpcZoneIdentifiers.length, def.defaults.azs);
    assert.ok(dependsOnAll(asg, appSubnets));
    assert.equal(asg.inputs.minSize, def.defaults.compute.minSize);
    assert.ok(asg.inputs.minSize >= def.minimums.webInstances);
    assert.equal(asg.inputs.maxSize, def.defaults.compute.maxSize);
    assert.equal(asg.inputs.healthCheckType, "ELB");
    assert.ok(asg.inputs.healthCheckGracePeriod > 0);
    assert.equal(asg.inputs.targetGroupArns.length, 1);
    assert.ok(asg.dependencies.includes(one(c, T.tg, "-web-tg").urn));
    assert.equal(asg.inputs.instanceRefresh.strategy, "Rolling");
    assert.ok(asg.inputs.instanceRefresh.preferences.minHealthyPercentage > 0);
    assert.ok(asg.dependencies.includes(one(c, T.lt, "-web-lt").urn));
  });

  it("launches from a deterministic AMI parameter, IMDSv2 only, encrypted gp3 root, no data volume", () => {
    const lt = one(c, T.lt, "-web-lt");
    assert.match(lt.inputs.imageId, /^resolve:ssm:\/aws\/service\/ami-amazon-linux-latest\/al2023-ami-kernel-default-(arm64|x86_64)$/);
    assert.equal(lt.inputs.metadataOptions.httpTokens, "required");
    assert.ok(lt.inputs.metadataOptions.httpPutResponseHopLimit <= 2);
    const root = lt.inputs.blockDeviceMappings[0].ebs;
    assert.equal(root.encrypted, "true");
    assert.equal(root.volumeType, "gp3");
    assert.ok(lt.inputs.iamInstanceProfile.arn);
    assert.equal(lt.inputs.updateDefaultVersion, true);
    const script = Buffer.from(lt.inputs.userData, "base64").toString("utf8");
    assert.match(script, /APP_ROLE=web/);
    assert.ok(!script.includes(HOST_DATA_MOUNT), "web instances mount no data volume");
    assert.ok(!script.includes("amazon-cloudwatch-agent"), "the agent starts with stage 5");
  });

  it("admits the internet only at the ALB, and the web tier only from the ALB on port 80", () => {
    const [web, alb] = [webSgId(c), albSgId(c)];
    const toWeb = ofType(c, T.ingress).filter((r) => r.inputs.securityGroupId === web);
    assert.ok(toWeb.length > 0);
    for (const rule of toWeb) {
      assert.equal(rule.inputs.referencedSecurityGroupId, alb, `${rule.name} admits only the ALB`);
      assert.equal(rule.inputs.fromPort, WEB_PORT);
      assert.equal(rule.inputs.toPort, WEB_PORT);
    }
    const toAlb = ofType(c, T.ingress).filter((r) => r.inputs.securityGroupId === alb);
    // No domain, no certificate: nothing listens on 443, so nothing opens it.
    assert.deepEqual([...new Set(toAlb.map((r) => r.inputs.fromPort))].sort(), [WEB_PORT]);
    assert.ok(toAlb.every((r) => r.inputs.cidrIpv4 === "0.0.0.0/0" || r.inputs.cidrIpv6 === "::/0"));
    const fromAlb = ofType(c, T.egress).filter((r) => r.inputs.securityGroupId === alb);
    assert.equal(fromAlb.length, 1);
    assert.equal(fromAlb[0].inputs.referencedSecurityGroupId, web);
    assert.equal(fromAlb[0].inputs.fromPort, WEB_PORT);
    const dbRules = ofType(c, T.ingress).filter((r) => r.name.includes("-db-from-"));
    assert.ok(dbRules.every((r) => r.inputs.referencedSecurityGroupId === web));
  });

  it("adds Aurora readers in AZs other than the writer's, and protects the data", () => {
    const instances = ofType(c, T.dbInstance);
    assert.equal(instances.length, def.defaults.database.readers + 1);
    const writer = instances.find((i) => i.name.endsWith("-0"));
    assert.ok(writer);
    for (const reader of instances.filter((i) => i !== writer)) {
      assert.notEqual(reader.inputs.availabilityZone, writer.inputs.availabilityZone, reader.name);
    }
    const cluster = one(c, T.cluster, "-db");
    assert.equal(cluster.inputs.deletionProtection, true);
    assert.ok(cluster.inputs.backupRetentionPeriod >= PROTECTED_BACKUP_RETENTION_DAYS);
    assert.equal(cluster.inputs.skipFinalSnapshot, false);
    assert.ok(cluster.inputs.finalSnapshotIdentifier);
    for (const r of [cluster, ...instances]) {
      assert.ok(r.protect && r.retainOnDelete, `${r.name} protected and retained`);
    }
  });

  it("gives the app writer and reader endpoints in its SSM config and as stack outputs", () => {
    const config = JSON.parse(one(c, T.param, "-app-config").inputs.value);
    assert.match(config.database.writer, /\.cluster-[a-z0-9]+\./);
    assert.match(config.database.reader, /\.cluster-ro-/);
    const endpoints = c.outputs.databaseEndpoints as { writer: string; reader: string }[];
    assert.equal(endpoints[0].writer, config.database.writer);
    assert.equal(endpoints[0].reader, config.database.reader);
    assert.ok(c.outputs.loadBalancerDns);
    assert.equal(c.outputs.hostPublicIp, undefined);
  });

  it("parents every web-tier resource to the WebTier component and names it by region", () => {
    const tier = c.resources.find((r) => r.type === "scaling:webtier:WebTier");
    assert.ok(tier);
    const children = c.resources.filter((r) => r.parent === tier.urn);
    assert.ok(children.length >= 8);
    for (const r of children) {
      assert.ok(r.name.startsWith("us-east-1-"), r.name);
      if (r.custom) assert.equal(r.region, "us-east-1", `${r.name} has an explicit region`);
    }
  });
});

describe("stage 4 with a domain: HTTPS on the ALB, DNS aliases", () => {
  let c: Capture;
  before(async () => {
    c = await plan({ stack: "dev", stage: STAGE, set: ["domain=example.com", "domainDelegated=true"] });
  });

  it("redirects HTTP to HTTPS and terminates TLS with a modern policy and a DNS-validated certificate", () => {
    const listeners = ofType(c, T.listener);
    const http = listeners.find((l) => l.inputs.port === 80);
    const https = listeners.find((l) => l.inputs.port === 443);
    assert.ok(http && https);
    assert.equal(http.inputs.defaultActions[0].type, "redirect");
    assert.equal(http.inputs.defaultActions[0].redirect.protocol, "HTTPS");
    assert.equal(https.inputs.protocol, "HTTPS");
    assert.equal(https.inputs.sslPolicy, ALB_TLS_POLICY);
    const cert = one(c, T.cert, "-alb-cert");
    assert.equal(cert.inputs.domainName, "example.com");
    assert.equal(cert.inputs.validationMethod, "DNS");
    assert.equal(cert.region, "us-east-1");
    // One validation record per domain, kept by the zone and shared by every certificate of it.
    const validation = one(c, T.record, "acm-validation-example.com");
    assert.ok(validation.dependencies.includes(cert.urn));
  });

  it("points the apex at the ALB with the records the host used (updated in place, not recreated)", async () => {
    const alb = one(c, T.alb, "-alb");
    for (const name of ["app-a", "app-aaaa"]) {
      const record = named(c, T.record, name);
      assert.equal(record.inputs.name, "example.com");
      assert.equal(record.inputs.aliases.length, 1);
      assert.ok(record.dependencies.includes(alb.urn));
      assert.equal(record.inputs.records, undefined);
    }
    const before = await plan({ stack: "dev", stage: STAGE - 1, set: ["domain=example.com", "domainDelegated=true"] });
    assert.equal(named(before, T.record, "app-a").urn, named(c, T.record, "app-a").urn);
    const diff = comparePlans(before, c, loadReplaceTriggers());
    assert.deepEqual(diff.statefulAtRisk, []);
    assert.deepEqual(
      diff.replaced.map((r) => r.name),
      [],
    );
  });
});
