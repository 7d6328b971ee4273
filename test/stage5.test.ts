import { strict as assert } from "node:assert";
import { CACHE_PORT } from "../components/cache";
import { STATIC_PATH_PATTERN } from "../components/cdn";
import { GLOBAL_SERVICES_REGION } from "../components/platform";
import { stageDefinition } from "../components/stages";
import type { Capture } from "../tools/capture";
import { named, ofType, one, plan } from "./helpers";

const STAGE = 5;
const def = stageDefinition(STAGE);
const T = {
  cache: "aws:elasticache/replicationGroup:ReplicationGroup",
  cacheSubnets: "aws:elasticache/subnetGroup:SubnetGroup",
  subnet: "aws:ec2/subnet:Subnet",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  policy: "aws:autoscaling/policy:Policy",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dbInstance: "aws:rds/clusterInstance:ClusterInstance",
  bucket: "aws:s3/bucket:Bucket",
  pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  distribution: "aws:cloudfront/distribution:Distribution",
  oac: "aws:cloudfront/originAccessControl:OriginAccessControl",
  cert: "aws:acm/certificate:Certificate",
  record: "aws:route53/record:Record",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  topic: "aws:sns/topic:Topic",
  key: "aws:kms/key:Key",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  param: "aws:ssm/parameter:Parameter",
};

const webSgId = (c: Capture) => one(c, T.lt, "-web-lt").inputs.vpcSecurityGroupIds[0] as string;
const versionAtLeast = (version: string, min: [number, number]) => {
  const [major, minor] = version.split(".").map(Number);
  return major > min[0] || (major === min[0] && minor >= min[1]);
};

describe("stage 5 (ten thousand users): cache, alarm scaling, CDN, operational alarms", () => {
  let c: Capture;
  before(async () => {
    c = await plan({ stack: "dev", stage: STAGE });
  });

  it("keeps sessions and popular reads in a multi-AZ, failover, encrypted Redis replication group", () => {
    const rg = one(c, T.cache, "-cache");
    assert.ok(rg.inputs.numCacheClusters >= def.minimums.cacheNodes);
    assert.equal(rg.inputs.multiAzEnabled, true);
    assert.equal(rg.inputs.automaticFailoverEnabled, true);
    assert.equal(rg.inputs.atRestEncryptionEnabled, true);
    assert.equal(rg.inputs.transitEncryptionEnabled, true);
    assert.ok(versionAtLeast(rg.inputs.engineVersion, [7, 1]), "transit encryption changes in place from 7.0.5");
    assert.equal(rg.inputs.authToken, undefined, "no shared secret: IAM auth through a user group");
    assert.equal(rg.inputs.userGroupIds.length, 1);
    const subnets = one(c, T.cacheSubnets, "-cache-subnets");
    const dataSubnets = ofType(c, T.subnet).filter((s) => /-data-\d+$/.test(s.name));
    assert.ok(
      dataSubnets.every((s) => subnets.dependencies.includes(s.urn)),
      "in the private data subnets",
    );
    assert.ok(rg.dependencies.includes(subnets.urn));
  });

  it("admits Redis only from the web tier, and lets the app role connect to that cache only", () => {
    const rules = ofType(c, T.ingress).filter((r) => r.name.includes("-cache-from-"));
    assert.equal(rules.length, 1);
    assert.equal(rules[0].inputs.referencedSecurityGroupId, webSgId(c));
    assert.equal(rules[0].inputs.fromPort, CACHE_PORT);
    assert.equal(rules[0].inputs.toPort, CACHE_PORT);
    const grant = one(c, T.rolePolicy, "-app-cache-connect");
    const statement = JSON.parse(grant.inputs.policy).Statement[0];
    assert.deepEqual(statement.Action, ["elasticache:Connect"]);
    assert.ok(grant.dependencies.includes(one(c, T.cache, "-cache").urn));
    const config = JSON.parse(one(c, T.param, "-app-config").inputs.value);
    assert.equal(config.sessions, def.capabilities.sessions);
    assert.ok(config.cache.primary && config.cache.tls);
  });

  it("scales the web tier on CPU alarms wired to step-scaling policies", () => {
    const asg = one(c, T.asg, "-web-asg");
    assert.equal(asg.inputs.minSize, def.defaults.compute.minSize);
    assert.equal(asg.inputs.maxSize, def.defaults.compute.maxSize);
    const policies = ofType(c, T.policy).filter((p) => p.name.includes("-web-scale-"));
    assert.equal(policies.length, 2);
    for (const p of policies) {
      assert.equal(p.inputs.policyType, "StepScaling");
      assert.ok(p.dependencies.includes(asg.urn));
    }
    const out = named(c, T.policy, "us-east-1-web-scale-out");
    const scaleIn = named(c, T.policy, "us-east-1-web-scale-in");
    assert.ok(out.inputs.stepAdjustments[0].scalingAdjustment > 0);
    assert.ok(scaleIn.inputs.stepAdjustments[0].scalingAdjustment < 0);
    const high = named(c, T.alarm, "us-east-1-web-cpu-high");
    const low = named(c, T.alarm, "us-east-1-web-cpu-low");
    assert.equal(high.inputs.threshold, def.defaults.compute.cpuHigh);
    assert.equal(low.inputs.threshold, def.defaults.compute.cpuLow);
    for (const [alarm, policy] of [
      [high, out],
      [low, scaleIn],
    ] as const) {
      assert.equal(alarm.inputs.metricName, "CPUUtilization");
      assert.equal(alarm.inputs.alarmActions.length, 1);
      assert.ok(alarm.dependencies.includes(policy.urn), `${alarm.name} fires ${policy.name}`);
      assert.ok(alarm.dependencies.includes(asg.urn), `${alarm.name} watches the ASG`);
    }
  });

  it("takes the scaling thresholds from config", async () => {
    const tuned = await plan({ stack: "dev", stage: STAGE, set: ["compute.cpuHigh=60", "compute.cpuLow=20"] });
    assert.equal(named(tuned, T.alarm, "us-east-1-web-cpu-high").inputs.threshold, 60);
    assert.equal(named(tuned, T.alarm, "us-east-1-web-cpu-low").inputs.threshold, 20);
  });

  it("runs the stage's readers, each outside the writer's AZ", () => {
    const instances = ofType(c, T.dbInstance);
    assert.equal(instances.length, def.defaults.database.readers + 1);
    const zones = instances.map((i) => i.inputs.availabilityZone);
    assert.equal(new Set(zones).size, zones.length);
  });

  it("keeps static assets in a private, encrypted, versioned bucket readable only by the distribution", () => {
    const bucket = one(c, T.bucket, "-static");
    assert.ok(bucket.protect && bucket.retainOnDelete);
    const pab = one(c, T.pab, "-static");
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"]) {
      assert.equal(pab.inputs[flag], true, flag);
    }
    assert.equal(one(c, T.sse, "-static").inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
    assert.equal(one(c, T.versioning, "-static").inputs.versioningConfiguration.status, "Enabled");
    assert.equal(one(c, T.ownership, "-static").inputs.rule.objectOwnership, "BucketOwnerEnforced");
    const policy = one(c, T.bucketPolicy, "-static");
    const statement = JSON.parse(policy.inputs.policy).Statement[0];
    assert.deepEqual(statement.Principal, { Service: "cloudfront.amazonaws.com" });
    assert.ok(statement.Condition.StringEquals["AWS:SourceArn"].includes(":distribution/"));
    assert.ok(policy.dependencies.includes(one(c, T.distribution, "-cdn").urn));
  });

  it("serves /static/* from S3 through OAC and the rest from the ALB, viewers on HTTPS only", () => {
    const d = one(c, T.distribution, "-cdn");
    const [behaviour] = d.inputs.orderedCacheBehaviors;
    assert.equal(behaviour.pathPattern, STATIC_PATH_PATTERN);
    const s3 = d.inputs.origins.find((o: { originId: string }) => o.originId === behaviour.targetOriginId);
    assert.ok(s3.originAccessControlId, "the static origin signs with OAC");
    assert.ok(d.dependencies.includes(one(c, T.oac, "-static-oac").urn));
    const web = d.inputs.origins.find((o: { originId: string }) => o.originId === d.inputs.defaultCacheBehavior.targetOriginId);
    assert.equal(web.customOriginConfig.originProtocolPolicy, "http-only", "no domain: the ALB's own name, plain HTTP");
    assert.ok(d.dependencies.includes(one(c, T.alb, "-alb").urn));
    for (const b of [d.inputs.defaultCacheBehavior, behaviour]) {
      assert.ok(["redirect-to-https", "https-only"].includes(b.viewerProtocolPolicy));
    }
    assert.equal(d.inputs.viewerCertificate.cloudfrontDefaultCertificate, true);
    assert.equal(c.outputs.cdnDomain !== undefined, true);
  });

  it("alarms on ALB 5xx, latency, DB CPU and replica lag to a KMS-encrypted SNS topic", () => {
    const topic = one(c, T.topic, "-alarms");
    assert.ok(topic.dependencies.includes(one(c, T.key, "-alarms-key").urn), "encrypted with a key CloudWatch may use");
    // What notifies is `alarmActions` (and `okActions`) naming the topic, not a dependency on it:
    // each list must hold exactly the value that came from the topic, as the engine records it.
    const notifying = ofType(c, T.alarm).filter(
      (a) =>
        a.inputs.alarmActions?.length === 1 &&
        a.inputs.okActions?.length === 1 &&
        (a.propertyDependencies.alarmActions ?? []).includes(topic.urn) &&
        (a.propertyDependencies.okActions ?? []).includes(topic.urn),
    );
    const metrics = notifying.map((a) => `${a.inputs.namespace}/${a.inputs.metricName}`);
    for (const m of [
      "AWS/ApplicationELB/HTTPCode_ELB_5XX_Count",
      "AWS/ApplicationELB/HTTPCode_Target_5XX_Count",
      "AWS/ApplicationELB/TargetResponseTime",
      "AWS/RDS/CPUUtilization",
      "AWS/RDS/AuroraReplicaLagMaximum",
    ]) {
      assert.ok(metrics.includes(m), `alarm on ${m}`);
    }
    const lag = one(c, T.alarm, "-replica-lag");
    assert.match(lag.inputs.dimensions.DBClusterIdentifier, /^us-east-1-db/);
  });

  it("runs the CloudWatch agent on the web instances, with its policy on the role", () => {
    const script = Buffer.from(one(c, T.lt, "-web-lt").inputs.userData, "base64").toString("utf8");
    assert.ok(script.includes("amazon-cloudwatch-agent"));
    assert.ok(ofType(c, T.attachment).some((a) => a.inputs.policyArn.endsWith("/CloudWatchAgentServerPolicy")));
  });
});

describe("stage 5 with a domain, in a region other than us-east-1", () => {
  const REGION = "eu-west-1";
  let c: Capture;
  before(async () => {
    c = await plan({
      stack: "dev",
      stage: STAGE,
      set: ["domain=example.com", "domainDelegated=true", `aws:region=${REGION}`, `regions=["${REGION}"]`],
    });
  });

  it("issues the CloudFront certificate in us-east-1 and the ALB's in the stack's region", () => {
    const cdnCert = one(c, T.cert, "-cdn-cert");
    assert.equal(cdnCert.region, GLOBAL_SERVICES_REGION);
    assert.equal(cdnCert.inputs.domainName, "example.com");
    assert.equal(one(c, T.cert, "-alb-cert").region, REGION);
    const d = one(c, T.distribution, "-cdn");
    assert.deepEqual(d.inputs.aliases, ["example.com"]);
    assert.equal(d.inputs.viewerCertificate.sslSupportMethod, "sni-only");
    assert.ok(d.inputs.viewerCertificate.acmCertificateArn.includes(`:${GLOBAL_SERVICES_REGION}:`));
  });

  it("binds every resource to an explicit provider: the CDN certificate to us-east-1, the rest to the stack's region", () => {
    for (const r of c.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
      assert.ok(r.provider, `${r.name} uses the default provider`);
      // Route 53 is global: its records may go through either provider.
      if (r.type.startsWith("aws:route53/")) continue;
      assert.equal(r.region, r.name.includes("-cdn-cert") ? GLOBAL_SERVICES_REGION : REGION, r.name);
    }
  });

  it("reaches the ALB over HTTPS at origin.<domain>, and points the apex at CloudFront", () => {
    const d = one(c, T.distribution, "-cdn");
    const web = d.inputs.origins.find((o: { originId: string }) => o.originId === d.inputs.defaultCacheBehavior.targetOriginId);
    assert.equal(web.domainName, "origin.example.com");
    assert.equal(web.customOriginConfig.originProtocolPolicy, "https-only");
    for (const name of ["app-a", "app-aaaa"]) {
      const record = named(c, T.record, name);
      assert.ok(record.dependencies.includes(d.urn), `${name} → CloudFront`);
      assert.equal(record.inputs.aliases[0].evaluateTargetHealth, false);
    }
    // origin.<domain> is latency-routed from the first CDN stage, so more regions only add records.
    const alb = one(c, T.alb, "-alb");
    const check = one(c, "aws:route53/healthCheck:HealthCheck");
    // Route 53 probes the app's readiness (it fails when the database is unreachable: app.test.ts),
    // so latency routing drops a region that cannot reach its data; the ALB's own check stays shallow.
    assert.equal(check.inputs.resourcePath, "/ready");
    assert.equal(one(c, "aws:lb/targetGroup:TargetGroup", "-web").inputs.healthCheck.path, "/health");
    assert.ok(check.dependencies.includes(alb.urn), "the health check probes this region's ALB");
    for (const name of [`origin-${REGION}-a`, `origin-${REGION}-aaaa`]) {
      const record = named(c, T.record, name);
      assert.equal(record.inputs.name, "origin.example.com");
      assert.equal(record.inputs.setIdentifier, REGION);
      assert.deepEqual(record.inputs.latencyRoutingPolicies, [{ region: REGION }]);
      assert.ok(record.dependencies.includes(alb.urn), `${name} → ALB`);
      assert.ok(record.dependencies.includes(check.urn), `${name} answers only while healthy`);
    }
  });
});
