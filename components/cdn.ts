import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DnsValidatedCertificate } from "./certificates";
import type { DnsZone } from "./dns";

/** Path pattern served from S3; everything else goes to the web tier. */
export const STATIC_PATH_PATTERN = "/static/*";
/** North America and Europe edges: the cheapest class that serves the stack's users. */
export const CDN_PRICE_CLASS = "PriceClass_100";
/** AWS managed cache and origin request policies (fixed ids, the same in every account). */
export const MANAGED_POLICIES = {
  cachingOptimized: "658327ea-f89d-4fab-a63d-7e88639e58f6",
  cachingDisabled: "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
  allViewerExceptHostHeader: "b689b0a8-53d0-40ab-baf2-68738e2966ac",
} as const;

/**
 * Days the access logs are kept. Long enough for an incident review or a quarterly audit; the
 * lifecycle rule deletes older objects so the bucket does not grow for ever.
 */
export const ACCESS_LOG_RETENTION_DAYS = 90;
/** Where each service writes in the log bucket. */
export const ACCESS_LOG_PREFIXES = { staticBucket: "s3/static/", cloudfront: "cloudfront/" } as const;

const STATIC_ORIGIN = "static-s3";
const WEB_ORIGIN = "web-alb";

export interface CdnArgs {
  prefix: string;
  /** Protect and retain the bucket: it holds the site's assets. */
  protectData: boolean;
  /** The web tier's origin: the ALB's own name (HTTP), or `origin.<domain>` (HTTPS, certificate on the ALB). */
  webOrigin: { domainName: pulumi.Input<string>; https: boolean };
  /**
   * Serve the apex of `domain`. The viewer certificate is issued in us-east-1 whatever the stack's
   * region (a CloudFront rule), so its provider is given here.
   */
  tls?: { domain: string; zone: DnsZone; certificateProvider: aws.Provider };
}

/**
 * Static assets in a private S3 bucket (all public access blocked, encrypted, versioned, ACLs off)
 * behind CloudFront with an Origin Access Control: only this distribution may read it. Viewers
 * are always on HTTPS.
 */
export class Cdn extends pulumi.ComponentResource {
  readonly domainName: pulumi.Output<string>;
  readonly hostedZoneId: pulumi.Output<string>;
  readonly distributionId: pulumi.Output<string>;
  readonly bucketName: pulumi.Output<string>;

  constructor(name: string, args: CdnArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:cdn:Cdn", name, {}, opts);
    if (!args.prefix) throw new Error(`Cdn ${name}: prefix is required`);
    if (args.tls && !args.tls.domain) throw new Error(`Cdn ${name}: tls needs a domain`);
    const p = args.prefix;
    const parent = { parent: this };

    const bucket = new aws.s3.Bucket(
      `${p}-static`,
      { forceDestroy: false, tags: { Name: `${p}-static`, "scaling:data": "static-assets" } },
      { parent: this, protect: args.protectData, retainOnDelete: args.protectData },
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${p}-static`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    new aws.s3.BucketOwnershipControls(`${p}-static`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, parent);
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${p}-static`,
      // SSE-S3: CloudFront reads through OAC without a KMS key policy to maintain.
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }] },
      parent,
    );
    new aws.s3.BucketVersioning(`${p}-static`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, parent);
    const identity = aws.getCallerIdentityOutput({}, parent);
    const logs = this.accessLogBucket(p, args.protectData, bucket.arn, identity.accountId);
    new aws.s3.BucketLogging(
      `${p}-static`,
      { bucket: bucket.id, targetBucket: logs.bucket.id, targetPrefix: ACCESS_LOG_PREFIXES.staticBucket },
      // S3 checks the target's permissions when logging is switched on: the policy must be there.
      { parent: this, dependsOn: [logs.policy] },
    );

    const oac = new aws.cloudfront.OriginAccessControl(
      `${p}-static-oac`,
      {
        description: "CloudFront reads the scaling-journey static bucket",
        originAccessControlOriginType: "s3",
        signingBehavior: "always",
        signingProtocol: "sigv4",
      },
      parent,
    );

    const certificate = args.tls
      ? new DnsValidatedCertificate(
          `${p}-cdn-cert`,
          { prefix: p, domain: args.tls.domain, subjectAlternativeNames: [], zone: args.tls.zone },
          { parent: this, providers: { aws: args.tls.certificateProvider } },
        )
      : undefined;

    const distribution = new aws.cloudfront.Distribution(
      `${p}-cdn`,
      {
        enabled: true,
        comment: "scaling-journey: /static/* from S3, the rest from the web tier",
        isIpv6Enabled: true,
        httpVersion: "http2and3",
        priceClass: CDN_PRICE_CLASS,
        aliases: args.tls ? [args.tls.domain] : [],
        origins: [
          { originId: STATIC_ORIGIN, domainName: bucket.bucketRegionalDomainName, originAccessControlId: oac.id },
          {
            originId: WEB_ORIGIN,
            domainName: args.webOrigin.domainName,
            customOriginConfig: {
              httpPort: 80,
              httpsPort: 443,
              originProtocolPolicy: args.webOrigin.https ? "https-only" : "http-only",
              originSslProtocols: ["TLSv1.2"],
            },
          },
        ],
        defaultCacheBehavior: {
          targetOriginId: WEB_ORIGIN,
          viewerProtocolPolicy: "redirect-to-https",
          allowedMethods: ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
          cachedMethods: ["GET", "HEAD"],
          cachePolicyId: MANAGED_POLICIES.cachingDisabled,
          originRequestPolicyId: MANAGED_POLICIES.allViewerExceptHostHeader,
          compress: true,
        },
        orderedCacheBehaviors: [
          {
            pathPattern: STATIC_PATH_PATTERN,
            targetOriginId: STATIC_ORIGIN,
            viewerProtocolPolicy: "https-only",
            allowedMethods: ["GET", "HEAD"],
            cachedMethods: ["GET", "HEAD"],
            cachePolicyId: MANAGED_POLICIES.cachingOptimized,
            compress: true,
          },
        ],
        restrictions: { geoRestriction: { restrictionType: "none" } },
        // Standard logging (legacy) to S3: CloudFront grants its log-delivery account FULL_CONTROL
        // through the bucket's ACL, hence ACLs enabled on the log bucket (and only there).
        loggingConfig: { bucket: logs.bucket.bucketDomainName, prefix: ACCESS_LOG_PREFIXES.cloudfront, includeCookies: false },
        viewerCertificate: certificate
          ? { acmCertificateArn: certificate.certificateArn, sslSupportMethod: "sni-only", minimumProtocolVersion: "TLSv1.2_2021" }
          : { cloudfrontDefaultCertificate: true },
        tags: { Name: `${p}-cdn` },
      },
      // CloudFront rejects a log bucket whose ACLs are disabled: ownership controls first.
      { parent: this, dependsOn: [logs.ownership] },
    );

    new aws.s3.BucketPolicy(
      `${p}-static`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "CloudFrontReadsThroughOac",
              Effect: "Allow",
              Principal: { Service: "cloudfront.amazonaws.com" },
              Action: "s3:GetObject",
              Resource: pulumi.interpolate`${bucket.arn}/*`,
              Condition: { StringEquals: { "AWS:SourceArn": distribution.arn } },
            },
          ],
        }),
      },
      // S3 rejects a policy change that races the public access block on the same bucket.
      { parent: this, dependsOn: [publicAccess] },
    );

    this.domainName = distribution.domainName;
    this.hostedZoneId = distribution.hostedZoneId;
    this.distributionId = distribution.id;
    this.bucketName = bucket.bucket;
    this.registerOutputs({ domainName: this.domainName, bucketName: this.bucketName });
  }

  /**
   * The access-log bucket of the static bucket (S3 server access logging) and of the distribution
   * (CloudFront standard logging). Private (all public access blocked), SSE-S3 (the encryption
   * both log deliveries write to without a key policy to maintain), objects expire after the
   * retention. ACLs stay enabled with BucketOwnerPreferred, which CloudFront's legacy logging needs
   * (it writes through an ACL grant to awslogsdelivery); S3's own log delivery is granted through
   * the bucket policy to logging.s3.amazonaws.com, scoped by aws:SourceArn and aws:SourceAccount,
   * instead of the log-delivery group ACL. Sources, read 2026-11-30: S3 User Guide, "Enabling
   * Amazon S3 server access logging" (permissions for log delivery),
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html;
   * CloudFront Developer Guide, "Configure standard logging (legacy)",
   * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logging-legacy-s3.html.
   */
  private accessLogBucket(p: string, protectData: boolean, sourceBucketArn: pulumi.Input<string>, accountId: pulumi.Input<string>) {
    const parent = { parent: this };
    const bucket = new aws.s3.Bucket(
      `${p}-access-logs`,
      { forceDestroy: false, tags: { Name: `${p}-access-logs`, "scaling:data": "access-logs" } },
      { parent: this, protect: protectData, retainOnDelete: protectData },
    );
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
      `${p}-access-logs`,
      { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      parent,
    );
    const ownership = new aws.s3.BucketOwnershipControls(
      `${p}-access-logs`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerPreferred" } },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${p}-access-logs`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      parent,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${p}-access-logs`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-access-logs",
            status: "Enabled",
            filter: {},
            expiration: { days: ACCESS_LOG_RETENTION_DAYS },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      parent,
    );
    // S3 server access logs arrive through the logging service principal, limited to the static
    // bucket of this account (AWS's recommended grant, instead of the log-delivery group ACL).
    const policy = new aws.s3.BucketPolicy(
      `${p}-access-logs`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "S3ServerAccessLogsFromTheStaticBucket",
              Effect: "Allow",
              Principal: { Service: "logging.s3.amazonaws.com" },
              Action: "s3:PutObject",
              Resource: pulumi.interpolate`${bucket.arn}/${ACCESS_LOG_PREFIXES.staticBucket}*`,
              Condition: { ArnLike: { "aws:SourceArn": sourceBucketArn }, StringEquals: { "aws:SourceAccount": accountId } },
            },
          ],
        }),
      },
      { parent: this, dependsOn: [publicAccess] },
    );
    return { bucket, ownership, policy };
  }
}
