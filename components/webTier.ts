import { HEALTH_CHECK_PATH } from "./appPaths";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DnsValidatedCertificate } from "./certificates";
import type { DnsZone } from "./dns";
import { allowTcp, allowWebFromInternet } from "./firewall";
import { al2023AmiParameter } from "./host";
import { CpuArchitecture } from "./plan";
import { renderUserData } from "./userData";

export { HEALTH_CHECK_PATH } from "./appPaths";
export const WEB_PORT = 80;
/** TLS 1.3 with TLS 1.2 fallback and forward-secret ciphers only. */
export const ALB_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06";
/** Seconds a new instance gets to install the app before ELB health checks count against it. */
export const HEALTH_CHECK_GRACE_SECONDS = 300;

export interface FleetArgs {
  instanceType: string;
  architecture: CpuArchitecture;
  instanceProfileArn: pulumi.Input<string>;
  securityGroupId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  targetGroupArn: pulumi.Input<string>;
  minSize: number;
  maxSize: number;
  userData: string;
  /** Tag value of `scaling:role` on the instances. */
  role: string;
}

/**
 * A launch template and the Auto Scaling group that rolls through its versions. The AMI is the
 * public SSM parameter resolved at launch, so the plan is the same every run and a new Amazon
 * Linux release reaches running instances only through an instance refresh, never a replacement.
 */
export function createFleet(
  name: string,
  args: FleetArgs,
  parent: pulumi.Resource,
): { launchTemplate: aws.ec2.LaunchTemplate; group: aws.autoscaling.Group } {
  if (args.minSize < 0 || args.minSize > args.maxSize) {
    throw new Error(`fleet ${name}: need 0 <= minSize <= maxSize, got ${args.minSize}..${args.maxSize}`);
  }
  if (args.subnetIds.length === 0) throw new Error(`fleet ${name}: no subnets`);
  const launchTemplate = new aws.ec2.LaunchTemplate(
    `${name}-lt`,
    {
      description: `${args.role} instances of the scaling-journey app`,
      imageId: `resolve:ssm:${al2023AmiParameter(args.architecture)}`,
      instanceType: args.instanceType,
      iamInstanceProfile: { arn: args.instanceProfileArn },
      vpcSecurityGroupIds: [args.securityGroupId],
      metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [
        {
          deviceName: "/dev/xvda",
          ebs: { volumeType: "gp3", volumeSize: 20, encrypted: "true", deleteOnTermination: "true" },
        },
      ],
      monitoring: { enabled: true },
      userData: Buffer.from(args.userData, "utf8").toString("base64"),
      updateDefaultVersion: true,
      tagSpecifications: [
        { resourceType: "instance", tags: { Name: name, "scaling:role": args.role } },
        { resourceType: "volume", tags: { Name: name, "scaling:role": args.role } },
      ],
    },
    { parent },
  );
  const group = new aws.autoscaling.Group(
    `${name}-asg`,
    {
      minSize: args.minSize,
      maxSize: args.maxSize,
      vpcZoneIdentifiers: args.subnetIds,
      targetGroupArns: [args.targetGroupArn],
      healthCheckType: "ELB",
      healthCheckGracePeriod: HEALTH_CHECK_GRACE_SECONDS,
      launchTemplate: { id: launchTemplate.id, version: pulumi.interpolate`${launchTemplate.latestVersion}` },
      instanceRefresh: {
        strategy: "Rolling",
        preferences: { minHealthyPercentage: 90, instanceWarmup: String(HEALTH_CHECK_GRACE_SECONDS) },
      },
      enabledMetrics: ["GroupInServiceInstances", "GroupDesiredCapacity", "GroupMinSize", "GroupMaxSize"],
      tags: [{ key: "Name", value: name, propagateAtLaunch: true }],
    },
    // The scaling policies own the desired capacity between min and max.
    { parent, ignoreChanges: ["desiredCapacity"] },
  );
  return { launchTemplate, group };
}

export interface WebTierArgs {
  prefix: string;
  region: string;
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string>[];
  appSubnetIds: pulumi.Input<string>[];
  /** The app's security group (the stage 2–3 host's): it only gains a rule from the ALB. */
  webSecurityGroupId: pulumi.Input<string>;
  instanceProfileArn: pulumi.Input<string>;
  configParameter: string;
  instanceType: string;
  architecture: CpuArchitecture;
  minSize: number;
  maxSize: number;
  cloudwatchAgent: boolean;
  /** HTTPS on the ALB with a certificate for the domain and its subdomains (`origin.` for CloudFront). */
  tls?: { domain: string; zone: DnsZone };
  /** Step scaling fired by CPU alarms on the group; target percentages. */
  alarmScaling?: { cpuHigh: number; cpuLow: number };
}

/**
 * The load-balanced web tier: an internet-facing dual-stack ALB in every public subnet, a target
 * group that health-checks the app, and an Auto Scaling group in the app subnets of every AZ.
 * Names, ports, protocols and `internal` are fixed here once: they force replacements.
 */
export class WebTier extends pulumi.ComponentResource {
  readonly loadBalancerDnsName: pulumi.Output<string>;
  readonly loadBalancerZoneId: pulumi.Output<string>;
  readonly loadBalancerArnSuffix: pulumi.Output<string>;
  readonly targetGroupArnSuffix: pulumi.Output<string>;
  readonly autoScalingGroupName: pulumi.Output<string>;
  readonly albSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: WebTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:webtier:WebTier", name, {}, opts);
    const problems: string[] = [];
    if (!args.prefix) problems.push("prefix is required");
    if (args.publicSubnetIds.length < 1) problems.push("needs at least one public subnet");
    if (args.appSubnetIds.length < 1) problems.push("needs at least one app subnet");
    if (args.minSize < 0 || args.minSize > args.maxSize)
      problems.push(`needs 0 <= minSize <= maxSize, got ${args.minSize}..${args.maxSize}`);
    if (args.alarmScaling && !(args.alarmScaling.cpuLow < args.alarmScaling.cpuHigh)) {
      problems.push(`cpuLow (${args.alarmScaling.cpuLow}) must be below cpuHigh (${args.alarmScaling.cpuHigh})`);
    }
    if (problems.length > 0) throw new Error(`WebTier ${name}: ${problems.join("; ")}`);
    const p = args.prefix;
    const parent = { parent: this };

    const albSg = new aws.ec2.SecurityGroup(
      `${p}-alb-sg`,
      { vpcId: args.vpcId, description: "Internet-facing load balancer of the scaling-journey app", tags: { Name: `${p}-alb` } },
      parent,
    );
    this.albSecurityGroupId = albSg.id;
    allowWebFromInternet(`${p}-alb-in`, albSg.id, args.tls ? [80, 443] : [80], parent);
    // A new group's default allow-all egress is removed by the provider: the ALB may reach the web tier only.
    new aws.vpc.SecurityGroupEgressRule(
      `${p}-alb-to-web`,
      {
        securityGroupId: albSg.id,
        ipProtocol: "tcp",
        fromPort: WEB_PORT,
        toPort: WEB_PORT,
        referencedSecurityGroupId: args.webSecurityGroupId,
        description: "HTTP to the web tier instances",
      },
      parent,
    );
    allowTcp(
      `${p}-web-from-alb`,
      {
        to: args.webSecurityGroupId,
        from: { securityGroupId: albSg.id },
        port: WEB_PORT,
        description: "HTTP from the public load balancer",
      },
      parent,
    );

    const alb = new aws.lb.LoadBalancer(
      `${p}-alb`,
      {
        loadBalancerType: "application",
        internal: false,
        ipAddressType: "dualstack",
        subnets: args.publicSubnetIds,
        securityGroups: [albSg.id],
        dropInvalidHeaderFields: true,
        idleTimeout: 60,
        tags: { Name: `${p}-alb` },
      },
      parent,
    );
    const targetGroup = appTargetGroup(`${p}-web-tg`, { vpcId: args.vpcId, port: WEB_PORT, tags: { Name: `${p}-web` } }, parent);
    const forward = [{ type: "forward", targetGroupArn: targetGroup.arn }];

    if (args.tls) {
      const certificate = new DnsValidatedCertificate(
        `${p}-alb-cert`,
        {
          prefix: p,
          domain: args.tls.domain,
          // The wildcard covers `origin.<domain>`, the name CloudFront uses for this ALB.
          subjectAlternativeNames: [`*.${args.tls.domain}`],
          zone: args.tls.zone,
        },
        parent,
      );
      new aws.lb.Listener(
        `${p}-alb-https`,
        {
          loadBalancerArn: alb.arn,
          port: 443,
          protocol: "HTTPS",
          sslPolicy: ALB_TLS_POLICY,
          certificateArn: certificate.certificateArn,
          defaultActions: forward,
        },
        parent,
      );
    }
    new aws.lb.Listener(
      `${p}-alb-http`,
      {
        loadBalancerArn: alb.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: args.tls ? [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }] : forward,
      },
      parent,
    );

    const { group } = createFleet(
      `${p}-web`,
      {
        instanceType: args.instanceType,
        architecture: args.architecture,
        instanceProfileArn: args.instanceProfileArn,
        securityGroupId: args.webSecurityGroupId,
        subnetIds: args.appSubnetIds,
        targetGroupArn: targetGroup.arn,
        minSize: args.minSize,
        maxSize: args.maxSize,
        userData: renderUserData({
          region: args.region,
          configParameter: args.configParameter,
          port: WEB_PORT,
          role: "web",
          cloudwatchAgent: args.cloudwatchAgent,
        }),
        role: "web",
      },
      this,
    );

    if (args.alarmScaling) this.scaleOnCpuAlarms(p, group, args.alarmScaling);

    this.loadBalancerDnsName = alb.dnsName;
    this.loadBalancerZoneId = alb.zoneId;
    this.loadBalancerArnSuffix = alb.arnSuffix;
    this.targetGroupArnSuffix = targetGroup.arnSuffix;
    this.autoScalingGroupName = group.name;
    this.registerOutputs({ loadBalancerDnsName: this.loadBalancerDnsName, autoScalingGroupName: this.autoScalingGroupName });
  }

  /** The seed's "autoscaling with CloudWatch": one instance out above cpuHigh, one in below cpuLow. */
  private scaleOnCpuAlarms(p: string, group: aws.autoscaling.Group, cpu: { cpuHigh: number; cpuLow: number }): void {
    const parent = { parent: this };
    const policy = (direction: "out" | "in") =>
      new aws.autoscaling.Policy(
        `${p}-web-scale-${direction}`,
        {
          autoscalingGroupName: group.name,
          policyType: "StepScaling",
          adjustmentType: "ChangeInCapacity",
          metricAggregationType: "Average",
          estimatedInstanceWarmup: HEALTH_CHECK_GRACE_SECONDS,
          stepAdjustments:
            direction === "out"
              ? [{ scalingAdjustment: 1, metricIntervalLowerBound: "0" }]
              : [{ scalingAdjustment: -1, metricIntervalUpperBound: "0" }],
        },
        parent,
      );
    const out = policy("out");
    const scaleIn = policy("in");
    const alarm = (direction: "high" | "low", target: aws.autoscaling.Policy) =>
      new aws.cloudwatch.MetricAlarm(
        `${p}-web-cpu-${direction}`,
        {
          alarmDescription:
            direction === "high"
              ? `Web tier average CPU at or above ${cpu.cpuHigh}%: add an instance`
              : `Web tier average CPU at or below ${cpu.cpuLow}%: remove an instance`,
          namespace: "AWS/EC2",
          metricName: "CPUUtilization",
          dimensions: { AutoScalingGroupName: group.name },
          statistic: "Average",
          period: 60,
          // Scale out fast, scale in slowly so that a short lull does not shed capacity.
          evaluationPeriods: direction === "high" ? 2 : 10,
          threshold: direction === "high" ? cpu.cpuHigh : cpu.cpuLow,
          comparisonOperator: direction === "high" ? "GreaterThanOrEqualToThreshold" : "LessThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [target.arn],
        },
        parent,
      );
    alarm("high", out);
    alarm("low", scaleIn);
  }
}

/**
 * An HTTP target group that checks the app's health path on the traffic port. Its name, port and
 * protocol force a replacement, so they are fixed per tier (web: 80, a service: its port).
 */
export function appTargetGroup(
  name: string,
  args: { vpcId: pulumi.Input<string>; port: number; tags: Record<string, string>; physicalName?: string },
  opts: pulumi.CustomResourceOptions,
): aws.lb.TargetGroup {
  return new aws.lb.TargetGroup(
    name,
    {
      name: args.physicalName,
      vpcId: args.vpcId,
      port: args.port,
      protocol: "HTTP",
      targetType: "instance",
      deregistrationDelay: 30,
      healthCheck: {
        enabled: true,
        path: HEALTH_CHECK_PATH,
        protocol: "HTTP",
        port: "traffic-port",
        matcher: "200",
        interval: 15,
        timeout: 5,
        healthyThreshold: 2,
        unhealthyThreshold: 3,
      },
      tags: args.tags,
    },
    opts,
  );
}
