import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AppRole } from "./appRole";
import { Cache } from "./cache";
import { Cdn } from "./cdn";
import { ClusterEndpoints, DatabaseTier, GlobalMembership } from "./database";
import { DnsZone } from "./dns";
import { AppHost, HostDataVolume } from "./host";
import { Monitoring } from "./monitoring";
import { appParameterPath, cacheIdentifierPrefix, dashboardName, parameterPath, PARAMETER_NAMES, stackId } from "./names";
import { Network } from "./network";
import { PlatformPlan } from "./plan";
import { offeringProblem } from "./regionPlan";
import { InternalLoadBalancer, internalServicesLabel, Services } from "./services";
import { SessionTable } from "./sessions";
import { buildShardMap, ShardMap, WRITE_FORWARDING } from "./shardMap";
import { WebTier } from "./webTier";

export interface RegionStackArgs {
  plan: PlatformPlan;
  region: string;
  /**
   * The home region (`aws:region`): it holds the stage 2–3 host and data volume, the CDN bucket,
   * and the owners of the global database and global tables.
   */
  isHome: boolean;
  /** The other regions the stack runs in (replicas of the home's global data). */
  otherRegions: string[];
  /** For a region other than the home at the multi-region stage: what the home shares. */
  home?: HomeShared;
  /** Global NoSQL tables (stage 7), owned by the home region: config name → home ARN and name. */
  nosqlTables?: { names: Record<string, pulumi.Output<string>> };
  provider: aws.Provider;
  /** The stack's public zone when `domain` is set: certificates are validated and records live there. */
  zone?: DnsZone;
  /** The us-east-1 provider, for what CloudFront needs from there (its viewer certificate). */
  globalProvider?: aws.Provider;
}

/** What the home region's stack shares with the other regions at the multi-region stage. */
export interface HomeShared {
  globalClusterIds: Record<string, pulumi.Output<string>>;
  masterSecretArns: Record<string, pulumi.Output<string>>;
  engineVersions: Record<string, pulumi.Output<string>>;
  sessionsTableName?: pulumi.Output<string>;
}

// Derived names are built and checked against AWS's rules in one place.
export { parameterPath, stackId } from "./names";

/**
 * Everything one region runs: network, app role and config, the web tier (one host, or a load
 * balancer and Auto Scaling group), and the data tier. Created only from what the plan asks for.
 */
export class RegionStack extends pulumi.ComponentResource {
  readonly region: string;
  readonly hostPublicIp?: pulumi.Output<string>;
  readonly hostIpv6Address?: pulumi.Output<string>;
  readonly databases: ClusterEndpoints[] = [];
  readonly loadBalancerDns?: pulumi.Output<string>;
  readonly loadBalancerZoneId?: pulumi.Output<string>;
  readonly cdnDomain?: pulumi.Output<string>;
  readonly cdnZoneId?: pulumi.Output<string>;
  readonly cacheEndpoint?: pulumi.Output<string>;
  readonly sessionsTable?: pulumi.Output<string>;
  readonly internalLoadBalancerDns?: pulumi.Output<string>;
  /** Home region at the multi-region stage: what the other regions join. */
  readonly shared?: HomeShared;
  readonly shardMap?: pulumi.Output<ShardMap>;

  constructor(name: string, args: RegionStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:region:RegionStack", name, {}, { ...opts, providers: { aws: args.provider } });
    const { plan, region } = args;
    const caps = plan.caps;
    this.region = region;
    if (!caps.network) {
      this.registerOutputs({});
      return;
    }
    const p = region;
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const netPlan = plan.network.regions[region];
    if (!netPlan) throw new Error(`RegionStack ${name}: the plan has no network for ${region}`);
    const zones = this.chooseZones(region, netPlan.zoneIds, plan, parent);

    const network = new Network(
      `${p}-network`,
      {
        prefix: p,
        cidr: netPlan.cidr,
        azs: plan.network.azs,
        nat: caps.nat,
        zoneIds: zones.subnetZoneIds,
        dataAzs: netPlan.dataAzs,
      },
      parent,
    );

    const role = new AppRole(`${p}-identity`, { prefix: p, region, cloudwatchAgent: caps.cloudwatchAgent }, parent);
    const configPath = appParameterPath(plan);
    const appConfigName = `${parameterPath(plan)}/${PARAMETER_NAMES.appConfig}`;
    const shardMapName = `${parameterPath(plan)}/${PARAMETER_NAMES.shardMap}`;
    role.grantParameterRead("app-read-config", configPath);

    let database: DatabaseTier | undefined;
    if (caps.aurora) {
      database = new DatabaseTier(
        `${p}-database`,
        {
          prefix: p,
          vpcId: network.vpcId,
          dataSubnetIds: network.dataSubnetIds,
          availabilityZones: zones.names,
          dataAzs: netPlan.dataAzs,
          clusters: plan.database.clusters,
          instanceClass: plan.database.instanceClass,
          readers: plan.database.readers,
          protectData: plan.protectData,
          region,
          primary: region === plan.primaryRegion,
          membership: this.membership(args),
          stackId: stackId(plan),
        },
        parent,
      );
      database.allowFrom("web", network.webSecurityGroupId, this);
      role.grantSecretRead(
        "app-read-db-secret",
        database.endpoints.map((e) => e.secretArn),
        database.secretKmsKeyArn,
      );
      this.databases = database.endpoints;
    }

    const internalLb = caps.services
      ? new InternalLoadBalancer(
          `${p}-ilb`,
          {
            prefix: p,
            vpcId: network.vpcId,
            appSubnetIds: network.appSubnetIds,
            webSecurityGroupId: network.webSecurityGroupId,
            // HTTPS inside the VPC too once the domain is served (SPEC invariant 3).
            tls: plan.domain && args.zone ? { label: internalServicesLabel(region), zone: args.zone } : undefined,
          },
          parent,
        )
      : undefined;
    if (internalLb && database) database.allowFrom("services", internalLb.servicesSecurityGroupId, this);
    this.internalLoadBalancerDns = internalLb?.dnsName;

    const cache = caps.cache
      ? new Cache(
          `${p}-cache`,
          {
            prefix: p,
            identifierPrefix: cacheIdentifierPrefix(stackId(plan)),
            vpcId: network.vpcId,
            dataSubnetIds: network.dataSubnetIds,
            // One node per web AZ, so a lost AZ still leaves a replica to promote.
            nodes: Math.max(plan.stage.minimums.cacheNodes, Math.min(plan.network.azs, network.dataSubnetIds.length)),
            // The services get the same cache config and IAM grant as the web tier.
            clients: [
              { name: "web", securityGroupId: network.webSecurityGroupId },
              ...(internalLb ? [{ name: "services", securityGroupId: internalLb.servicesSecurityGroupId }] : []),
            ],
          },
          parent,
        )
      : undefined;
    if (cache) role.grantCacheConnect("app-cache-connect", cache.replicationGroupId, cache.appUserName);
    this.cacheEndpoint = cache?.primaryEndpoint;

    // Sessions live in one global table owned by the home region; the others use its replicas.
    const sessions =
      caps.sessions === "dynamodb" && args.isHome
        ? new SessionTable(`${p}-sessions`, { prefix: p, protectData: plan.protectData, replicaRegions: args.otherRegions }, parent)
        : undefined;
    const sessionsTableName = sessions?.tableName ?? args.home?.sessionsTableName;
    if (caps.sessions === "dynamodb" && !sessionsTableName) throw new Error(`RegionStack ${name}: no session table from the home region`);
    // By name: a global table's replica in this region has the home table's name.
    if (sessionsTableName) role.grantTableReadWrite("app-sessions-table", [sessionsTableName]);
    this.sessionsTable = sessionsTableName;

    const nosql = args.nosqlTables;
    const nosqlNames = nosql ? Object.values(nosql.names) : [];
    if (nosqlNames.length > 0) role.grantTableReadWrite("app-nosql-tables", nosqlNames);

    if (database && caps.federation) {
      const endpoints = database.endpoints;
      this.shardMap = pulumi.all(endpoints.map((e) => pulumi.all([e.writer, e.reader]))).apply((pairs) =>
        buildShardMap(
          region,
          endpoints.map((e, i) => ({ domain: e.domain, shard: e.shard, writer: pairs[i][0], reader: pairs[i][1] })),
          endpoints.some((e) => e.writeForwarding) ? WRITE_FORWARDING : undefined,
        ),
      );
      new aws.ssm.Parameter(
        `${p}-shard-map`,
        {
          name: shardMapName,
          type: "String",
          // Large maps (many domains × shards) outgrow the 4 KB standard tier; AWS picks the tier.
          tier: "Intelligent-Tiering",
          description: "Shard map of the federated databases: domain → shards → endpoints, and the hashing rule",
          value: this.shardMap.apply((m) => JSON.stringify(m)),
        },
        parent,
      );
    }
    if (database && args.isHome && caps.multiRegion) {
      this.shared = {
        globalClusterIds: database.globalClusterIds,
        masterSecretArns: database.masterSecretArns,
        engineVersions: database.engineVersions,
        sessionsTableName: sessions?.tableName,
      };
    }

    const first = database?.endpoints[0];
    const appConfig = new aws.ssm.Parameter(
      `${p}-app-config`,
      {
        name: appConfigName,
        type: "String",
        description: "Runtime config of the scaling-journey app (read by the app's systemd unit at start)",
        value: pulumi.jsonStringify({
          stage: plan.stage.stage,
          region,
          sessions: caps.sessions,
          database: first
            ? {
                // This region's own endpoints: writes forward to the primary when it is a secondary.
                writer: first.writer,
                reader: first.reader,
                port: 5432,
                name: "app",
                secretArn: first.secretArn,
                ...(first.writeForwarding ? { writeForwarding: WRITE_FORWARDING } : {}),
              }
            : { writer: "localhost", port: 5432, name: "app" },
          ...(cache
            ? {
                cache: {
                  primary: cache.primaryEndpoint,
                  reader: cache.readerEndpoint,
                  port: 6379,
                  tls: true,
                  // An IAM auth token is signed for the group and the user (ElastiCache, "Authenticating with IAM").
                  replicationGroupId: cache.replicationGroupId,
                  user: cache.appUserName,
                  auth: "iam",
                },
              }
            : {}),
          ...(sessionsTableName ? { sessionsTable: sessionsTableName } : {}),
          ...(nosql ? { nosqlTables: nosql.names } : {}),
          ...(this.shardMap ? { shardMapParameter: shardMapName } : {}),
          ...(internalLb ? { servicesUrl: internalLb.url } : {}),
        }),
      },
      parent,
    );

    const volume =
      args.isHome && plan.hostDataVolume
        ? new HostDataVolume(
            `${p}-host-data`,
            { prefix: p, availabilityZone: zones.names.apply((z) => z[0]), sizeGiB: 50, protect: plan.protectData },
            parent,
          )
        : undefined;

    if (args.isHome && caps.singleHost) {
      const host = new AppHost(
        `${p}-host`,
        {
          prefix: p,
          region,
          instanceType: plan.compute.instanceType,
          architecture: plan.compute.architecture,
          subnetId: network.publicSubnetIds[0],
          securityGroupId: network.webSecurityGroupId,
          instanceProfileName: role.instanceProfileName,
          configParameter: appConfigName,
          dataVolumeId: volume?.volumeId,
        },
        { parent: this, dependsOn: [appConfig] },
      );
      this.hostPublicIp = host.publicIp;
      this.hostIpv6Address = host.ipv6Address;
    }
    if (caps.loadBalancedWebTier) {
      const webTier = new WebTier(
        `${p}-web`,
        {
          prefix: p,
          region,
          vpcId: network.vpcId,
          publicSubnetIds: network.publicSubnetIds,
          appSubnetIds: network.appSubnetIds,
          webSecurityGroupId: network.webSecurityGroupId,
          instanceProfileArn: role.instanceProfileArn,
          configParameter: appConfigName,
          instanceType: plan.compute.instanceType,
          architecture: plan.compute.architecture,
          minSize: plan.compute.minSize,
          maxSize: plan.compute.maxSize,
          cloudwatchAgent: caps.cloudwatchAgent,
          tls: plan.domain && args.zone ? { domain: plan.domain, zone: args.zone } : undefined,
          alarmScaling: caps.alarmScaling ? { cpuHigh: plan.compute.cpuHigh, cpuLow: plan.compute.cpuLow } : undefined,
        },
        // Instances read the app config at boot: it must exist before the first one starts.
        { parent: this, dependsOn: [appConfig] },
      );
      this.loadBalancerDns = webTier.loadBalancerDnsName;
      this.loadBalancerZoneId = webTier.loadBalancerZoneId;

      if (internalLb && plan.services.length > 0) {
        new Services(
          `${p}-services`,
          {
            prefix: p,
            region,
            vpcId: network.vpcId,
            appSubnetIds: network.appSubnetIds,
            services: plan.services,
            stackId: stackId(plan),
            loadBalancer: internalLb,
            instanceType: plan.compute.instanceType,
            architecture: plan.compute.architecture,
            instanceProfileArn: role.instanceProfileArn,
            configParameter: appConfigName,
            cloudwatchAgent: caps.cloudwatchAgent,
            targetCpu: plan.serviceTargetCpu,
          },
          { parent: this, dependsOn: [appConfig] },
        );
      }

      // CloudFront is global: one distribution, its bucket in the home region.
      if (caps.cdn && args.isHome) {
        const zone = args.zone;
        // Only one distribution can hold the apex as an alias: the primary region's.
        const tls =
          plan.domain && zone && args.globalProvider
            ? { domain: plan.domain, zone, certificateProvider: args.globalProvider, origin: zone.fqdn("origin") }
            : undefined;
        const cdn = new Cdn(
          `${p}-cdn`,
          {
            prefix: p,
            protectData: plan.protectData,
            // With a domain, CloudFront reaches the ALB over HTTPS on a name its certificate covers.
            webOrigin: tls ? { domainName: tls.origin, https: true } : { domainName: webTier.loadBalancerDnsName, https: false },
            tls,
          },
          parent,
        );
        this.cdnDomain = cdn.domainName;
        this.cdnZoneId = cdn.hostedZoneId;
      }

      if (caps.operationalAlarms || caps.dashboard) {
        new Monitoring(
          `${p}-monitoring`,
          {
            prefix: p,
            region,
            accountId: identity.accountId,
            protectData: plan.protectData,
            loadBalancerArnSuffix: webTier.loadBalancerArnSuffix,
            targetGroupArnSuffix: webTier.targetGroupArnSuffix,
            autoScalingGroupName: webTier.autoScalingGroupName,
            clusters: (database?.endpoints ?? []).map((e) => ({ name: e.name, reader: e.reader, hasReaders: plan.database.readers > 0 })),
            alarms: caps.operationalAlarms,
            dashboard: caps.dashboard,
            dashboardName: dashboardName(plan, region),
            cacheReplicationGroupId: cache?.replicationGroupId,
            internalLoadBalancerArnSuffix: internalLb?.arnSuffix,
          },
          parent,
        );
      }
    }
    this.registerOutputs({});
  }

  /**
   * The chosen zone IDs (data + config, never a live lookup, so they never shift) checked against
   * this account: the web-tier slots must offer the stage's instance type, and every ID must exist.
   * The check gates the subnets that run instances. Also maps each ID to this account's AZ name,
   * which DB instances and EBS volumes take.
   */
  private chooseZones(region: string, zoneIds: string[], plan: PlatformPlan, parent: pulumi.ResourceOptions) {
    const override = `network.zoneIds.${region}`;
    const lookup = aws.getAvailabilityZonesOutput({ filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] }, parent);
    const names = pulumi.all([lookup.names, lookup.zoneIds]).apply(([accountNames, accountIds]) =>
      zoneIds.map((id) => {
        const i = accountIds.indexOf(id);
        if (i < 0)
          throw new Error(
            `zone ${id} is not an Availability Zone of ${region} in this account (it has ${accountIds.join(", ")}); set ${override}`,
          );
        return accountNames[i];
      }),
    );
    const webSlots = zoneIds.slice(0, plan.network.azs);
    const offered = aws.ec2.getInstanceTypeOfferingsOutput(
      {
        locationType: "availability-zone-id",
        filters: [
          { name: "instance-type", values: [plan.compute.instanceType] },
          { name: "location", values: webSlots },
        ],
      },
      parent,
    ).locations;
    const checked = offered.apply((locations) => {
      const problem = offeringProblem(region, plan.compute.instanceType, webSlots, locations);
      if (problem) throw new Error(problem);
      return webSlots;
    });
    const subnetZoneIds = zoneIds.map((id, i) => (i < webSlots.length ? checked.apply((ids) => ids[i]) : pulumi.output(id)));
    return { names, subnetZoneIds };
  }

  /** How this region's clusters take part in the global database (multi-region stage only). */
  private membership(args: RegionStackArgs): GlobalMembership {
    const { plan } = args;
    if (!plan.caps.multiRegion) return { kind: "standalone" };
    if (args.isHome) {
      return {
        kind: "home",
        globalIdentifierPrefix: stackId(plan),
        secretReplicaRegions: args.otherRegions,
      };
    }
    if (!args.home) throw new Error(`RegionStack ${this.region}: a region other than the home needs what the home region shares`);
    return {
      kind: "secondary",
      globalClusterIds: args.home.globalClusterIds,
      masterSecretArns: args.home.masterSecretArns,
      engineVersions: args.home.engineVersions,
    };
  }
}
