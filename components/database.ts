import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { MIN_DATA_AZS } from "./addressing";
import { allowTcp } from "./firewall";
import { finalSnapshotIdentifier, globalClusterIdentifier, kmsDataKeyAlias } from "./names";
import { ClusterPlan } from "./plan";
import { PROTECTED_BACKUP_RETENTION_DAYS } from "./stages";

export const AURORA_ENGINE = "aurora-postgresql";
/** Aurora PostgreSQL 16 supports Global Database, managed master passwords and r6g/r7g classes. */
export const AURORA_ENGINE_VERSION = "16.6";
export const AURORA_PARAMETER_FAMILY = "aurora-postgresql16";
export const POSTGRES_PORT = 5432;

/**
 * The AZ slot of a cluster's instance: the writer in slot 0, reader i in slot i mod 3 (mod 2 in a
 * two-zone region, whose data tier spans both zones for life). It depends on the instance's index
 * and the region only, so adding AZs or readers never moves an existing instance.
 */
export function instanceAzSlot(index: number, dataAzs: number = MIN_DATA_AZS): number {
  return index % dataAzs;
}

export interface ClusterEndpoints {
  name: string;
  domain: string;
  shard: number;
  writer: pulumi.Output<string>;
  reader: pulumi.Output<string>;
  /** The region's writes are forwarded to the global primary when this region is a secondary. */
  writeForwarding: boolean;
  /** Secrets Manager ARN of the master credentials. */
  secretArn: pulumi.Output<string>;
}

/**
 * How the region's clusters relate to an Aurora Global Database. `home`: the clusters created at
 * stage 3 in the home region; they become each global cluster's source and their master password
 * moves to a program-managed secret (AWS cannot manage the password of a global cluster's
 * member). `secondary`: read-only clusters in other regions that join those global clusters.
 */
export type GlobalMembership =
  | { kind: "standalone" }
  | { kind: "home"; globalIdentifierPrefix: string; secretReplicaRegions: string[] }
  | {
      kind: "secondary";
      globalClusterIds: Record<string, pulumi.Input<string>>;
      masterSecretArns: Record<string, pulumi.Input<string>>;
      /** The version the global database runs now (AWS upgrades minor versions), which a new secondary must match. */
      engineVersions: Record<string, pulumi.Input<string>>;
    };

/** Master user of every cluster; a forceNew input, so it is chosen once. */
export const MASTER_USERNAME = "app_admin";
/**
 * Sent with the write-only password inputs: the value goes to AWS only when this changes. Rotate by
 * replacing the RandomPassword (`pulumi up --replace <its URN>`) and bumping this number.
 */
export const MASTER_PASSWORD_VERSION = 1;

export interface DatabaseTierArgs {
  prefix: string;
  vpcId: pulumi.Input<string>;
  dataSubnetIds: pulumi.Input<string>[];
  /** AZ names of the data tier's slots, in slot order (mapped from the chosen zone IDs). */
  availabilityZones: pulumi.Input<string[]>;
  /** AZs the data tier spans (3, or 2 in a two-zone region). */
  dataAzs: number;
  clusters: ClusterPlan[];
  instanceClass: string;
  readers: number;
  /** Deletion protection, final snapshots, `protect` and `retainOnDelete`. */
  protectData: boolean;
  region: string;
  /** The region takes writes now (`regions[0]`); every other member forwards them to it. */
  primary: boolean;
  membership: GlobalMembership;
  /** `<project>-<stack>`: makes account-wide names (KMS alias, final snapshots) unique per stack. */
  stackId: string;
}

/**
 * The region's Aurora PostgreSQL clusters with their KMS key, one DB subnet group (created once,
 * later AZs only add subnets) and a security group that admits only the clients it is told of.
 * Clusters never set `availabilityZones` (that forces a replacement); instances are placed instead.
 */
export class DatabaseTier extends pulumi.ComponentResource {
  readonly securityGroupId: pulumi.Output<string>;
  /**
   * The customer key that encrypts the region's master secrets, where one does: the home region's
   * program-managed secrets of a global database. Undefined elsewhere, where the secret is on the
   * AWS managed key `aws/secretsmanager`, which the account's principals use through Secrets
   * Manager without an IAM grant: an RDS-managed secret (no `masterUserSecretKmsKeyId`; CreateDBCluster,
   * MasterUserSecretKmsKeyId: "If you don't specify MasterUserSecretKmsKeyId, then the
   * aws/secretsmanager KMS key is used to encrypt the secret") and a secret replica (no `kmsKeyId`;
   * Secrets Manager API reference, ReplicaRegionType: "If you don't include this field, Secrets
   * Manager uses aws/secretsmanager").
   */
  readonly secretKmsKeyArn?: pulumi.Output<string>;
  readonly endpoints: ClusterEndpoints[];
  /** Home region only: the global cluster of each cluster name, for secondaries to join. */
  readonly globalClusterIds: Record<string, pulumi.Output<string>> = {};
  /** Home region only: the program-managed master secret of each cluster name. */
  readonly masterSecretArns: Record<string, pulumi.Output<string>> = {};
  /** Home region only: the engine version each global database runs (secondaries must match it). */
  readonly engineVersions: Record<string, pulumi.Output<string>> = {};
  readonly region: string;
  private readonly prefix: string;

  constructor(name: string, args: DatabaseTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:database:DatabaseTier", name, {}, opts);
    if (args.clusters.length === 0) throw new Error(`DatabaseTier ${name}: no clusters planned`);
    const p = (this.prefix = args.prefix);
    this.region = args.region;
    const stateful = { parent: this, protect: args.protectData, retainOnDelete: args.protectData };
    const zones = pulumi.output(args.availabilityZones);

    const key = new aws.kms.Key(
      `${p}-data-key`,
      {
        description: "Encrypts the scaling-journey databases at rest",
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      },
      stateful,
    );
    new aws.kms.Alias(`${p}-data-key`, { name: kmsDataKeyAlias(args.stackId, p), targetKeyId: key.keyId }, { parent: this });

    // TLS is required for every connection, not only offered.
    const parameters = new aws.rds.ClusterParameterGroup(
      `${p}-db-params`,
      {
        family: AURORA_PARAMETER_FAMILY,
        description: "scaling-journey Aurora PostgreSQL: TLS required",
        parameters: [{ name: "rds.force_ssl", value: "1", applyMethod: "immediate" }],
      },
      { parent: this },
    );
    if (args.membership.kind === "home") this.secretKmsKeyArn = key.arn;

    const subnetGroup = new aws.rds.SubnetGroup(
      `${p}-db-subnets`,
      {
        description: "Private data subnets of the scaling-journey databases",
        subnetIds: args.dataSubnetIds,
      },
      { parent: this },
    );

    const sg = new aws.ec2.SecurityGroup(
      `${p}-db-sg`,
      {
        vpcId: args.vpcId,
        description: "Aurora PostgreSQL of the scaling-journey app",
        tags: { Name: `${p}-db` },
      },
      { parent: this },
    );
    this.securityGroupId = sg.id;

    const membership = args.membership;
    const forwardsWrites = membership.kind !== "standalone" && !args.primary;
    this.endpoints = args.clusters.map((plan) => {
      const name = `${p}-${plan.name}`;
      const credentials = this.credentials(plan, membership, key, stateful);
      const cluster = new aws.rds.Cluster(
        name,
        {
          engine: AURORA_ENGINE,
          engineVersion: membership.kind === "secondary" ? membership.engineVersions[plan.name] : AURORA_ENGINE_VERSION,
          ...credentials.clusterArgs,
          dbClusterParameterGroupName: parameters.name,
          applyImmediately: true,
          storageEncrypted: true,
          kmsKeyId: key.arn,
          dbSubnetGroupName: subnetGroup.name,
          vpcSecurityGroupIds: [sg.id],
          backupRetentionPeriod: PROTECTED_BACKUP_RETENTION_DAYS,
          preferredBackupWindow: "03:00-04:00",
          preferredMaintenanceWindow: "sun:05:00-sun:06:00",
          copyTagsToSnapshot: true,
          deletionProtection: args.protectData,
          skipFinalSnapshot: !args.protectData,
          finalSnapshotIdentifier: args.protectData ? finalSnapshotIdentifier(args.stackId, name) : undefined,
          iamDatabaseAuthenticationEnabled: true,
          // The write path of every region (README, "Writes from every region"): a secondary
          // forwards writes to the current primary. Only on secondaries: AWS accepts the flag only
          // on clusters that are already global members (EnableGlobalWriteForwarding, RDS API
          // reference), and the home cluster is created, and joins, as a standalone primary. After
          // a failover the runbook reorders `regions` and runs `up`, which moves the flag.
          ...(forwardsWrites ? { enableGlobalWriteForwarding: true } : {}),
          enabledCloudwatchLogsExports: ["postgresql"],
          allowMajorVersionUpgrade: false,
          tags: { Name: name, "scaling:domain": plan.domain, "scaling:shard": String(plan.shard) },
        },
        {
          ...stateful,
          // Minor versions are upgraded by AWS in maintenance windows; never downgrade to the pin.
          // A home cluster gains `globalClusterIdentifier` when its global cluster is created
          // from it; it must not try to remove it again.
          // A secondary follows its primary: AWS sets its replication source.
          ignoreChanges: ["engineVersion", "globalClusterIdentifier", "replicationSourceIdentifier"],
        },
      );
      let writer: aws.rds.ClusterInstance | undefined;
      for (let i = 0; i <= args.readers; i++) {
        const instance = new aws.rds.ClusterInstance(
          `${name}-${i}`,
          {
            clusterIdentifier: cluster.id,
            engine: AURORA_ENGINE,
            instanceClass: args.instanceClass,
            availabilityZone: zones.apply((z) => z[instanceAzSlot(i, args.dataAzs)]),
            dbSubnetGroupName: subnetGroup.name,
            publiclyAccessible: false,
            autoMinorVersionUpgrade: true,
            // A new instance class takes effect on `pulumi up`, not in next Sunday's window.
            applyImmediately: true,
            performanceInsightsEnabled: true,
            promotionTier: 1,
            caCertIdentifier: "rds-ca-rsa2048-g1",
            tags: { Name: `${name}-${i}`, "scaling:role": i === 0 ? "writer" : "reader" },
          },
          stateful,
        );
        writer ??= instance;
      }
      if (membership.kind === "home") {
        const global = new aws.rds.GlobalCluster(
          `${name}-global`,
          {
            globalClusterIdentifier: globalClusterIdentifier(membership.globalIdentifierPrefix, plan.name),
            sourceDbClusterIdentifier: cluster.arn,
            deletionProtection: args.protectData,
            forceDestroy: false,
          },
          // The source is only read at creation; after a switchover AWS reports another one.
          { ...stateful, dependsOn: writer ? [writer] : [], ignoreChanges: ["sourceDbClusterIdentifier"] },
        );
        this.globalClusterIds[plan.name] = global.id;
        this.engineVersions[plan.name] = global.engineVersionActual;
      }
      return {
        name: plan.name,
        domain: plan.domain,
        shard: plan.shard,
        // The region's own endpoints: the primary's cluster endpoint takes writes; a secondary has
        // no writer, and AWS's write forwarding is used through its reader endpoint ("Connecting to
        // an Aurora global database", Aurora User Guide). Never the global endpoint, which resolves
        // to a private address in another region's VPC.
        writer: forwardsWrites ? cluster.readerEndpoint : cluster.endpoint,
        reader: cluster.readerEndpoint,
        writeForwarding: forwardsWrites,
        secretArn: credentials.secretArn ?? cluster.masterUserSecrets.apply((s) => s[0]?.secretArn ?? ""),
      };
    });
    this.registerOutputs({ securityGroupId: this.securityGroupId });
  }

  /**
   * Master credentials by membership: AWS-managed for a standalone cluster; a program-managed
   * secret for a home cluster of a global database (a generated password, kept in state only as an
   * encrypted Pulumi secret and sent through write-only inputs when its version changes); none for a
   * secondary, which replicates the primary's users.
   */
  private credentials(
    plan: ClusterPlan,
    membership: GlobalMembership,
    key: aws.kms.Key,
    stateful: pulumi.CustomResourceOptions,
  ): { clusterArgs: Partial<aws.rds.ClusterArgs>; secretArn?: pulumi.Output<string> } {
    const creationArgs = { databaseName: "app", masterUsername: MASTER_USERNAME };
    if (membership.kind === "standalone") return { clusterArgs: { ...creationArgs, manageMasterUserPassword: true } };
    if (membership.kind === "secondary") {
      const secretArn = membership.masterSecretArns[plan.name];
      const globalClusterIdentifier = membership.globalClusterIds[plan.name];
      if (!secretArn || !globalClusterIdentifier)
        throw new Error(`DatabaseTier ${this.prefix}: no global cluster for ${plan.name} in the home region`);
      return { clusterArgs: { globalClusterIdentifier }, secretArn: pulumi.output(secretArn).apply((arn) => replicaArn(arn, this.region)) };
    }
    const name = `${this.prefix}-${plan.name}-master`;
    // Generated once and kept as a Pulumi secret (encrypted in state, never in config), so that
    // the secret and the cluster always get the same value, whatever run sends it.
    const password = new random.RandomPassword(`${name}-password`, { length: 40, special: false }, { parent: this });
    const secret = new aws.secretsmanager.Secret(
      name,
      {
        description: `Master credentials of the ${plan.name} Aurora global database`,
        kmsKeyId: key.arn,
        recoveryWindowInDays: 30,
        replicas: membership.secretReplicaRegions.map((region) => ({ region })),
      },
      stateful,
    );
    new aws.secretsmanager.SecretVersion(
      name,
      {
        secretId: secret.id,
        secretStringWo: pulumi.jsonStringify({ username: MASTER_USERNAME, password: password.result }),
        secretStringWoVersion: MASTER_PASSWORD_VERSION,
      },
      { parent: this },
    );
    this.masterSecretArns[plan.name] = secret.arn;
    return {
      clusterArgs: {
        ...creationArgs,
        masterPasswordWo: password.result,
        masterPasswordWoVersion: MASTER_PASSWORD_VERSION,
      },
      secretArn: secret.arn,
    };
  }

  /** Admit PostgreSQL connections from a client tier's security group. */
  allowFrom(clientName: string, clientSecurityGroupId: pulumi.Input<string>, parent: pulumi.Resource): void {
    allowTcp(
      `${this.prefix}-db-from-${clientName}`,
      {
        to: this.securityGroupId,
        from: { securityGroupId: clientSecurityGroupId },
        port: POSTGRES_PORT,
        description: `PostgreSQL from the ${clientName} tier`,
      },
      { parent },
    );
  }
}

/** A Secrets Manager replica keeps the primary secret's name and id; only the region differs. */
export function replicaArn(primaryArn: string, region: string): string {
  const parts = primaryArn.split(":");
  parts[3] = region;
  return parts.join(":");
}
