import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AppRoleArgs {
  prefix: string;
  /** The role's region: the grants name this region's resources. */
  region: string;
  /** Attach the CloudWatch agent's policy (memory and disk metrics). */
  cloudwatchAgent: boolean;
}

/** The SSM agent's own calls: registration, Session Manager channels and Run Command messages. */
export const SSM_AGENT_ACTIONS = [
  "ssm:UpdateInstanceInformation",
  "ssm:ListInstanceAssociations",
  "ssm:UpdateInstanceAssociationStatus",
  "ssmmessages:CreateControlChannel",
  "ssmmessages:CreateDataChannel",
  "ssmmessages:OpenControlChannel",
  "ssmmessages:OpenDataChannel",
  "ec2messages:AcknowledgeMessage",
  "ec2messages:DeleteMessage",
  "ec2messages:FailMessage",
  "ec2messages:GetEndpoint",
  "ec2messages:GetMessages",
  "ec2messages:SendReply",
];

/**
 * The instance role of the app's hosts. It starts with Session Manager access (there is no SSH)
 * and grows by intent: `grantParameterRead`, `grantSecretRead`, `grantTableReadWrite`,
 * `grantCacheConnect`, each scoped to the exact resources a stage creates.
 *
 * Where AWS's ARN format allows, a grant names its resources by ARNs built from values known
 * before they exist (the partition, account and region from invokes, physical names the program
 * or pulumi-aws's auto-naming chooses at Check, data/autonaming.json), not from their `arn`
 * outputs: a document with one unknown is wholly unknown to the policy pack in a first preview
 * (the bridge's TransformJSONDocument), so it could not be judged there. The built ARN is the
 * one AWS reports: the formats are AWS's (Service Authorization Reference, "Resource types defined
 * by ..." of each service), cited at each grant.
 */
export class AppRole extends pulumi.ComponentResource {
  readonly roleName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly instanceProfileName: pulumi.Output<string>;
  readonly instanceProfileArn: pulumi.Output<string>;
  private readonly role: aws.iam.Role;
  private readonly prefix: string;
  private readonly region: string;
  private readonly partition: pulumi.Output<string>;
  private readonly accountId: pulumi.Output<string>;

  constructor(name: string, args: AppRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:identity:AppRole", name, {}, opts);
    this.prefix = args.prefix;
    this.region = args.region;
    // Invokes run in a preview too, so both are known before anything is created.
    this.partition = aws.getPartitionOutput({}, { parent: this }).partition;
    this.accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;
    this.role = new aws.iam.Role(
      `${args.prefix}-app-role`,
      {
        description: "Instances of the scaling-journey app",
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      },
      { parent: this },
    );
    // What the SSM agent needs for Session Manager and Run Command (the runbooks use both), and
    // no more: AmazonSSMManagedInstanceCore would also let the host read every SSM parameter.
    new aws.iam.RolePolicy(
      `${args.prefix}-app-ssm-agent`,
      {
        role: this.role.name,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: SSM_AGENT_ACTIONS,
              // These APIs act on the calling instance itself; they take no resource ARN.
              Resource: "*",
            },
          ],
        }),
      },
      { parent: this },
    );
    if (args.cloudwatchAgent) {
      new aws.iam.RolePolicyAttachment(
        `${args.prefix}-app-cloudwatch-agent`,
        {
          role: this.role.name,
          // AWS managed policies live in the partition's own `aws` account: arn:${Partition}:iam::aws:policy/<name>.
          policyArn: pulumi.interpolate`arn:${this.partition}:iam::aws:policy/CloudWatchAgentServerPolicy`,
        },
        { parent: this },
      );
    }
    const profile = new aws.iam.InstanceProfile(`${args.prefix}-app-profile`, { role: this.role.name }, { parent: this });
    this.roleName = this.role.name;
    this.roleArn = this.role.arn;
    this.instanceProfileName = profile.name;
    this.instanceProfileArn = profile.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }

  private allow(name: string, statement: pulumi.Input<Record<string, unknown>>): aws.iam.RolePolicy {
    return new aws.iam.RolePolicy(
      `${this.prefix}-${name}`,
      {
        role: this.role.name,
        policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [statement] }),
      },
      { parent: this },
    );
  }

  /**
   * Read SSM parameters under one path (the app's runtime config) in the role's region:
   * `arn:${Partition}:ssm:${Region}:${Account}:parameter/${ParameterNameWithoutLeadingSlash}`
   * (Service Authorization Reference, AWS Systems Manager, resource type `parameter`); `path`
   * starts with its slash.
   */
  grantParameterRead(name: string, path: string): aws.iam.RolePolicy {
    return this.allow(name, {
      Effect: "Allow",
      Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
      Resource: [this.arn("ssm", `parameter${path}`), this.arn("ssm", `parameter${path}/*`)],
    });
  }

  /**
   * Read the given secrets (database credentials) and nothing else in Secrets Manager. With
   * `kmsKeyArn` (a customer key encrypts the secrets), also decrypt with that key, only when
   * Secrets Manager asks on the role's behalf (`kms:ViaService`). Without it the secrets are on
   * the AWS managed key `aws/secretsmanager`, which needs no grant ("All users and roles in the
   * AWS account automatically have access to use aws/secretsmanager", Secrets Manager API
   * reference, CreateSecret/UpdateSecret, KmsKeyId), so no KMS statement is written.
   *
   * Still built from `arn` outputs, so a first preview cannot judge it (the pack says so,
   * advisory): an RDS-managed secret's name and the KMS key's id are picked by AWS at create,
   * and the documented alternative for the key (a `kms:ResourceAliases` condition on `key/*`) is
   * weaker than naming it (policies/README.md, "What each view can judge").
   */
  grantSecretRead(name: string, secretArns: pulumi.Input<pulumi.Input<string>[]>, kmsKeyArn?: pulumi.Input<string>): aws.iam.RolePolicy {
    const read = { Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], Resource: secretArns };
    // kms:ViaService is `<service>.<region>.amazonaws.com` (AWS KMS developer guide, "kms:ViaService");
    // AWS documents no other suffix for it, so it is not derived from the partition's dnsSuffix.
    const decrypt = kmsKeyArn
      ? [
          {
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: kmsKeyArn,
            Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${this.region}.amazonaws.com` } },
          },
        ]
      : [];
    return new aws.iam.RolePolicy(
      `${this.prefix}-${name}`,
      {
        role: this.role.name,
        policy: pulumi.jsonStringify({ Version: "2012-10-17", Statement: [read, ...decrypt] }),
      },
      { parent: this },
    );
  }

  /** `arn:${Partition}:${service}:${Region}:${Account}:${resource}` in the role's region. */
  private arn(service: string, resource: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.interpolate`arn:${this.partition}:${service}:${this.region}:${this.accountId}:${resource}`;
  }

  /**
   * Item-level read/write on the given tables (sessions, NoSQL), no table management, by table
   * name in the role's region: `arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}`
   * (Service Authorization Reference, Amazon DynamoDB, resource type `table`). A global table's
   * replicas (version 2019.11.21, Current: the `replicas` of aws.dynamodb.Table, added through
   * UpdateTable `ReplicaUpdates`, DynamoDB API reference) have the table's name in every region:
   * a replica is created by region alone (DynamoDB API reference, CreateReplicationGroupMemberAction:
   * RegionName, KMSMasterKeyId and per-replica overrides; no table name).
   */
  grantTableReadWrite(name: string, tableNames: pulumi.Input<string>[]): aws.iam.RolePolicy {
    return this.allow(name, {
      Effect: "Allow",
      Action: [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
      ],
      Resource: tableNames.map((table) => this.arn("dynamodb", pulumi.interpolate`table/${table}`)),
    });
  }

  /**
   * IAM authentication to one ElastiCache replication group as one RBAC user (no auth token
   * exists), by id: `arn:${Partition}:elasticache:${Region}:${Account}:replicationgroup:${ReplicationGroupId}`
   * and `...:user:${UserId}` (Service Authorization Reference, Amazon ElastiCache, resource types
   * `replicationgroup` and `user`). The user id is the program's; the group id is auto-named.
   */
  grantCacheConnect(name: string, replicationGroupId: pulumi.Input<string>, userId: pulumi.Input<string>): aws.iam.RolePolicy {
    return this.allow(name, {
      Effect: "Allow",
      Action: ["elasticache:Connect"],
      Resource: [
        this.arn("elasticache", pulumi.interpolate`replicationgroup:${replicationGroupId}`),
        this.arn("elasticache", pulumi.interpolate`user:${userId}`),
      ],
    });
  }
}
