/**
 * Security baseline (SPEC invariant 3) and data protection (invariant 2), plus advisory hygiene.
 * Resource policies look at one resource's inputs; rules that need the stage, the production flag
 * or another resource (a bucket's public access block) are stack policies.
 */
import { STATEFUL_TYPES } from "../components/stateful";
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  asArray,
  configOf,
  dataProtectionConfigSchema,
  DataProtectionConfig,
  ofType,
  peek,
  isSet,
  requireTrue,
  stackStage,
  T,
  truthy,
} from "./support";

type PropsCheck = (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation) => void;

/** A resource policy that applies to some types only (others are reported not applicable, as the SDK does). */
function resourcePolicy(
  name: string,
  description: string,
  types: readonly string[],
  check: PropsCheck,
  enforcementLevel: "mandatory" | "advisory" = "mandatory",
  configSchema?: ResourceValidationPolicy["configSchema"],
): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel,
    configSchema,
    validateResource: (args, report) => {
      if (!types.includes(args.type)) return args.notApplicable(`applies to ${types.join(", ")}`);
      check(args.props, args, report);
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Encryption at rest

export const encryptionAtRest: ResourceValidationPolicy = resourcePolicy(
  "encryption-at-rest",
  "Data is encrypted at rest: Aurora and RDS `storageEncrypted: true`, DynamoDB `serverSideEncryption.enabled: true` (KMS), ElastiCache `atRestEncryptionEnabled: true`, EBS volumes `encrypted: true`, and instance/launch-template root and data volumes `encrypted`. Fix: set the flag; for ElastiCache and Aurora it forces a replacement, so create the resource encrypted from the start.",
  [T.cluster, T.dbInstance, T.table, T.cache, T.volume, T.instance, T.launchTemplate],
  (props, args, report) => {
    switch (args.type) {
      case T.cluster:
      case T.dbInstance:
        return requireTrue(props, ["storageEncrypted"], "set storageEncrypted: true", report);
      case T.table:
        return requireTrue(props, ["serverSideEncryption", "enabled"], "set serverSideEncryption: { enabled: true } (KMS)", report);
      case T.cache:
        return requireTrue(props, ["atRestEncryptionEnabled"], "set atRestEncryptionEnabled: true", report);
      case T.volume:
        return requireTrue(props, ["encrypted"], "set encrypted: true", report);
      case T.instance: {
        const root = peek(() => props.rootBlockDevice);
        if (root === undefined && !("rootBlockDevice" in props)) report("set rootBlockDevice with encrypted: true");
        else if (root) requireTrue(root, ["encrypted"], "set rootBlockDevice.encrypted: true", report);
        for (const [i, d] of (peek(() => asArray(props.ebsBlockDevices)) ?? []).entries())
          requireTrue(d as Record<string, any>, ["encrypted"], `set ebsBlockDevices[${i}].encrypted: true`, report);
        return;
      }
      case T.launchTemplate: {
        const mappings = peek(() => asArray(props.blockDeviceMappings));
        if (mappings === undefined) return;
        if (mappings.length === 0) report('set blockDeviceMappings with ebs.encrypted: "true" for the root volume');
        for (const [i, m] of mappings.entries())
          requireTrue(
            ((m as any).ebs ?? {}) as Record<string, any>,
            ["encrypted"],
            `set blockDeviceMappings[${i}].ebs.encrypted: "true"`,
            report,
          );
        return;
      }
    }
  },
);

export const s3Encryption: StackValidationPolicy = {
  name: "s3-encryption",
  description:
    "Every S3 bucket has its own server-side encryption configuration resource (aws.s3.BucketServerSideEncryptionConfiguration with SSE-S3 or SSE-KMS). The bucket's inline `serverSideEncryptionConfiguration` does not count: AWS fills it in with its SSE-S3 default for every bucket, so once deployed it is always there. Fix: add one for the bucket.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const configs = ofType(args.resources, T.bucketSse);
    for (const bucket of ofType(args.resources, T.bucket)) {
      if (!configs.some((c) => c.dependencies.some((d) => d.urn === bucket.urn)))
        report(`${bucket.name} has no server-side encryption configuration`, bucket.urn);
    }
  },
};

// ------------------------------------------------------------------------------------------------
// Encryption in transit

export const encryptionInTransit: ResourceValidationPolicy = resourcePolicy(
  "encryption-in-transit",
  'Traffic is encrypted in transit: ElastiCache `transitEncryptionEnabled: true` (set at creation: below Redis 7.0.5 it forces a replacement) and CloudFront never serves HTTP (`viewerProtocolPolicy` "redirect-to-https" or "https-only" on every cache behaviour).',
  [T.cache, "aws:cloudfront/distribution:Distribution"],
  (props, args, report) => {
    if (args.type === T.cache) return requireTrue(props, ["transitEncryptionEnabled"], "set transitEncryptionEnabled: true", report);
    const behaviours = [peek(() => props.defaultCacheBehavior), ...(peek(() => asArray(props.orderedCacheBehaviors)) ?? [])];
    for (const b of behaviours) {
      if (!b) continue;
      const policy = peek(() => (b as any).viewerProtocolPolicy);
      if (policy === "allow-all")
        report(`cache behaviour ${(b as any).pathPattern ?? "default"} allows HTTP: use redirect-to-https or https-only`);
    }
  },
);

export const albHttpsRedirect: StackValidationPolicy = {
  name: "alb-https-redirect",
  description:
    'A load balancer with an HTTPS listener (a certificate) answers plain HTTP only with a redirect to HTTPS. Fix: make the HTTP listener\'s default action `{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }`.',
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const listeners = ofType(args.resources, T.listener);
    for (const lb of ofType(args.resources, T.lb)) {
      const own = listeners.filter((l) => l.dependencies.some((d) => d.urn === lb.urn));
      const https = own.some((l) => peek(() => l.props.protocol) === "HTTPS" || isSet(l.props, "certificateArn") !== false);
      if (!https) continue;
      for (const l of own.filter((x) => peek(() => x.props.protocol) === "HTTP")) {
        const actions = peek(() => asArray(l.props.defaultActions)) ?? [];
        const redirects = actions.some((a: any) => a?.type === "redirect" && (a.redirect?.protocol ?? "HTTPS") === "HTTPS");
        if (!redirects) report(`${l.name} serves HTTP while ${lb.name} has an HTTPS listener: redirect it to HTTPS`, l.urn);
      }
    }
  },
};

// ------------------------------------------------------------------------------------------------
// Exposure

const PAB_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export const s3PublicAccess: StackValidationPolicy = {
  name: "s3-public-access-blocked",
  description:
    "Every S3 bucket has an aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, ignorePublicAcls and restrictPublicBuckets all true. CloudFront reads private buckets through Origin Access Control, so nothing needs a public bucket. Fix: add the block with all four flags.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const blocks = ofType(args.resources, T.bucketPab);
    for (const block of blocks) {
      const off = PAB_FLAGS.filter((f) => f in block.props && peek(() => block.props[f]) !== undefined && !truthy(block.props[f]));
      const missing = PAB_FLAGS.filter((f) => !(f in block.props));
      if (off.length + missing.length > 0) report(`${block.name}: set ${[...off, ...missing].join(", ")} to true`, block.urn);
    }
    for (const bucket of ofType(args.resources, T.bucket)) {
      if (!blocks.some((b) => b.dependencies.some((d) => d.urn === bucket.urn)))
        report(`${bucket.name} has no public access block`, bucket.urn);
    }
  },
};

export const dbNotPublic: ResourceValidationPolicy = resourcePolicy(
  "db-not-publicly-accessible",
  "Database instances are never publicly accessible: set `publiclyAccessible: false` and keep them in private data subnets, reachable only from the app's security group.",
  [T.clusterInstance, T.dbInstance],
  (props, _args, report) => {
    if (truthy(peek(() => props.publiclyAccessible))) report("set publiclyAccessible: false");
  },
);

export const imdsv2: ResourceValidationPolicy = resourcePolicy(
  "imdsv2-required",
  'EC2 instances and launch templates require IMDSv2 session tokens: `metadataOptions: { httpTokens: "required" }`. IMDSv1 lets an SSRF bug read the instance role\'s credentials.',
  [T.instance, T.launchTemplate],
  (props, _args, report) => {
    const options = peek(() => props.metadataOptions);
    if (options && "httpTokens" in options && peek(() => options.httpTokens) === undefined) return;
    if (options?.httpTokens !== "required")
      report(`metadataOptions.httpTokens is ${JSON.stringify(options?.httpTokens ?? "optional (default)")}; set "required"`);
  },
);

const OPEN_CIDRS = ["0.0.0.0/0", "::/0"];
const sensitivePortsSchema = {
  properties: {
    ports: {
      type: "array",
      items: { type: "integer" },
      default: [22, 3389, 3306, 5432, 6379],
      description: "Ports that must never be open to 0.0.0.0/0 or ::/0 (SSH, RDP, MySQL, PostgreSQL, Redis).",
    },
  },
} as const;

/** The sensitive ports a rule opens: all of them for protocol "-1"/"all", else those in [from, to]. */
function portsOpened(protocol: unknown, from: unknown, to: unknown, ports: number[]): number[] {
  if (protocol === "-1" || protocol === -1 || protocol === "all") return ports;
  if (protocol !== undefined && !["tcp", "6", 6].includes(protocol as string)) return [];
  const lo = typeof from === "number" ? from : 0;
  const hi = typeof to === "number" ? to : 65535;
  return ports.filter((p) => p >= lo && p <= hi);
}

export const noAdminPortsFromInternet: ResourceValidationPolicy = resourcePolicy(
  "no-admin-ports-from-internet",
  "No security group rule opens SSH or a database/cache port (22, 3389, 3306, 5432, 6379 by default) to 0.0.0.0/0 or ::/0. Fix: use SSM Session Manager instead of SSH, and admit database traffic only from the app's security group (referencedSecurityGroupId).",
  [
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
  ],
  (props, args, report) => {
    const { ports } = configOf<{ ports: number[] }>(args, sensitivePortsSchema);
    const flag = (cidrs: unknown[], protocol: unknown, from: unknown, to: unknown, where: string) => {
      const open = cidrs.filter((c) => OPEN_CIDRS.includes(c as string));
      const hit = portsOpened(protocol, from, to, ports);
      if (open.length > 0 && hit.length > 0) report(`${where} opens port(s) ${hit.join(", ")} to ${open.join(", ")}`);
    };
    if (args.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
      const cidrs = [peek(() => props.cidrIpv4), peek(() => props.cidrIpv6)];
      flag(
        cidrs,
        peek(() => props.ipProtocol),
        peek(() => props.fromPort),
        peek(() => props.toPort),
        "the rule",
      );
    } else if (args.type === "aws:ec2/securityGroupRule:SecurityGroupRule") {
      if (peek(() => props.type) !== "ingress") return;
      const cidrs = [...(peek(() => asArray(props.cidrBlocks)) ?? []), ...(peek(() => asArray(props.ipv6CidrBlocks)) ?? [])];
      flag(
        cidrs,
        peek(() => props.protocol),
        peek(() => props.fromPort),
        peek(() => props.toPort),
        "the rule",
      );
    } else {
      for (const [i, rule] of (peek(() => asArray(props.ingress)) ?? []).entries()) {
        const r = rule as Record<string, any>;
        const cidrs = [...(peek(() => asArray(r.cidrBlocks)) ?? []), ...(peek(() => asArray(r.ipv6CidrBlocks)) ?? [])];
        flag(
          cidrs,
          peek(() => r.protocol),
          peek(() => r.fromPort),
          peek(() => r.toPort),
          `ingress[${i}]`,
        );
      }
    }
  },
  "mandatory",
  sensitivePortsSchema as unknown as ResourceValidationPolicy["configSchema"],
);

export const dbManagedCredentials: StackValidationPolicy = {
  name: "db-managed-credentials",
  description:
    "Database master passwords never sit in config or state: a standalone cluster sets `manageMasterUserPassword: true` (AWS keeps it in Secrets Manager); a cluster in an Aurora Global Database, where AWS can't manage it, takes a generated password through the write-only `masterPasswordWo`; a secondary cluster sets no password. A plaintext `masterPassword` is never allowed.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const globals = ofType(args.resources, T.globalCluster);
    for (const db of ofType(args.resources, [T.cluster, T.dbInstance])) {
      // Unset reads as "", null or absent (tools/mocks.ts); an unknown value is a value the program set.
      if (isSet(db.props, "masterPassword") !== false) {
        report(`${db.name} sets masterPassword, which Pulumi stores in state: use manageMasterUserPassword or masterPasswordWo`, db.urn);
        continue;
      }
      if (db.type === T.dbInstance && isSet(db.props, "replicateSourceDb") !== false) continue;
      const inGlobal =
        isSet(db.props, "globalClusterIdentifier") !== false || globals.some((g) => g.dependencies.some((d) => d.urn === db.urn));
      const managed = truthy(peek(() => db.props.manageMasterUserPassword));
      // A write-only password is never in state (null once deployed); its version is.
      const writeOnly = isSet(db.props, "masterPasswordWo") !== false || isSet(db.props, "masterPasswordWoVersion") === true;
      if (inGlobal && managed) {
        report(
          `${db.name} belongs to an Aurora Global Database, where AWS can't manage the master password: use masterPasswordWo from a generated secret`,
          db.urn,
        );
      } else if (!inGlobal && !managed && !writeOnly && isSet(db.props, "snapshotIdentifier") === false) {
        report(`${db.name}: set manageMasterUserPassword: true`, db.urn);
      }
    }
  },
};

/** Statements of an IAM policy document given as JSON text or an object. */
function statements(doc: unknown): Record<string, any>[] {
  let parsed = doc;
  if (typeof doc === "string") {
    try {
      parsed = JSON.parse(doc);
    } catch {
      return [];
    }
  }
  const st = (parsed as { Statement?: unknown })?.Statement;
  return (Array.isArray(st) ? st : st ? [st] : []) as Record<string, any>[];
}
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

/** AWS managed policies that grant everything, or everything in a service. */
const BROAD_MANAGED =
  /:policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess|AmazonS3FullAccess|AmazonDynamoDBFullAccess|AmazonRDSFullAccess|SecretsManagerReadWrite|AmazonEC2FullAccess)$/;

export const iamLeastPrivilege: ResourceValidationPolicy = resourcePolicy(
  "iam-least-privilege",
  'IAM grants are least privilege: no Allow statement with Action "*" (or NotAction), no service-wide action ("svc:*") on Resource "*", and no broad AWS managed policy (AdministratorAccess, PowerUserAccess, *FullAccess). Fix: list the actions the app calls and the ARNs it touches (see components/appRole.ts).',
  ["aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy", "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/role:Role"],
  (props, args, report) => {
    if (args.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
      const arn = peek(() => props.policyArn);
      if (typeof arn === "string" && BROAD_MANAGED.test(arn)) report(`attaches the broad managed policy ${arn}`);
      return;
    }
    if (args.type === "aws:iam/role:Role") {
      for (const arn of peek(() => list(props.managedPolicyArns)) ?? [])
        if (BROAD_MANAGED.test(arn)) report(`attaches the broad managed policy ${arn}`);
      for (const inline of asArray(props.inlinePolicies)) check((inline as any)?.policy);
      return;
    }
    // A document built from ARNs is unknown in a first preview: read it without peek, so the
    // engine (and tools/policyRunner.ts) reports "can't run policy during preview" instead of
    // passing silently; `pulumi up` runs the check again, mandatory, before creating the grant.
    check(props.policy);
    function check(doc: unknown) {
      for (const st of statements(doc)) {
        if (st.Effect !== "Allow") continue;
        if (st.NotAction !== undefined) report("an Allow statement uses NotAction");
        const actions = list(st.Action);
        const resources = list(st.Resource);
        if (actions.some((a) => a === "*")) report('an Allow statement grants Action "*"');
        else if (resources.includes("*") && actions.some((a) => a.endsWith(":*")))
          report(`an Allow statement grants ${actions.filter((a) => a.endsWith(":*")).join(", ")} on Resource "*"`);
      }
    }
  },
);

// ------------------------------------------------------------------------------------------------
// Data protection (stage minimums.dataProtection, or the production flag)

type DataCheck = (resources: PolicyResource[], cfg: DataProtectionConfig, report: ReportViolation) => void;

function dataPolicy(name: string, description: string, check: DataCheck): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    configSchema: dataProtectionConfigSchema,
    validateStack: (args, report) => {
      const s = stackStage(args, dataProtectionConfigSchema);
      if (!s.definition.minimums.dataProtection && !s.production) return;
      check(args.resources, configOf<DataProtectionConfig>(args, dataProtectionConfigSchema), report);
    },
  };
}

/** Aurora clusters that are secondaries of a global database take their backups from the primary. */
const clustersAndDbs = (resources: PolicyResource[]) => ofType(resources, [T.cluster, T.dbInstance]);

export const deletionProtection: StackValidationPolicy = dataPolicy(
  "data-deletion-protection",
  "Once data protection applies (stage minimums.dataProtection, or `production`), Aurora/RDS databases set `deletionProtection: true` and DynamoDB tables `deletionProtectionEnabled: true`.",
  (resources, _cfg, report) => {
    for (const db of clustersAndDbs(resources))
      requireTrue(db.props, ["deletionProtection"], `${db.name}: set deletionProtection: true`, (m: string) => report(m, db.urn));
    for (const t of ofType(resources, T.table))
      requireTrue(t.props, ["deletionProtectionEnabled"], `${t.name}: set deletionProtectionEnabled: true`, (m: string) =>
        report(m, t.urn),
      );
  },
);

export const backups: StackValidationPolicy = dataPolicy(
  "data-backups",
  "Once data protection applies, Aurora/RDS keep automated backups for at least `minBackupRetentionDays` (default 7, from the stage table) and DynamoDB tables have point-in-time recovery. Fix: set backupRetentionPeriod and pointInTimeRecovery: { enabled: true }.",
  (resources, cfg, report) => {
    for (const db of clustersAndDbs(resources)) {
      const days = peek(() => db.props.backupRetentionPeriod);
      if ("backupRetentionPeriod" in db.props && days === undefined) continue;
      if (typeof days !== "number" || days < cfg.minBackupRetentionDays)
        report(`${db.name} keeps backups ${days ?? 1} day(s); set backupRetentionPeriod ≥ ${cfg.minBackupRetentionDays}`, db.urn);
    }
    for (const t of ofType(resources, T.table))
      requireTrue(t.props, ["pointInTimeRecovery", "enabled"], `${t.name}: set pointInTimeRecovery: { enabled: true }`, (m) =>
        report(m, t.urn),
      );
  },
);

export const finalSnapshot: StackValidationPolicy = dataPolicy(
  "data-final-snapshot",
  "Once data protection applies, deleting a database or the EBS data volume leaves a snapshot: Aurora/RDS `skipFinalSnapshot: false` with a `finalSnapshotIdentifier`, EBS volumes `finalSnapshot: true`.",
  (resources, _cfg, report) => {
    for (const db of clustersAndDbs(resources)) {
      const skip = peek(() => db.props.skipFinalSnapshot);
      if (skip !== false && !("skipFinalSnapshot" in db.props && skip === undefined))
        report(`${db.name}: set skipFinalSnapshot: false`, db.urn);
      else if (isSet(db.props, "finalSnapshotIdentifier") === false) report(`${db.name}: set finalSnapshotIdentifier`, db.urn);
    }
    for (const v of ofType(resources, T.volume))
      requireTrue(v.props, ["finalSnapshot"], `${v.name}: set finalSnapshot: true`, (m: string) => report(m, v.urn));
  },
);

/** Stateful types of SPEC invariant 1: the same list the promotion diff reads. */
export { STATEFUL_TYPES };

export const statefulProtect: StackValidationPolicy = dataPolicy(
  "stateful-protect-retain",
  "Once data protection applies, stateful resources (DB clusters and instances, DynamoDB tables, S3 buckets, EBS volumes, Route 53 zones, KMS keys, secrets) carry the `protect` resource option, so no `pulumi up`/`destroy` can delete them. (The engine does not show policies `retainOnDelete`; the program's tests check that option.)",
  (resources, _cfg, report) => {
    for (const r of resources.filter((x) => STATEFUL_TYPES.includes(x.type)))
      if (!r.opts.protect) report(`${r.name}: set the protect resource option`, r.urn);
  },
);

// ------------------------------------------------------------------------------------------------
// Advisory hygiene

export const detailedMonitoring: ResourceValidationPolicy = resourcePolicy(
  "ec2-detailed-monitoring",
  "Advisory: EC2 instances and launch templates turn on detailed (1-minute) monitoring, so that alarms and scaling react within a minute. Fix: `monitoring: true` / `monitoring: { enabled: true }`. Costs a little per instance.",
  [T.instance, T.launchTemplate],
  (props, args, report) => {
    const m = peek(() => props.monitoring);
    const on = args.type === T.instance ? truthy(m) : truthy(m?.enabled);
    if (!on) report("detailed monitoring is off");
  },
  "advisory",
);

export const albAccessLogs: ResourceValidationPolicy = resourcePolicy(
  "alb-access-logs",
  "Advisory: load balancers write access logs to S3 (`accessLogs: { bucket, enabled: true }`) for incident analysis.",
  [...T.lb],
  (props, _args, report) => {
    if (!truthy(peek(() => props.accessLogs?.enabled))) report("access logs are off");
  },
  "advisory",
);

export const targetGroupHealthChecks: ResourceValidationPolicy = resourcePolicy(
  "target-group-health-checks",
  "Target groups health-check their targets (`healthCheck.enabled` true, with the app's health `path` for HTTP), so the load balancer stops sending traffic to a failed instance and the ASG (ELB health checks) replaces it.",
  [...T.targetGroup],
  (props, _args, report) => {
    const hc = peek(() => props.healthCheck);
    if (!hc) return report("set healthCheck: { enabled: true, path: <the app's health path> }");
    if (peek(() => hc.enabled) === false) report("healthCheck.enabled is false");
    const protocol = peek(() => hc.protocol) ?? peek(() => props.protocol);
    if ((protocol === "HTTP" || protocol === "HTTPS") && !("path" in hc)) report("set healthCheck.path to the app's health path");
  },
);

export const securityPolicies = [
  encryptionAtRest,
  s3Encryption,
  encryptionInTransit,
  albHttpsRedirect,
  s3PublicAccess,
  dbNotPublic,
  imdsv2,
  noAdminPortsFromInternet,
  dbManagedCredentials,
  iamLeastPrivilege,
  deletionProtection,
  backups,
  finalSnapshot,
  statefulProtect,
  targetGroupHealthChecks,
  detailedMonitoring,
  albAccessLogs,
];
