import * as pulumi from "@pulumi/pulumi";
import { globalTable } from "./tables";

/** The item attribute DynamoDB expires sessions by (epoch seconds, written by the app). */
export const SESSION_TTL_ATTRIBUTE = "expiresAt";
export const SESSION_HASH_KEY = "id";

export interface SessionTableArgs {
  prefix: string;
  /** Deletion protection, `protect` and `retainOnDelete`: the table holds every signed-in user. */
  protectData: boolean;
  /** Other regions holding a replica (a global table, multi-region stages); none before. */
  replicaRegions?: string[];
}

/**
 * The DynamoDB table the stateless web tier keeps sessions in: on demand, TTL-expired, point-in-time
 * recoverable and KMS-encrypted (the shape `globalTable` gives every table). Streams with new and
 * old images are on from creation, so more regions only add replicas, in place.
 */
export class SessionTable extends pulumi.ComponentResource {
  readonly tableName: pulumi.Output<string>;
  readonly tableArn: pulumi.Output<string>;

  constructor(name: string, args: SessionTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:sessions:SessionTable", name, {}, opts);
    if (!args.prefix) throw new Error(`SessionTable ${name}: prefix is required`);
    const table = globalTable(
      `${args.prefix}-sessions`,
      {
        hashKey: SESSION_HASH_KEY,
        ttlAttribute: SESSION_TTL_ATTRIBUTE,
        replicaRegions: args.replicaRegions ?? [],
        protectData: args.protectData,
        tags: { Name: `${args.prefix}-sessions`, "scaling:data": "sessions" },
      },
      { parent: this },
    );
    this.tableName = table.name;
    this.tableArn = table.arn;
    this.registerOutputs({ tableName: this.tableName });
  }
}
