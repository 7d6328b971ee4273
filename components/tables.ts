import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface GlobalTableArgs {
  hashKey: string;
  rangeKey?: string;
  /** Attribute holding an epoch-seconds expiry; DynamoDB deletes expired items for free. */
  ttlAttribute?: string;
  /** Regions holding a replica (a global table); empty for a one-region table. */
  replicaRegions: string[];
  protectData: boolean;
  tags?: Record<string, string>;
}

/**
 * A DynamoDB table that can grow into a global table in place: on-demand, encrypted, with
 * point-in-time recovery, and with new-and-old-image streams from the start, which replicas
 * need. Adding a region only adds an entry to `replicas`. Keys are chosen once (forceNew).
 */
export function globalTable(name: string, args: GlobalTableArgs, opts: pulumi.CustomResourceOptions): aws.dynamodb.Table {
  const keys = [args.hashKey, ...(args.rangeKey ? [args.rangeKey] : [])];
  return new aws.dynamodb.Table(
    name,
    {
      billingMode: "PAY_PER_REQUEST",
      hashKey: args.hashKey,
      rangeKey: args.rangeKey,
      attributes: keys.map((key) => ({ name: key, type: "S" })),
      ttl: args.ttlAttribute ? { attributeName: args.ttlAttribute, enabled: true } : undefined,
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      streamEnabled: true,
      streamViewType: "NEW_AND_OLD_IMAGES",
      deletionProtectionEnabled: args.protectData,
      // A replica holds the whole table: it is protected like the table itself.
      replicas: args.replicaRegions.map((regionName) => ({
        regionName,
        pointInTimeRecovery: true,
        propagateTags: true,
        deletionProtectionEnabled: args.protectData,
      })),
      tags: args.tags,
    },
    { ...opts, protect: args.protectData, retainOnDelete: args.protectData },
  );
}
