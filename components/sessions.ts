import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** The item attribute DynamoDB expires sessions by (epoch seconds, written by the app). */
export const SESSION_TTL_ATTRIBUTE = "expiresAt";
export const SESSION_HASH_KEY = "id";

export interface SessionTableArgs {
  prefix: string;
  /** Deletion protection, `protect` and `retainOnDelete`: the table holds every signed-in user. */
  protectData: boolean;
}

/**
 * The DynamoDB table the stateless web tier keeps sessions in: on demand, TTL-expired, point-in-time
 * recoverable and KMS-encrypted. Streams with new and old images are on from creation because a
 * global table (more regions) needs them, and turning them on later is one more risky change.
 */
export class SessionTable extends pulumi.ComponentResource {
  readonly tableName: pulumi.Output<string>;
  readonly tableArn: pulumi.Output<string>;

  constructor(name: string, args: SessionTableArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:sessions:SessionTable", name, {}, opts);
    if (!args.prefix) throw new Error(`SessionTable ${name}: prefix is required`);
    const table = new aws.dynamodb.Table(
      `${args.prefix}-sessions`,
      {
        billingMode: "PAY_PER_REQUEST",
        hashKey: SESSION_HASH_KEY,
        attributes: [{ name: SESSION_HASH_KEY, type: "S" }],
        ttl: { attributeName: SESSION_TTL_ATTRIBUTE, enabled: true },
        pointInTimeRecovery: { enabled: true },
        serverSideEncryption: { enabled: true },
        streamEnabled: true,
        streamViewType: "NEW_AND_OLD_IMAGES",
        deletionProtectionEnabled: args.protectData,
        tags: { Name: `${args.prefix}-sessions`, "scaling:data": "sessions" },
      },
      { parent: this, protect: args.protectData, retainOnDelete: args.protectData },
    );
    this.tableName = table.name;
    this.tableArn = table.arn;
    this.registerOutputs({ tableName: this.tableName });
  }
}
