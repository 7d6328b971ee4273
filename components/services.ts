import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DnsValidatedCertificate } from "./certificates";
import type { DnsZone } from "./dns";
import { allowTcp } from "./firewall";
import { targetGroupName } from "./names";
import { CpuArchitecture, ServicePlan } from "./plan";
import { renderUserData } from "./userData";
import { ALB_TLS_POLICY, appTargetGroup, createFleet, WEB_PORT } from "./webTier";

/** The internal load balancer's HTTPS port. */
export const INTERNAL_HTTPS_PORT = 443;

/** The internal load balancer's label under the stack's domain: one per region, `services-<region>.<domain>`. */
export const internalServicesLabel = (region: string) => `services-${region}`;

export interface InternalLoadBalancerArgs {
  prefix: string;
  vpcId: pulumi.Input<string>;
  appSubnetIds: pulumi.Input<string>[];
  /** The only clients of the internal load balancer: the web tier. */
  webSecurityGroupId: pulumi.Input<string>;
  /**
   * HTTPS with a certificate for `<label>.<domain>` (the stack's delegated domain), published in
   * `zone` as an alias to this load balancer. Without it the internal load balancer serves plain HTTP.
   */
  tls?: { label: string; zone: DnsZone };
}

/**
 * The load balancer between the web tier and the microservices, with the security groups of both
 * sides. It exists before the services so that its address can go into the app's config, which the
 * services' instances read at boot. Unknown paths get a 404 rather than reaching any service.
 */
export class InternalLoadBalancer extends pulumi.ComponentResource {
  readonly dnsName: pulumi.Output<string>;
  /** What the web tier calls: `https://<name>` with a domain, else `http://<load balancer DNS>`. */
  readonly url: pulumi.Output<string>;
  readonly arnSuffix: pulumi.Output<string>;
  readonly listenerArn: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  /** The group every microservice instance runs in. */
  readonly servicesSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: InternalLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:services:InternalLoadBalancer", name, {}, opts);
    if (!args.prefix) throw new Error(`InternalLoadBalancer ${name}: prefix is required`);
    if (args.appSubnetIds.length < 2) throw new Error(`InternalLoadBalancer ${name}: an ALB needs subnets in at least two AZs`);
    const p = args.prefix;
    const parent = { parent: this };

    const sg = new aws.ec2.SecurityGroup(
      `${p}-ilb-sg`,
      { vpcId: args.vpcId, description: "Internal load balancer in front of the scaling-journey services", tags: { Name: `${p}-ilb` } },
      parent,
    );
    allowTcp(
      `${p}-ilb-from-web`,
      { to: sg.id, from: { securityGroupId: args.webSecurityGroupId }, port: WEB_PORT, description: "HTTP from the web tier" },
      parent,
    );
    const services = new aws.ec2.SecurityGroup(
      `${p}-svc-sg`,
      { vpcId: args.vpcId, description: "Microservice instances of the scaling-journey app", tags: { Name: `${p}-svc` } },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${p}-svc-egress-v4`,
      { securityGroupId: services.id, ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", description: "Package installs, AWS APIs and the database" },
      parent,
    );

    const alb = new aws.lb.LoadBalancer(
      `${p}-ilb`,
      {
        loadBalancerType: "application",
        internal: true,
        ipAddressType: "ipv4",
        subnets: args.appSubnetIds,
        securityGroups: [sg.id],
        dropInvalidHeaderFields: true,
        tags: { Name: `${p}-ilb` },
      },
      parent,
    );
    const notFound = [
      { type: "fixed-response", fixedResponse: { contentType: "text/plain", statusCode: "404", messageBody: "no such service" } },
    ];
    const https = args.tls ? this.serveHttps(p, args.tls, alb, sg.id, args.webSecurityGroupId, notFound) : undefined;
    const listener = new aws.lb.Listener(
      `${p}-ilb-http`,
      {
        loadBalancerArn: alb.arn,
        port: WEB_PORT,
        protocol: "HTTP",
        // With HTTPS, plain HTTP only redirects: instances booted before the switch still reach
        // the services until the instance refresh has replaced them.
        defaultActions: https
          ? [{ type: "redirect", redirect: { protocol: "HTTPS", port: String(INTERNAL_HTTPS_PORT), statusCode: "HTTP_301" } }]
          : notFound,
      },
      parent,
    );
    this.dnsName = alb.dnsName;
    this.url = args.tls ? pulumi.output(`https://${args.tls.zone.fqdn(args.tls.label)}`) : pulumi.interpolate`http://${alb.dnsName}`;
    this.arnSuffix = alb.arnSuffix;
    this.listenerArn = (https ?? listener).arn;
    this.securityGroupId = sg.id;
    this.servicesSecurityGroupId = services.id;
    this.registerOutputs({ dnsName: this.dnsName });
  }

  /** An HTTPS listener with a validated certificate for the internal name, the name itself, and 443 from the web tier. */
  private serveHttps(
    p: string,
    tls: { label: string; zone: DnsZone },
    alb: aws.lb.LoadBalancer,
    securityGroupId: pulumi.Output<string>,
    webSecurityGroupId: pulumi.Input<string>,
    notFound: aws.types.input.lb.ListenerDefaultAction[],
  ): aws.lb.Listener {
    const parent = { parent: this };
    allowTcp(
      `${p}-ilb-from-web-https`,
      {
        to: securityGroupId,
        from: { securityGroupId: webSecurityGroupId },
        port: INTERNAL_HTTPS_PORT,
        description: "HTTPS from the web tier",
      },
      parent,
    );
    const certificate = new DnsValidatedCertificate(
      `${p}-ilb-cert`,
      { prefix: p, domain: tls.zone.fqdn(tls.label), subjectAlternativeNames: [], zone: tls.zone },
      parent,
    );
    // The name resolves to the load balancer's private addresses: only the VPC can reach them.
    tls.zone.aliasTo(`${p}-ilb-a`, tls.label, "A", { dnsName: alb.dnsName, zoneId: alb.zoneId });
    return new aws.lb.Listener(
      `${p}-ilb-https`,
      {
        loadBalancerArn: alb.arn,
        port: INTERNAL_HTTPS_PORT,
        protocol: "HTTPS",
        sslPolicy: ALB_TLS_POLICY,
        certificateArn: certificate.certificateArn,
        defaultActions: notFound,
      },
      parent,
    );
  }
}

export interface ServicesArgs {
  prefix: string;
  region: string;
  /** `<project>-<stack>`, which makes the services' target-group names unique per stack. */
  stackId: string;
  vpcId: pulumi.Input<string>;
  appSubnetIds: pulumi.Input<string>[];
  services: ServicePlan[];
  loadBalancer: InternalLoadBalancer;
  instanceType: string;
  architecture: CpuArchitecture;
  instanceProfileArn: pulumi.Input<string>;
  configParameter: string;
  cloudwatchAgent: boolean;
  /** Target-tracking CPU utilisation: services run hot and scale out before they saturate. */
  targetCpu: number;
}

/**
 * One launch template, Auto Scaling group and target group per microservice, routed by path on
 * the internal load balancer. Each service is named by its config name, so adding or removing a
 * service never touches another one.
 */
export class Services extends pulumi.ComponentResource {
  readonly autoScalingGroupNames: Record<string, pulumi.Output<string>> = {};
  readonly targetGroupArnSuffixes: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: ServicesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:services:Services", name, {}, opts);
    validateServices(name, args);
    const p = args.prefix;
    const parent = { parent: this };
    const lb = args.loadBalancer;

    for (const port of [...new Set(args.services.map((s) => s.port))]) {
      allowTcp(
        `${p}-svc-from-ilb-${port}`,
        {
          to: lb.servicesSecurityGroupId,
          from: { securityGroupId: lb.securityGroupId },
          port,
          description: `Port ${port} from the internal load balancer`,
        },
        parent,
      );
      new aws.vpc.SecurityGroupEgressRule(
        `${p}-ilb-to-svc-${port}`,
        {
          securityGroupId: lb.securityGroupId,
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          referencedSecurityGroupId: lb.servicesSecurityGroupId,
          description: `Port ${port} to the service instances`,
        },
        parent,
      );
    }

    args.services.forEach((service, i) => {
      const n = `${p}-svc-${service.name}`;
      const targetGroup = appTargetGroup(
        `${n}-tg`,
        {
          vpcId: args.vpcId,
          port: service.port,
          tags: { Name: n, "scaling:service": service.name },
          physicalName: targetGroupName(args.stackId, args.region, service.name),
        },
        parent,
      );
      const { group } = createFleet(
        n,
        {
          instanceType: args.instanceType,
          architecture: args.architecture,
          instanceProfileArn: args.instanceProfileArn,
          securityGroupId: lb.servicesSecurityGroupId,
          subnetIds: args.appSubnetIds,
          targetGroupArn: targetGroup.arn,
          minSize: service.minSize,
          maxSize: service.maxSize,
          userData: renderUserData({
            region: args.region,
            configParameter: args.configParameter,
            port: service.port,
            role: "service",
            cloudwatchAgent: args.cloudwatchAgent,
          }),
          role: `service-${service.name}`,
        },
        this,
      );
      new aws.autoscaling.Policy(
        `${n}-cpu-target`,
        {
          autoscalingGroupName: group.name,
          policyType: "TargetTrackingScaling",
          estimatedInstanceWarmup: 300,
          targetTrackingConfiguration: {
            predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" },
            targetValue: args.targetCpu,
          },
        },
        parent,
      );
      new aws.lb.ListenerRule(
        `${n}-route`,
        {
          listenerArn: lb.listenerArn,
          // Config order sets precedence; paths are validated to be distinct, so order only matters for prefixes.
          priority: (i + 1) * 10,
          conditions: [{ pathPattern: { values: [service.path, `${service.path}/*`] } }],
          actions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        },
        parent,
      );
      this.autoScalingGroupNames[service.name] = group.name;
      this.targetGroupArnSuffixes[service.name] = targetGroup.arnSuffix;
    });
    this.registerOutputs({});
  }
}

function validateServices(name: string, args: ServicesArgs): void {
  const problems: string[] = [];
  if (!args.prefix) problems.push("prefix is required");
  if (args.services.length === 0) problems.push("no services planned");
  if (args.services.length > 99) problems.push("at most 99 services fit the listener rule priorities");
  if (!(args.targetCpu > 0 && args.targetCpu <= 100)) problems.push(`targetCpu must be in (0, 100], got ${args.targetCpu}`);
  const seen = { names: new Set<string>(), paths: new Set<string>() };
  for (const s of args.services) {
    if (seen.names.has(s.name)) problems.push(`service name ${s.name} is used twice`);
    if (seen.paths.has(s.path)) problems.push(`service path ${s.path} is used twice`);
    if (!s.path.startsWith("/") || s.path.endsWith("/")) problems.push(`service ${s.name}: path ${s.path} must start and not end with /`);
    if (s.minSize > s.maxSize) problems.push(`service ${s.name}: minSize ${s.minSize} > maxSize ${s.maxSize}`);
    seen.names.add(s.name);
    seen.paths.add(s.path);
  }
  if (problems.length > 0) throw new Error(`Services ${name}: ${problems.join("; ")}`);
}

export { targetGroupName } from "./names";
