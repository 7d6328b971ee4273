import { READINESS_PATH } from "./appPaths";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { LambdaBackend } from "./backend";
import { DnsZone } from "./dns";
import { NoSqlTables } from "./nosql";
import { PlatformPlan } from "./plan";
import { parameterPath, PARAMETER_NAMES } from "./names";
import { RegionStack } from "./region";
import { StaticSite } from "./site";

/** Route 53, CloudFront and their certificates are homed in us-east-1, whatever the stack's regions. */
export const GLOBAL_SERVICES_REGION = "us-east-1";
export { READINESS_PATH } from "./appPaths";

/** The Route 53 health check probing one region's origin (its Name tag, which the runbooks look up). */
export const originHealthCheckName = (region: string) => `origin-${region}-health`;
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
    // One-of-a-kind resources live in the home region (aws:region), never in "the primary":
    // a failover reorders `regions` and must not move them.
    const home = this.provider(plan, plan.homeRegion);

    new aws.ssm.Parameter(
      "stage",
      {
        name: `${parameterPath(plan)}/${PARAMETER_NAMES.stage}`,
        type: "String",
        value: String(plan.stage.stage),
        description: `Scaling-journey stage of this stack (${plan.stage.name}); the policy pack reads it`,
        tags: { [STAGE_MARKER_TAG.key]: STAGE_MARKER_TAG.value, "scaling:production": String(plan.production) },
      },
      { parent: this, provider: home },
    );

    const zone = plan.domain
      ? new DnsZone(
          "dns",
          { domain: plan.domain, protectData: plan.protectData },
          { parent: this, provider: this.provider(plan, GLOBAL_SERVICES_REGION) },
        )
      : undefined;
    this.nameServers = zone?.nameServers;
    // Until the zone is delegated (`domainDelegated`), nothing uses the domain: no certificate waits
    // on a validation nobody can resolve, no record points anywhere, and the stack serves on its raw
    // endpoints. Flipping it on adds certificates, listeners and records; the zone stays as it is.
    const servingZone = plan.domainDelegated ? zone : undefined;

    if (caps.lambdaBackend) {
      const backend = new LambdaBackend(
        "backend",
        { stage: plan.stage.stage, region: plan.homeRegion, logRetentionDays: 30, allowedOrigins: ["*"] },
        { parent: this, providers: { aws: home } },
      );
      this.apiUrl = backend.url;
      if (caps.staticSite) {
        const site = new StaticSite(
          "site",
          { description: `Launch page of ${plan.project}/${plan.stack}`, backendUrl: backend.url, region: plan.homeRegion },
          { parent: this, providers: { aws: home } },
        );
        this.siteUrl = site.url;
      }
    }

    const nosql =
      plan.nosqlTables.length > 0
        ? new NoSqlTables(
            "nosql",
            {
              tables: plan.nosqlTables,
              replicaRegions: plan.activeRegions.filter((r) => r !== plan.homeRegion),
              protectData: plan.protectData,
            },
            { parent: this, providers: { aws: home } },
          )
        : undefined;

    // The home region first: the others join its global database and tables.
    const ordered = [plan.homeRegion, ...plan.activeRegions.filter((r) => r !== plan.homeRegion)].filter((r) =>
      plan.activeRegions.includes(r),
    );
    const regions: RegionStack[] = [];
    for (const region of ordered) {
      const isHome = region === plan.homeRegion;
      regions.push(
        new RegionStack(
          region,
          {
            plan,
            region,
            isHome,
            otherRegions: plan.activeRegions.filter((r) => r !== region),
            home: isHome ? undefined : regions[0]?.shared,
            nosqlTables: nosql ? { names: nosql.tableNames } : undefined,
            provider: this.provider(plan, region),
            zone: servingZone,
            globalProvider: servingZone ? this.provider(plan, GLOBAL_SERVICES_REGION) : undefined,
          },
          { parent: this },
        ),
      );
    }
    const homeStack = regions.find((r) => r.region === plan.homeRegion);
    const primaryStack = regions.find((r) => r.region === plan.primaryRegion);
    this.shardMap = homeStack?.shardMap;

    if (homeStack?.hostPublicIp) {
      this.hostPublicIp = homeStack.hostPublicIp;
      this.appUrl = servingZone ? pulumi.output(`http://${plan.domain}`) : pulumi.interpolate`http://${homeStack.hostPublicIp}`;
      if (servingZone && homeStack.hostIpv6Address) {
        servingZone.pointTo("app-a", "", "A", [homeStack.hostPublicIp]);
        servingZone.pointTo("app-aaaa", "", "AAAA", [homeStack.hostIpv6Address]);
      }
    }
    if (primaryStack?.loadBalancerDns && primaryStack.loadBalancerZoneId) {
      const alb = { dnsName: primaryStack.loadBalancerDns, zoneId: primaryStack.loadBalancerZoneId };
      this.loadBalancerDns = primaryStack.loadBalancerDns;
      this.cacheEndpoint = primaryStack.cacheEndpoint;
      this.sessionsTable = primaryStack.sessionsTable;
      this.internalLoadBalancerDns = primaryStack.internalLoadBalancerDns;
      this.cdnDomain = homeStack?.cdnDomain;
      const cdn = homeStack?.cdnDomain && homeStack.cdnZoneId ? { dnsName: homeStack.cdnDomain, zoneId: homeStack.cdnZoneId } : undefined;
      this.appUrl = servingZone
        ? pulumi.output(`https://${plan.domain}`)
        : cdn
          ? pulumi.interpolate`https://${cdn.dnsName}`
          : pulumi.interpolate`http://${alb.dnsName}`;
      if (servingZone && cdn) {
        // The apex is CloudFront (global); CloudFront's origin, origin.<domain>, is latency-routed to
        // the nearest region whose health check passes. The same records from stage 5 on, so more
        // regions only add records. Route 53 cannot evaluate a CloudFront alias target's health.
        const front = { aliases: [{ name: cdn.dnsName, zoneId: cdn.zoneId, evaluateTargetHealth: false }] };
        servingZone.aliasTo("app-a", "", "A", cdn, front);
        servingZone.aliasTo("app-aaaa", "", "AAAA", cdn, front);
        for (const r of regions) {
          if (!r.loadBalancerDns || !r.loadBalancerZoneId) continue;
          const check = servingZone.healthCheck(originHealthCheckName(r.region), r.loadBalancerDns, true, READINESS_PATH);
          const target = { dnsName: r.loadBalancerDns, zoneId: r.loadBalancerZoneId };
          servingZone.latencyAliasTo(`origin-${r.region}-a`, "origin", "A", r.region, target, check.id);
          servingZone.latencyAliasTo(`origin-${r.region}-aaaa`, "origin", "AAAA", r.region, target, check.id);
        }
      } else if (servingZone) {
        // The same logical records the host had: Route 53 updates them in place to aliases.
        servingZone.aliasTo("app-a", "", "A", alb);
        servingZone.aliasTo("app-aaaa", "", "AAAA", alb);
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
