import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export const BACKEND_SOURCE_DIR = path.resolve(__dirname, "..", "backend");
export const LAMBDA_RUNTIME = "nodejs22.x";

export interface LambdaBackendArgs {
  stage: number;
  /** The region the function and its log group live in (its provider's). */
  region: string;
  /** Days CloudWatch keeps the function's logs. */
  logRetentionDays: number;
  /** Origins allowed to call the API from a browser (the launch page). */
  allowedOrigins: string[];
}

/**
 * The stage-1 backend: the repo's `backend/` handler on Lambda behind an HTTP API, with a role
 * that may only write to its own log group.
 */
export class LambdaBackend extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly functionArn: pulumi.Output<string>;

  constructor(name: string, args: LambdaBackendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:backend:LambdaBackend", name, {}, opts);
    const parent = { parent: this };
    const logs = new aws.cloudwatch.LogGroup(`${name}-logs`, { retentionInDays: args.logRetentionDays }, parent);
    // The grant names the log group by its name (auto-named at Check, so known in a first preview)
    // rather than its `arn` output, which a preview does not know yet: the policy pack can then
    // judge the document in a preview too. CloudWatch Logs' ARN format for IAM policies:
    // `arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:*` ("Overview of
    // managing access permissions to your CloudWatch Logs resources").
    const partition = aws.getPartitionOutput({}, parent).partition;
    const accountId = aws.getCallerIdentityOutput({}, parent).accountId;
    const logStreams = pulumi.interpolate`arn:${partition}:logs:${args.region}:${accountId}:log-group:${logs.name}:*`;
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        description: "The stage-1 Lambda backend",
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }),
      },
      parent,
    );
    const logsPolicy = new aws.iam.RolePolicy(
      `${name}-logs`,
      {
        role: role.name,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: logStreams }],
        }),
      },
      parent,
    );
    const fn = new aws.lambda.Function(
      `${name}-fn`,
      {
        runtime: LAMBDA_RUNTIME,
        architectures: ["arm64"],
        handler: "handler.handler",
        code: new pulumi.asset.AssetArchive({ "handler.js": new pulumi.asset.FileAsset(path.join(BACKEND_SOURCE_DIR, "handler.js")) }),
        role: role.arn,
        memorySize: 128,
        timeout: 10,
        environment: { variables: { STAGE: String(args.stage) } },
        loggingConfig: { logFormat: "JSON", logGroup: logs.name },
      },
      // The role must already carry its log grant when the first invocation runs, or those logs are lost.
      { parent: this, dependsOn: [logsPolicy] },
    );
    const api = new aws.apigatewayv2.Api(
      `${name}-api`,
      {
        protocolType: "HTTP",
        target: fn.arn,
        corsConfiguration: {
          allowOrigins: args.allowedOrigins,
          allowMethods: ["GET", "POST"],
          allowHeaders: ["content-type"],
          maxAge: 3600,
        },
      },
      parent,
    );
    new aws.lambda.Permission(
      `${name}-api-invoke`,
      {
        function: fn.name,
        action: "lambda:InvokeFunction",
        principal: "apigateway.amazonaws.com",
        sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
      },
      parent,
    );
    this.url = api.apiEndpoint;
    this.functionArn = fn.arn;
    this.registerOutputs({ url: this.url });
  }
}
