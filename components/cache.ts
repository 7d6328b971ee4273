import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { allowTcp } from "./firewall";
import { cacheIds } from "./names";

export const CACHE_ENGINE = "redis";
/** 7.1: in-transit encryption can be changed in place from 7.0.5 on, and IAM auth needs 7.0+. */
export const CACHE_ENGINE_VERSION = "7.1";
export const CACHE_PORT = 6379;
export const CACHE_NODE_TYPE = "cache.t4g.medium";
/** A primary and one replica in another AZ: the least that fails over automatically. */
/** AWS: automatic failover needs a replica besides the primary (a floor of the service, not a stage rule). */
export const MIN_CACHE_NODES = 2;

export interface CacheArgs {
  prefix: string;
  /** Physical names of the RBAC users and group (account-wide per region, so per stack). */
  identifierPrefix: string;
  vpcId: pulumi.Input<string>;
  dataSubnetIds: pulumi.Input<string>[];
  /** Nodes in the replication group (primary + replicas); at least MIN_CACHE_NODES. */
  nodes: number;
  /** Security groups of the tiers that may connect (web, later services). */
  clients: { name: string; securityGroupId: pulumi.Input<string> }[];
}

/**
 * ElastiCache for Redis, cluster mode off: one primary and replicas spread over the data subnets,
 * multi-AZ with automatic failover. Encrypted at rest and in transit from creation (at-rest
 * encryption can never be turned on later). Clients authenticate with IAM through an RBAC user,
 * so there is no auth token anywhere: not in config, not in state.
 */
export class Cache extends pulumi.ComponentResource {
  readonly primaryEndpoint: pulumi.Output<string>;
  readonly readerEndpoint: pulumi.Output<string>;
  readonly replicationGroupId: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  readonly appUserName: string;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:cache:Cache", name, {}, opts);
    const problems: string[] = [];
    if (!args.prefix) problems.push("prefix is required");
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(args.identifierPrefix))
      problems.push(`identifierPrefix ${args.identifierPrefix} is not a valid ElastiCache id`);
    if (!Number.isInteger(args.nodes) || args.nodes < MIN_CACHE_NODES || args.nodes > 6)
      problems.push(`nodes must be ${MIN_CACHE_NODES}..6, got ${args.nodes}`);
    if (args.dataSubnetIds.length < 2) problems.push("needs data subnets in at least two AZs for multi-AZ");
    if (args.clients.length === 0) problems.push("needs at least one client security group");
    if (problems.length > 0) throw new Error(`Cache ${name}: ${problems.join("; ")}`);
    const p = args.prefix;
    const parent = { parent: this };

    const sg = new aws.ec2.SecurityGroup(
      `${p}-cache-sg`,
      { vpcId: args.vpcId, description: "ElastiCache for Redis of the scaling-journey app", tags: { Name: `${p}-cache` } },
      parent,
    );
    this.securityGroupId = sg.id;
    for (const client of args.clients) {
      allowTcp(
        `${p}-cache-from-${client.name}`,
        {
          to: sg.id,
          from: { securityGroupId: client.securityGroupId },
          port: CACHE_PORT,
          description: `Redis from the ${client.name} tier`,
        },
        parent,
      );
    }

    const subnets = new aws.elasticache.SubnetGroup(
      `${p}-cache-subnets`,
      { description: "Private data subnets of the scaling-journey cache", subnetIds: args.dataSubnetIds },
      parent,
    );

    // Redis requires a user named `default` in every user group; this one is switched off.
    const defaultUser = new aws.elasticache.User(
      `${p}-cache-default-user`,
      {
        userId: cacheIds(args.identifierPrefix).defaultUser,
        userName: "default",
        engine: CACHE_ENGINE,
        accessString: "off -@all",
        authenticationMode: { type: "no-password-required" },
      },
      parent,
    );
    // IAM authentication requires the user name to equal the user id.
    this.appUserName = cacheIds(args.identifierPrefix).appUser;
    const appUser = new aws.elasticache.User(
      `${p}-cache-app-user`,
      {
        userId: this.appUserName,
        userName: this.appUserName,
        engine: CACHE_ENGINE,
        accessString: "on ~* +@all -@dangerous",
        authenticationMode: { type: "iam" },
      },
      parent,
    );
    const userGroup = new aws.elasticache.UserGroup(
      `${p}-cache-users`,
      { userGroupId: cacheIds(args.identifierPrefix).userGroup, engine: CACHE_ENGINE, userIds: [defaultUser.userId, appUser.userId] },
      parent,
    );

    const group = new aws.elasticache.ReplicationGroup(
      `${p}-cache`,
      {
        description: "Sessions and popular reads of the scaling-journey app",
        engine: CACHE_ENGINE,
        engineVersion: CACHE_ENGINE_VERSION,
        nodeType: CACHE_NODE_TYPE,
        port: CACHE_PORT,
        numCacheClusters: args.nodes,
        multiAzEnabled: true,
        automaticFailoverEnabled: true,
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        userGroupIds: [userGroup.userGroupId],
        subnetGroupName: subnets.name,
        securityGroupIds: [sg.id],
        snapshotRetentionLimit: 3,
        snapshotWindow: "02:00-03:00",
        maintenanceWindow: "sun:06:00-sun:07:00",
        autoMinorVersionUpgrade: true,
        applyImmediately: false,
        tags: { Name: `${p}-cache` },
      },
      parent,
    );
    this.primaryEndpoint = group.primaryEndpointAddress;
    this.readerEndpoint = group.readerEndpointAddress;
    // The id pulumi-aws auto-names at Check (known in a preview; `id` is not until it exists).
    this.replicationGroupId = group.replicationGroupId;
    this.registerOutputs({ primaryEndpoint: this.primaryEndpoint });
  }
}
