import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MIN_DATA_AZS } from "./addressing";
import { allowTcp } from "./firewall";
import { ClusterPlan } from "./plan";
import { PROTECTED_BACKUP_RETENTION_DAYS } from "./stages";

export const AURORA_ENGINE = "aurora-postgresql";
/** Aurora PostgreSQL 16 supports Global Database, managed master passwords and r6g/r7g classes. */
export const AURORA_ENGINE_VERSION = "16.6";
export const POSTGRES_PORT = 5432;

/**
 * The AZ slot of a cluster's instance: the writer in slot 0, reader i in slot i mod 3. It depends
 * on the instance's index only, so adding AZs or readers never moves an existing instance.
 */
export function instanceAzSlot(index: number): number {
  return index % MIN_DATA_AZS;
}

export interface ClusterEndpoints {
  name: string;
  domain: string;
  shard: number;
  writer: pulumi.Output<string>;
  reader: pulumi.Output<string>;
  /** Secrets Manager ARN of the master credentials. */
  secretArn: pulumi.Output<string>;
}

export interface DatabaseTierArgs {
  prefix: string;
  vpcId: pulumi.Input<string>;
  dataSubnetIds: pulumi.Input<string>[];
  availabilityZones: pulumi.Input<string[]>;
  clusters: ClusterPlan[];
  instanceClass: string;
  readers: number;
  /** Deletion protection, final snapshots, `protect` and `retainOnDelete`. */
  protectData: boolean;
}

/**
 * The region's Aurora PostgreSQL clusters with their KMS key, one DB subnet group (created once,
 * later AZs only add subnets) and a security group that admits only the clients it is told of.
 * Clusters never set `availabilityZones` (that forces a replacement); instances are placed instead.
 */
export class DatabaseTier extends pulumi.ComponentResource {
  readonly securityGroupId: pulumi.Output<string>;
  readonly kmsKeyArn: pulumi.Output<string>;
  readonly endpoints: ClusterEndpoints[];
  private readonly prefix: string;

  constructor(name: string, args: DatabaseTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:database:DatabaseTier", name, {}, opts);
    if (args.clusters.length === 0) throw new Error(`DatabaseTier ${name}: no clusters planned`);
    const p = (this.prefix = args.prefix);
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
    new aws.kms.Alias(`${p}-data-key`, { name: `alias/scaling-journey/${p}-data`, targetKeyId: key.keyId }, { parent: this });
    this.kmsKeyArn = key.arn;

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

    this.endpoints = args.clusters.map((plan) => {
      const cluster = new aws.rds.Cluster(
        `${p}-${plan.name}`,
        {
          engine: AURORA_ENGINE,
          engineVersion: AURORA_ENGINE_VERSION,
          databaseName: "app",
          masterUsername: "app_admin",
          manageMasterUserPassword: true,
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
          finalSnapshotIdentifier: args.protectData ? `${p}-${plan.name}-final` : undefined,
          iamDatabaseAuthenticationEnabled: true,
          enabledCloudwatchLogsExports: ["postgresql"],
          allowMajorVersionUpgrade: false,
          tags: { Name: `${p}-${plan.name}`, "scaling:domain": plan.domain, "scaling:shard": String(plan.shard) },
        },
        {
          ...stateful,
          // Minor versions are upgraded by AWS in maintenance windows; never downgrade back to the pin.
          ignoreChanges: ["engineVersion"],
        },
      );
      for (let i = 0; i <= args.readers; i++) {
        new aws.rds.ClusterInstance(
          `${p}-${plan.name}-${i}`,
          {
            clusterIdentifier: cluster.id,
            engine: AURORA_ENGINE,
            instanceClass: args.instanceClass,
            availabilityZone: zones.apply((z) => z[instanceAzSlot(i)]),
            dbSubnetGroupName: subnetGroup.name,
            publiclyAccessible: false,
            autoMinorVersionUpgrade: true,
            performanceInsightsEnabled: true,
            promotionTier: 1,
            caCertIdentifier: "rds-ca-rsa2048-g1",
            tags: { Name: `${p}-${plan.name}-${i}`, "scaling:role": i === 0 ? "writer" : "reader" },
          },
          stateful,
        );
      }
      return {
        name: plan.name,
        domain: plan.domain,
        shard: plan.shard,
        writer: cluster.endpoint,
        reader: cluster.readerEndpoint,
        secretArn: cluster.masterUserSecrets.apply((s) => s[0]?.secretArn ?? ""),
      };
    });
    this.registerOutputs({ securityGroupId: this.securityGroupId });
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
