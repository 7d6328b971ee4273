import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AppRole } from "./appRole";
import { ClusterEndpoints, DatabaseTier } from "./database";
import { AppHost, HostDataVolume } from "./host";
import { Network } from "./network";
import { PlatformPlan } from "./plan";

export interface RegionStackArgs {
  plan: PlatformPlan;
  region: string;
  /** The region holding stage 2–3 resources (the host and its data volume). */
  isPrimary: boolean;
  provider: aws.Provider;
}

/** The SSM path under which a stack's runtime parameters live, in every region. */
export const parameterPath = (plan: Pick<PlatformPlan, "project" | "stack">) => `/${plan.project}/${plan.stack}`;

/**
 * Everything one region runs: network, app role and config, the web tier (one host, or a load
 * balancer and Auto Scaling group), and the data tier. Created only from what the plan asks for.
 */
export class RegionStack extends pulumi.ComponentResource {
  readonly region: string;
  readonly hostPublicIp?: pulumi.Output<string>;
  readonly hostIpv6Address?: pulumi.Output<string>;
  readonly databases: ClusterEndpoints[] = [];

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
    const zones = aws.getAvailabilityZonesOutput({ state: "available" }, parent).names;

    const network = new Network(
      `${p}-network`,
      {
        prefix: p,
        cidr: plan.network.cidr,
        azs: plan.network.azs,
        nat: caps.nat,
        availabilityZones: zones,
      },
      parent,
    );

    const role = new AppRole(`${p}-identity`, { prefix: p, cloudwatchAgent: caps.cloudwatchAgent }, parent);
    const configPath = `${parameterPath(plan)}/app`;
    role.grantParameterRead("app-read-config", region, identity.accountId, configPath);

    let database: DatabaseTier | undefined;
    if (caps.aurora) {
      database = new DatabaseTier(
        `${p}-database`,
        {
          prefix: p,
          vpcId: network.vpcId,
          dataSubnetIds: network.dataSubnetIds,
          availabilityZones: zones,
          clusters: plan.database.clusters,
          instanceClass: plan.database.instanceClass,
          readers: plan.database.readers,
          protectData: plan.protectData,
        },
        parent,
      );
      database.allowFrom("web", network.webSecurityGroupId, this);
      role.grantSecretRead(
        "app-read-db-secret",
        database.endpoints.map((e) => e.secretArn),
      );
      this.databases = database.endpoints;
    }

    const first = database?.endpoints[0];
    const appConfig = new aws.ssm.Parameter(
      `${p}-app-config`,
      {
        name: `${configPath}/config`,
        type: "String",
        description: "Runtime config of the scaling-journey app (read by the app's systemd unit at start)",
        value: pulumi.jsonStringify({
          stage: plan.stage.stage,
          region,
          sessions: caps.sessions,
          database: first
            ? { writer: first.writer, reader: first.reader, port: 5432, name: "app", secretArn: first.secretArn }
            : { writer: "localhost", port: 5432, name: "app" },
        }),
      },
      parent,
    );

    const volume =
      args.isPrimary && plan.hostDataVolume
        ? new HostDataVolume(
            `${p}-host-data`,
            { prefix: p, availabilityZone: zones.apply((z) => z[0]), sizeGiB: 50, protect: plan.protectData },
            parent,
          )
        : undefined;

    if (args.isPrimary && caps.singleHost) {
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
          configParameter: `${configPath}/config`,
          dataVolumeId: volume?.volumeId,
        },
        { parent: this, dependsOn: [appConfig] },
      );
      this.hostPublicIp = host.publicIp;
      this.hostIpv6Address = host.ipv6Address;
    }
    this.registerOutputs({});
  }
}
