import { strict as assert } from "node:assert";
import { ACCESS_LOG_PREFIXES, ACCESS_LOG_RETENTION_DAYS } from "../components/cdn";
import { policies } from "../policies/rules";
import { Capture } from "../tools/capture";
import { runViews, VIEWS } from "../tools/policyRunner";
import { ofType, one, plan, previewPlan } from "./helpers";

const T = {
  bucket: "aws:s3/bucket:Bucket",
  pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  ownership: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  logging: "aws:s3/bucketLogging:BucketLogging",
  policy: "aws:s3/bucketPolicy:BucketPolicy",
  distribution: "aws:cloudfront/distribution:Distribution",
};
const stage5 = () => plan({ stack: "dev", stage: 5 });

describe("access logs of the static bucket and the CDN (stage 5 on)", () => {
  const logBucket = (c: Capture) => one(c, T.bucket, "access-logs");
  const forBucket = (c: Capture, type: string, name: string) => ofType(c, type).filter((r) => r.name.endsWith(name));

  it("a dedicated log bucket: private, encrypted, ACLs as CloudFront's legacy logging needs, objects expire", async () => {
    const c = await stage5();
    const logs = logBucket(c);
    assert.equal(logs.protect, true, "stateful: protected like the static bucket from stage 4 on");
    const [pab] = forBucket(c, T.pab, "-access-logs");
    for (const flag of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
      assert.equal(pab.inputs[flag], true, flag);
    const [sse] = forBucket(c, T.sse, "-access-logs");
    // S3 server access logging delivers only to SSE-S3 target buckets.
    assert.equal(sse.inputs.rules[0].applyServerSideEncryptionByDefault.sseAlgorithm, "AES256");
    const [ownership] = forBucket(c, T.ownership, "-access-logs");
    assert.equal(ownership.inputs.rule.objectOwnership, "BucketOwnerPreferred", "CloudFront legacy logging writes through ACLs");
    const [lifecycle] = forBucket(c, T.lifecycle, "-access-logs");
    const rule = lifecycle.inputs.rules[0];
    assert.equal(rule.status, "Enabled");
    assert.equal(rule.expiration.days, ACCESS_LOG_RETENTION_DAYS);
    // The static bucket keeps ACLs off.
    const [staticOwnership] = forBucket(c, T.ownership, "-static");
    assert.equal(staticOwnership.inputs.rule.objectOwnership, "BucketOwnerEnforced");
  });

  it("the static bucket logs to it through the logging service principal, limited to that bucket and account", async () => {
    const c = await stage5();
    const logs = logBucket(c);
    const staticBucket = one(c, T.bucket, "-static");
    const logging = one(c, T.logging);
    assert.deepEqual(logging.propertyDependencies.bucket, [staticBucket.urn], "the logging rule is on the static bucket");
    assert.ok(logging.dependencies.includes(staticBucket.urn) && logging.dependencies.includes(logs.urn));
    assert.equal(logging.inputs.targetPrefix, ACCESS_LOG_PREFIXES.staticBucket);
    const [policy] = forBucket(c, T.policy, "-access-logs");
    const statement = JSON.parse(policy.inputs.policy).Statement[0];
    assert.deepEqual(statement.Principal, { Service: "logging.s3.amazonaws.com" });
    assert.equal(statement.Action, "s3:PutObject");
    assert.match(statement.Resource, new RegExp(`/${ACCESS_LOG_PREFIXES.staticBucket}\\*$`));
    assert.ok(statement.Condition.ArnLike["aws:SourceArn"], "only from the static bucket");
    assert.ok(statement.Condition.StringEquals["aws:SourceAccount"], "only from this account");
    assert.ok(logging.dependencies.includes(policy.urn), "logging is switched on after the grant");
  });

  it("CloudFront writes standard logs to it, after its ownership controls allow ACLs", async () => {
    const c = await stage5();
    const distribution = one(c, T.distribution);
    const config = distribution.inputs.loggingConfig;
    assert.match(config.bucket, /-access-logs-[0-9a-f]+\.s3\.amazonaws\.com$/);
    assert.equal(config.prefix, ACCESS_LOG_PREFIXES.cloudfront);
    assert.equal(config.includeCookies, false);
    const [ownership] = forBucket(c, T.ownership, "-access-logs");
    assert.ok(distribution.dependencies.includes(ownership.urn));
  });

  it("no log bucket before the CDN exists; every bucket still passes the pack's S3 policies, in every view", async () => {
    assert.deepEqual(ofType(await plan({ stack: "dev", stage: 4 }), T.bucket), []);
    for (const selection of [{ stack: "dev", stage: 5 }, { stack: "prod" }]) {
      const runs = await runViews({ normal: await plan(selection), preview: await previewPlan(selection) }, policies);
      for (const view of VIEWS) {
        const s3 = runs[view]!.violations.filter((v) => /^s3-|stateful-protect/.test(v.policyName));
        assert.deepEqual(s3, [], `${JSON.stringify(selection)}, ${view} view`);
      }
    }
  });
});
