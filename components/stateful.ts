/**
 * SPEC invariant 1's stateful types: removing or replacing one of these loses data. The promotion
 * diff (tools/compare.ts) and the policy pack's protection rule read this one list.
 */
export const STATEFUL_TYPES: readonly string[] = [
  "aws:rds/cluster:Cluster",
  "aws:rds/clusterInstance:ClusterInstance",
  "aws:rds/instance:Instance",
  "aws:rds/globalCluster:GlobalCluster",
  "aws:dynamodb/table:Table",
  "aws:s3/bucket:Bucket",
  "aws:s3/bucketV2:BucketV2",
  "aws:ebs/volume:Volume",
  "aws:route53/zone:Zone",
  "aws:kms/key:Key",
  "aws:secretsmanager/secret:Secret",
];

export const isStateful = (type: string): boolean => STATEFUL_TYPES.includes(type);
