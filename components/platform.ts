import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LambdaBackend } from "./backend";
import { DnsZone } from "./dns";
import { PlatformPlan } from "./plan";
import { parameterPath, RegionStack } from "./region";
import { StaticSite } from "./site";

/** Route 53, CloudFront and their certificates are homed in us-east-1, whatever the stack's regions. */
export const GLOBAL_SERVICES_REGION = "us-east-1";
/** Tag of the SSM parameter that tells the policy pack which stage the stack is at. */
export const STAGE_MARKER_TAG = { key: "scaling:role", value: "stage-marker" } as const;

export interface PlatformArgs {
  plan: PlatformPlan;
}

/**
 * The whole stack for one stage plan: a provider per region (named by region, never by role, so
 * a new primary moves nothing), the stage-1 serverless launch, the regional stacks and DNS.
 */
export class Platform extends pulumi.ComponentResource {
  readonly siteUrl?: pulumi.Output<string>;
  readonly apiUrl?: pulumi.Output<string>;
  readonly appUrl?: pulumi.Output<string>;
  readonly hostPublicIp?: pulumi.Output<string>;
  readonly databaseEndpoints?: pulumi.Output<unknown>;
  readonly loadBalancerDns?: pulumi.Output<string>;
  readonly cdnDomain?: pulumi.Output<string>;
  readonly nameServers?: pulumi.Output<string[]>;
  readonly shardMap?: pulumi.Output<unknown>;
  readonly cacheEndpoint?: pulumi.Output<string>;
  readonly sessionsTable?: pulumi.Output<string>;
  readonly internalLoadBalancerDns?: pulumi.Output<string>;
  private readonly providers = new Map<string, aws.Provider>();

  constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:platform:Platform", name, {}, opts);
    const { plan } = args;
    const caps = plan.caps;
    const primary = this.provider(plan, plan.primaryRegion);

    new aws.ssm.Parameter(
      "stage",
      {
        name: `${parameterPath(plan)}/stage`,
        type: "String",
        value: String(plan.stage.stage),
        description: `Scaling-journey stage of this stack (${plan.stage.name}); the policy pack reads it`,
        tags: { [STAGE_MARKER_TAG.key]: STAGE_MARKER_TAG.value, "scaling:production": String(plan.production) },
      },
      { parent: this, provider: primary },
    );

    const zone = plan.domain
      ? new DnsZone(
          "dns",
          { domain: plan.domain, protectData: plan.protectData },
          { parent: this, provider: this.provider(plan, GLOBAL_SERVICES_REGION) },
        )
      : undefined;
    this.nameServers = zone?.nameServers;

    if (caps.lambdaBackend) {
      const backend = new LambdaBackend(
        "backend",
        { stage: plan.stage.stage, logRetentionDays: 30, allowedOrigins: ["*"] },
        { parent: this, providers: { aws: primary } },
      );
      this.apiUrl = backend.url;
      if (caps.staticSite) {
        const site = new StaticSite(
          "site",
          { description: `Launch page of ${plan.project}/${plan.stack}`, backendUrl: backend.url },
          { parent: this, providers: { aws: primary } },
        );
        this.siteUrl = site.url;
      }
    }

    const regions = plan.activeRegions.map(
      (region) =>
        new RegionStack(
          region,
          {
            plan,
            region,
            isPrimary: region === plan.primaryRegion,
            provider: this.provider(plan, region),
            zone,
            globalProvider: zone ? this.provider(plan, GLOBAL_SERVICES_REGION) : undefined,
          },
          { parent: this },
        ),
    );
    const home = regions.find((r) => r.region === plan.primaryRegion);

    if (home?.hostPublicIp) {
      this.hostPublicIp = home.hostPublicIp;
      this.appUrl = plan.domain ? pulumi.output(`http://${plan.domain}`) : pulumi.interpolate`http://${home.hostPublicIp}`;
      if (zone && home.hostIpv6Address) {
        zone.pointTo("app-a", "", "A", [home.hostPublicIp]);
        zone.pointTo("app-aaaa", "", "AAAA", [home.hostIpv6Address]);
      }
    }
    if (home?.loadBalancerDns && home.loadBalancerZoneId) {
      const alb = { dnsName: home.loadBalancerDns, zoneId: home.loadBalancerZoneId };
      this.loadBalancerDns = home.loadBalancerDns;
      this.cdnDomain = home.cdnDomain;
      this.cacheEndpoint = home.cacheEndpoint;
      this.sessionsTable = home.sessionsTable;
      this.internalLoadBalancerDns = home.internalLoadBalancerDns;
      const cdn = home.cdnDomain && home.cdnZoneId ? { dnsName: home.cdnDomain, zoneId: home.cdnZoneId } : undefined;
      this.appUrl = plan.domain
        ? pulumi.output(`https://${plan.domain}`)
        : cdn
          ? pulumi.interpolate`https://${cdn.dnsName}`
          : pulumi.interpolate`http://${alb.dnsName}`;
      if (zone) {
        // The same logical records the host had: Route 53 updates them in place to aliases.
        const front = cdn ?? alb;
        // Route 53 cannot evaluate the health of a CloudFront alias target.
        const health = (target: typeof alb) => ({
          aliases: [{ name: target.dnsName, zoneId: target.zoneId, evaluateTargetHealth: target !== cdn }],
        });
        zone.aliasTo("app-a", "", "A", front, health(front));
        zone.aliasTo("app-aaaa", "", "AAAA", front, health(front));
        if (cdn) {
          zone.aliasTo("origin-a", "origin", "A", alb);
          zone.aliasTo("origin-aaaa", "origin", "AAAA", alb);
        }
      }
    }
    const databases = regions.flatMap((r) => r.databases.map((d) => ({ region: r.region, ...d })));
    if (databases.length > 0) {
      this.databaseEndpoints = pulumi.output(
        databases.map(({ region, name, domain, shard, writer, reader }) => ({ region, name, domain, shard, writer, reader })),
      );
    }
    this.registerOutputs({});
  }

  /** One explicit provider per region, named `aws-<region>`. */
  private provider(plan: PlatformPlan, region: string): aws.Provider {
    let provider = this.providers.get(region);
    if (!provider) {
      provider = new aws.Provider(
        `aws-${region}`,
        {
          region: region as aws.Region,
          defaultTags: { tags: { "scaling:project": plan.project, "scaling:stack": plan.stack, "managed-by": "pulumi" } },
        },
        { parent: this },
      );
      this.providers.set(region, provider);
    }
    return provider;
  }
}
