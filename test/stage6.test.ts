import { strict as assert } from "node:assert";
import type { Capture, ResourceRecord } from "../tools/capture";
import { named, ofType, one, plan } from "./helpers";

// Expectations come from SPEC (stage 6: three AZs, a NAT gateway per AZ, services that run hot),
// from the app (app/server.js serves /health, listens on PORT, 80 by default), and from the
// services this test configures itself; never from the stage table or the code under test.
const STAGE = 6;
const AZS = 3;
const HEALTH_PATH = "/health";
const WEB_PORT = 80;
const SERVICES = [
  { name: "orders", port: 9090, path: "/orders", minSize: 2, maxSize: 5 },
  { name: "search", port: 9191, path: "/search", minSize: 1, maxSize: 4 },
];
const T = {
  nat: "aws:ec2/natGateway:NatGateway",
  route: "aws:ec2/route:Route",
  subnet: "aws:ec2/subnet:Subnet",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  rule: "aws:lb/listenerRule:ListenerRule",
  lt: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  policy: "aws:autoscaling/policy:Policy",
  table: "aws:dynamodb/table:Table",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  param: "aws:ssm/parameter:Parameter",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
};

const ids = {
  web: (c: Capture) => one(c, T.lt, "-web-lt").inputs.vpcSecurityGroupIds[0] as string,
  ilb: (c: Capture) => one(c, T.alb, "-ilb").inputs.securityGroups[0] as string,
  services: (c: Capture) => ofType(c, T.lt).find((lt) => lt.name.includes("-svc-"))!.inputs.vpcSecurityGroupIds[0] as string,
};
const userDataOf = (lt: ResourceRecord) => Buffer.from(lt.inputs.userData, "base64").toString("utf8");

describe("stage 6 (half a million users): three AZs, DynamoDB sessions, microservices", () => {
  let c: Capture;
  before(async () => {
    c = await plan({ stack: "dev", stage: STAGE });
  });

  it("spans three AZs with one NAT gateway per AZ, each app subnet routed through its own", () => {
    const nats = ofType(c, T.nat);
    assert.equal(nats.length, AZS);
    const routes = ofType(c, T.route).filter((r) => /-app-\d+-default-v4$/.test(r.name));
    assert.equal(routes.length, AZS);
    const used = routes.map((r) => nats.find((n) => r.dependencies.includes(n.urn))?.urn);
    assert.equal(new Set(used).size, AZS);
    // Same AZ: the app subnet i's default route goes to the NAT gateway in public subnet i.
    const subnets = ofType(c, "aws:ec2/subnet:Subnet");
    for (const route of routes) {
      const i = /-app-(\d+)-default-v4$/.exec(route.name)![1];
      const nat = nats.find((n) => route.dependencies.includes(n.urn))!;
      const natSubnet = subnets.find((s) => nat.dependencies.includes(s.urn))!;
      assert.equal(natSubnet.name, route.name.replace(/-app-\d+-default-v4$/, `-public-${i}`), `${route.name} stays in its AZ`);
    }
    assert.equal(one(c, T.alb, "-alb").inputs.subnets.length, AZS);
    const asg = one(c, T.asg, "-web-asg");
    assert.equal(asg.inputs.vpcZoneIdentifiers.length, AZS);
    assert.ok(asg.inputs.minSize >= AZS, "at least one web instance in each AZ");
  });

  it("keeps sessions in an on-demand, TTL, PITR, encrypted, protected DynamoDB table with streams for global tables", () => {
    const table = one(c, T.table, "-sessions");
    assert.equal(table.inputs.billingMode, "PAY_PER_REQUEST");
    assert.equal(typeof table.inputs.hashKey, "string");
    assert.deepEqual(
      table.inputs.attributes.map((a: { name: string }) => a.name),
      [table.inputs.hashKey],
      "the key is the one attribute",
    );
    assert.equal(table.inputs.ttl.enabled, true);
    assert.equal(typeof table.inputs.ttl.attributeName, "string");
    assert.notEqual(table.inputs.ttl.attributeName, table.inputs.hashKey);
    assert.equal(table.inputs.pointInTimeRecovery.enabled, true);
    assert.equal(table.inputs.serverSideEncryption.enabled, true);
    assert.equal(table.inputs.streamEnabled, true);
    assert.equal(table.inputs.streamViewType, "NEW_AND_OLD_IMAGES");
    assert.equal(table.inputs.deletionProtectionEnabled, true);
    assert.ok(table.protect && table.retainOnDelete);
    assert.equal(table.inputs.name, undefined, "auto-named: a name change would replace the table");
    const config = JSON.parse(one(c, T.param, "-app-config").inputs.value);
    assert.equal(config.sessions, "dynamodb");
    assert.match(config.sessionsTable, /^us-east-1-sessions/);
  });

  it("lets the app role read and write items of the sessions table only", () => {
    const table = one(c, T.table, "-sessions");
    const grant = one(c, T.rolePolicy, "-app-sessions-table");
    assert.ok(grant.dependencies.includes(table.urn));
    const [statement] = JSON.parse(grant.inputs.policy).Statement;
    assert.equal(statement.Resource.length, 1);
    assert.match(statement.Resource[0], /:table\/us-east-1-sessions-[0-9a-f]+$/);
    assert.ok(statement.Action.every((a: string) => a.startsWith("dynamodb:") && !/Table|\*/.test(a)));
  });

  it("routes to the services through an internal ALB in the app subnets that 404s unknown paths", () => {
    const ilb = one(c, T.alb, "-ilb");
    assert.equal(ilb.inputs.internal, true);
    assert.equal(ilb.inputs.subnets.length, AZS);
    const appSubnets = ofType(c, T.subnet).filter((s) => /-app-\d+$/.test(s.name));
    assert.ok(appSubnets.every((s) => ilb.dependencies.includes(s.urn)));
    const listener = one(c, T.listener, "-ilb-http");
    assert.equal(listener.inputs.port, WEB_PORT);
    assert.equal(listener.inputs.defaultActions[0].type, "fixed-response");
    assert.equal(listener.inputs.defaultActions[0].fixedResponse.statusCode, "404");
    const config = JSON.parse(one(c, T.param, "-app-config").inputs.value);
    assert.match(config.servicesUrl, /^http:\/\/internal-/);
    assert.ok(c.outputs.internalLoadBalancerDns);
  });

  it("gives every configured service its own launch template, ASG, target group, route and target-tracking policy", async () => {
    const c = await plan({ stack: "dev", stage: STAGE, set: [`services=${JSON.stringify(SERVICES)}`] });
    const listener = one(c, T.listener, "-ilb-http");
    assert.equal(ofType(c, T.tg).filter((t) => t.name.includes("-svc-")).length, SERVICES.length);
    for (const s of SERVICES) {
      const n = `us-east-1-svc-${s.name}`;
      const tg = named(c, T.tg, `${n}-tg`);
      assert.equal(tg.inputs.port, s.port);
      assert.equal(tg.inputs.healthCheck.path, HEALTH_PATH);
      const lt = named(c, T.lt, `${n}-lt`);
      assert.match(userDataOf(lt), new RegExp(`PORT=${s.port} APP_ROLE=service`));
      assert.equal(lt.inputs.metadataOptions.httpTokens, "required");
      const asg = named(c, T.asg, `${n}-asg`);
      assert.equal(asg.inputs.minSize, s.minSize);
      assert.equal(asg.inputs.maxSize, s.maxSize);
      assert.equal(asg.inputs.healthCheckType, "ELB");
      assert.equal(asg.inputs.vpcZoneIdentifiers.length, AZS);
      assert.ok(asg.dependencies.includes(tg.urn) && asg.dependencies.includes(lt.urn));
      const rule = named(c, T.rule, `${n}-route`);
      assert.deepEqual(rule.inputs.conditions[0].pathPattern.values, [s.path, `${s.path}/*`]);
      assert.ok(rule.dependencies.includes(tg.urn) && rule.dependencies.includes(listener.urn));
      const policy = named(c, T.policy, `${n}-cpu-target`);
      assert.equal(policy.inputs.policyType, "TargetTrackingScaling");
      assert.equal(
        policy.inputs.targetTrackingConfiguration.predefinedMetricSpecification.predefinedMetricType,
        "ASGAverageCPUUtilization",
      );
      const target = policy.inputs.targetTrackingConfiguration.targetValue;
      assert.ok(target >= 70 && target < 100, `services run hot: target ${target}% CPU`);
      assert.ok(policy.dependencies.includes(asg.urn));
    }
  });

  it("chains security groups least-privilege: web → internal ALB:80 → service ports → database", async () => {
    const c = await plan({ stack: "dev", stage: STAGE, set: [`services=${JSON.stringify(SERVICES)}`] });
    const [web, ilb, svc] = [ids.web(c), ids.ilb(c), ids.services(c)];
    const into = (sg: string) => ofType(c, T.ingress).filter((r) => r.inputs.securityGroupId === sg);
    const toIlb = into(ilb);
    assert.equal(toIlb.length, 1);
    assert.equal(toIlb[0].inputs.referencedSecurityGroupId, web);
    assert.equal(toIlb[0].inputs.fromPort, WEB_PORT);
    const toSvc = into(svc);
    assert.deepEqual(toSvc.map((r) => r.inputs.fromPort).sort(), SERVICES.map((s) => s.port).sort());
    assert.ok(toSvc.every((r) => r.inputs.referencedSecurityGroupId === ilb && r.inputs.fromPort === r.inputs.toPort));
    const fromIlb = ofType(c, T.egress).filter((r) => r.inputs.securityGroupId === ilb);
    assert.ok(fromIlb.length > 0 && fromIlb.every((r) => r.inputs.referencedSecurityGroupId === svc));
    const db = named(c, T.ingress, "us-east-1-db-from-services");
    assert.equal(db.inputs.referencedSecurityGroupId, svc);
  });

  it("builds one stack per configured service, each on its own port and path", async () => {
    const services = [
      { name: "orders", port: 8081, path: "/orders", minSize: 3, maxSize: 6 },
      { name: "users", port: 8082, path: "/users", minSize: 2, maxSize: 4 },
    ];
    const custom = await plan({ stack: "dev", stage: STAGE, set: [`services=${JSON.stringify(services)}`] });
    assert.equal(ofType(custom, T.asg).filter((a) => a.name.includes("-svc-")).length, services.length);
    assert.equal(ofType(custom, T.rule).length, services.length);
    for (const s of services) {
      assert.equal(named(custom, T.tg, `us-east-1-svc-${s.name}-tg`).inputs.port, s.port);
      assert.equal(named(custom, T.asg, `us-east-1-svc-${s.name}-asg`).inputs.maxSize, s.maxSize);
      assert.ok(ofType(custom, T.ingress).some((r) => r.name === `us-east-1-svc-from-ilb-${s.port}`));
    }
    const priorities = ofType(custom, T.rule).map((r) => r.inputs.priority);
    assert.equal(new Set(priorities).size, priorities.length);
  });

  it("publishes an SLO dashboard: requests, 5xx, latency, database and cache", () => {
    const dashboard = one(c, T.dashboard, "-slo");
    assert.match(dashboard.inputs.dashboardName, new RegExp(`-${c.stack}-us-east-1-slo$`), "unique per stack and region");
    const body = JSON.stringify(JSON.parse(dashboard.inputs.dashboardBody));
    for (const metric of [
      "RequestCount",
      "HTTPCode_Target_5XX_Count",
      "TargetResponseTime",
      "AuroraReplicaLagMaximum",
      "EngineCPUUtilization",
      "Evictions",
    ]) {
      assert.ok(body.includes(metric), metric);
    }
  });
});
