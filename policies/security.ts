/**
 * Security baseline (SPEC invariant 3) and data protection (invariant 2), plus advisory hygiene.
 * Resource policies look at one resource's inputs; rules that need the stage, the production flag
 * or another resource (a bucket's public access block) are stack policies.
 */
import { STATEFUL_TYPES } from "../components/stateful";
import { type AppliesTo, declareTypes } from "./appliesTo";
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import {
  asArray,
  attempt,
  type Read,
  attribute,
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
  Unknowns,
} from "./support";

type PropsCheck = (props: Record<string, any>, args: ResourceValidationArgs, report: ReportViolation, unknowns: Unknowns) => void;

/*
 * Unknown values (issue 9). Resource policies get the resource's inputs (step_generator.go
 * `analyzeAll`): an argument the program leaves unset is absent, one it takes from a resource not
 * yet created is unknown in a first preview, and the SDK's proxy throws on reading it. A check
 * notes each unknown that could decide its verdict (`Unknowns`), judges everything else, and the
 * wrapper then rethrows the first: the engine reports "can't run policy ... during preview"
 * (advisory) beside the violations already reported (@pulumi/policy server.js
 * `makeAnalyzeRpcFun` keeps them). Stack policies get the provider's planned state, where an unset
 * Optional+Computed attribute is unknown too: `attribute` tells that apart by propertyDependencies.
 * Schemas: terraform-provider-aws v6.58.0 (lonegunmanb/terraform-provider-aws-index commit
 * 2f6e22c42759, `index/internal/service/<service>/func.<resource>.goindex`, read 2026-11-30), the
 * newest release readable here; @pulumi/aws 7.48.0 bridges about v6.65, so each attribute used was
 * also checked in node_modules/@pulumi/aws's `.d.ts`.
 */

/** A resource policy that applies to some types only (others are reported not applicable, as the SDK does). */
function resourcePolicy(
  name: string,
  description: string,
  types: readonly string[],
  check: PropsCheck,
  enforcementLevel: "mandatory" | "advisory" = "mandatory",
  configSchema?: ResourceValidationPolicy["configSchema"],
): ResourceValidationPolicy {
  // Built once per policy (most resources a policy sees are not of its types), and declared on
  // the function from the same object it reads, for the offline runner (appliesTo.ts).
  const declared: AppliesTo = { types, reason: `applies to ${types.join(", ")}` };
  const validateResource: ResourceValidation = (args, report) => {
    if (!declared.types.includes(args.type)) return args.notApplicable(declared.reason);
    const unknowns = new Unknowns();
    check(args.props, args, report, unknowns);
    unknowns.settle();
  };
  return { name, description, enforcementLevel, configSchema, validateResource: declareTypes(validateResource, declared) };
}

// ------------------------------------------------------------------------------------------------
// Encryption at rest

export const encryptionAtRest: ResourceValidationPolicy = resourcePolicy(
  "encryption-at-rest",
  "Data is encrypted at rest: Aurora and RDS `storageEncrypted: true`, DynamoDB `serverSideEncryption.enabled: true` (KMS), ElastiCache `atRestEncryptionEnabled: true`, EBS volumes `encrypted: true`, and instance/launch-template root and data volumes `encrypted`. Fix: set the flag; for ElastiCache and Aurora it forces a replacement, so create the resource encrypted from the start.",
  [T.cluster, T.dbInstance, T.table, T.cache, T.volume, T.instance, T.launchTemplate],
  (props, args, report, unknowns) => {
    switch (args.type) {
      case T.cluster:
      case T.dbInstance:
        return requireTrue(props, ["storageEncrypted"], "set storageEncrypted: true", report, unknowns);
      case T.table:
        return requireTrue(
          props,
          ["serverSideEncryption", "enabled"],
          "set serverSideEncryption: { enabled: true } (KMS)",
          report,
          unknowns,
        );
      case T.cache:
        return requireTrue(props, ["atRestEncryptionEnabled"], "set atRestEncryptionEnabled: true", report, unknowns);
      case T.volume:
        return requireTrue(props, ["encrypted"], "set encrypted: true", report, unknowns);
      case T.instance: {
        // ec2 resourceInstanceSchema: root_block_device and ebs_block_device Optional+Computed, their
        // `encrypted` Optional+Computed (AWS applies the account's default or the snapshot's). Left
        // unset, the volume's encryption is not the program's to know: flagged. Unknown: noted.
        const root = attempt(() => props.rootBlockDevice);
        if (!root.known) unknowns.note(root.error);
        else if (root.value === undefined || root.value === null) report("set rootBlockDevice with encrypted: true");
        else requireTrue(root.value, ["encrypted"], "set rootBlockDevice.encrypted: true", report, unknowns);
        const devices = unknowns.read(() => asArray(props.ebsBlockDevices)) ?? [];
        for (let i = 0; i < devices.length; i++) {
          const d = unknowns.read(() => devices[i] as Record<string, any>);
          if (d !== undefined) requireTrue(d, ["encrypted"], `set ebsBlockDevices[${i}].encrypted: true`, report, unknowns);
        }
        return;
      }
      case T.launchTemplate: {
        // ec2 resourceLaunchTemplate: block_device_mappings Optional (not Computed), ebs.encrypted a
        // nullable bool ("true"/"false"). Unset: no encrypted root volume is asked for.
        const mappings = unknowns.read(() => asArray(props.blockDeviceMappings));
        if (mappings === undefined) return;
        if (mappings.length === 0) report('set blockDeviceMappings with ebs.encrypted: "true" for the root volume');
        for (let i = 0; i < mappings.length; i++) {
          const ebs = attempt(() => (mappings[i] as any)?.ebs ?? {});
          if (!ebs.known) unknowns.note(ebs.error);
          else
            requireTrue(
              ebs.value as Record<string, any>,
              ["encrypted"],
              `set blockDeviceMappings[${i}].ebs.encrypted: "true"`,
              report,
              unknowns,
            );
        }
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
  (props, args, report, unknowns) => {
    if (args.type === T.cache)
      return requireTrue(props, ["transitEncryptionEnabled"], "set transitEncryptionEnabled: true", report, unknowns);
    // cloudfront resourceDistribution: viewer_protocol_policy Required in default_cache_behavior and
    // in each ordered_cache_behavior, so it is never unset; unknown (taken from a resource not yet
    // created), it is noted.
    const ordered = unknowns.read(() => asArray(props.orderedCacheBehaviors)) ?? [];
    const behaviours = [unknowns.read(() => props.defaultCacheBehavior), ...ordered.map((_, i) => unknowns.read(() => ordered[i]))];
    for (const b of behaviours) {
      if (!b) continue;
      const policy = unknowns.read(() => (b as any).viewerProtocolPolicy);
      if (policy === "allow-all")
        report(`cache behaviour ${peek(() => (b as any).pathPattern) ?? "default"} allows HTTP: use redirect-to-https or https-only`);
    }
  },
);

/**
 * A listener's protocol (upper case), or undefined when it is unknown (noted). elbv2
 * resourceListener: protocol Optional+Computed; left unset, resourceListenerCreate asks an
 * Application Load Balancer for HTTPS when certificate_arn is set and HTTP otherwise. So an unset
 * protocol (absent, or planned unknown with no property dependency) is judged from the
 * certificate (one taken from a resource not yet created is still a certificate); a protocol taken
 * from a resource not yet created can't be judged.
 */
function listenerProtocol(l: PolicyResource, unknowns: Unknowns): string | undefined {
  const protocol = attribute(l, "protocol");
  if (protocol.state === "set") return String(protocol.value).toUpperCase();
  if (protocol.state === "unknown") return void unknowns.note(protocol.error);
  const certificate = attribute(l, "certificateArn");
  // A certificate ARN taken from a resource not yet created is an ARN, never empty: HTTPS.
  if (certificate.state === "unknown" && (l.propertyDependencies?.certificateArn ?? []).length > 0) return "HTTPS";
  if (certificate.state === "unknown") return void unknowns.note(certificate.error);
  return certificate.state === "set" ? "HTTPS" : "HTTP";
}

export const albHttpsRedirect: StackValidationPolicy = {
  name: "alb-https-redirect",
  description:
    'A load balancer with an HTTPS listener (a certificate) answers plain HTTP only with a redirect to HTTPS. A listener without `protocol` is HTTP unless it has a certificate (as AWS creates it), and a redirect without `protocol` keeps the request\'s HTTP, so it must say "HTTPS". Fix: make the HTTP listener\'s default action `{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }`.',
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const unknowns = new Unknowns();
    const listeners = ofType(args.resources, T.listener);
    for (const lb of ofType(args.resources, T.lb)) {
      const own = listeners.filter((l) => l.dependencies.some((d) => d.urn === lb.urn));
      const protocols = new Map(own.map((l) => [l.urn, listenerProtocol(l, unknowns)]));
      const https = own.some((l) => protocols.get(l.urn) === "HTTPS" || attribute(l, "certificateArn").state !== "unset");
      if (!https) continue;
      for (const l of own.filter((x) => protocols.get(x.urn) === "HTTP")) {
        // redirect.protocol Optional, Default "#{protocol}" (the request's own: HTTP): only an
        // explicit "HTTPS" redirects to HTTPS.
        const actions = unknowns.read(() =>
          asArray(l.props.defaultActions).map((a: any) => ({ type: a?.type, protocol: a?.redirect?.protocol })),
        );
        if (actions === undefined) continue;
        const redirects = actions.some((a) => a.type === "redirect" && String(a.protocol).toUpperCase() === "HTTPS");
        if (!redirects) report(`${l.name} serves HTTP while ${lb.name} has an HTTPS listener: redirect it to HTTPS`, l.urn);
      }
    }
    unknowns.settle();
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
    const unknowns = new Unknowns();
    const blocks = ofType(args.resources, T.bucketPab);
    for (const block of blocks) {
      // s3 resourceBucketPublicAccessBlock: each flag Optional, Default false (not Computed), so a
      // first preview plans an unset flag false; an unknown one the program took from a resource
      // not yet created: noted, never passed.
      const off = PAB_FLAGS.filter((f) => {
        if (!(f in block.props)) return true;
        const flag = attempt(() => block.props[f]);
        if (!flag.known) unknowns.note(flag.error);
        return flag.known && !truthy(flag.value);
      });
      if (off.length > 0) report(`${block.name}: set ${off.join(", ")} to true`, block.urn);
    }
    for (const bucket of ofType(args.resources, T.bucket)) {
      if (!blocks.some((b) => b.dependencies.some((d) => d.urn === bucket.urn)))
        report(`${bucket.name} has no public access block`, bucket.urn);
    }
    unknowns.settle();
  },
};

export const dbNotPublic: ResourceValidationPolicy = resourcePolicy(
  "db-not-publicly-accessible",
  "Database instances are never publicly accessible: set `publiclyAccessible: false` and keep them in private data subnets, reachable only from the app's security group.",
  [T.clusterInstance, T.dbInstance],
  (props, _args, report, unknowns) => {
    // rds resourceInstance: publicly_accessible Optional, Default false. resourceClusterInstance:
    // Optional+Computed, but resourceClusterInstanceCreate always sends d.Get's bool, false when
    // unset, so AWS's own default (public in a VPC with an internet gateway) never applies: unset
    // is private. Unknown (taken from a resource not yet created): noted.
    const open = attempt(() => props.publiclyAccessible);
    if (!open.known) unknowns.note(open.error);
    else if (truthy(open.value)) report("set publiclyAccessible: false");
  },
);

export const imdsv2: ResourceValidationPolicy = resourcePolicy(
  "imdsv2-required",
  'EC2 instances and launch templates require IMDSv2 session tokens: `metadataOptions: { httpTokens: "required" }`. IMDSv1 lets an SSRF bug read the instance role\'s credentials.',
  [T.instance, T.launchTemplate],
  (props, _args, report, unknowns) => {
    // ec2 resourceInstanceSchema and resourceLaunchTemplate: metadata_options and its http_tokens
    // Optional+Computed (AWS's default is "optional" unless the AMI or account says otherwise):
    // unset is flagged; unknown is noted.
    const options = attempt(() => props.metadataOptions);
    if (!options.known) return unknowns.note(options.error);
    const tokens = attempt(() => options.value?.httpTokens);
    if (!tokens.known) return unknowns.note(tokens.error);
    if (tokens.value !== "required")
      report(`metadataOptions.httpTokens is ${JSON.stringify(tokens.value ?? "optional (default)")}; set "required"`);
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

const allProtocols = (protocol: unknown) => protocol === "-1" || protocol === -1 || protocol === "all";
/** TCP, or no protocol given (as before: the rule's ports decide). */
const tcp = (protocol: unknown) => protocol === undefined || ["tcp", "6", 6].includes(protocol as string);

/** The sensitive ports a rule opens: all of them for protocol "-1"/"all", else those in [from, to]. */
function portsOpened(protocol: unknown, from: unknown, to: unknown, ports: number[]): number[] {
  if (allProtocols(protocol)) return ports;
  if (!tcp(protocol)) return [];
  const lo = typeof from === "number" ? from : 0;
  const hi = typeof to === "number" ? to : 65535;
  return ports.filter((p) => p >= lo && p <= hi);
}

/** The same from reads that may be unknown: known as soon as the known parts decide it (all ports, or no TCP). */
function portsHit(protocol: Read<unknown>, from: Read<unknown>, to: Read<unknown>, ports: number[]): Read<number[]> {
  if (!protocol.known) return protocol;
  if (allProtocols(protocol.value)) return { known: true, value: ports };
  if (!tcp(protocol.value)) return { known: true, value: [] };
  if (!from.known) return from;
  if (!to.known) return to;
  return { known: true, value: portsOpened(protocol.value, from.value, to.value, ports) };
}

/** The CIDRs of several attributes (strings or lists): the known ones, and the first unknown. */
function cidrsOf(reads: (() => unknown)[]): { known: unknown[]; unknown?: Error } {
  const known: unknown[] = [];
  let unknown: Error | undefined;
  for (const read of reads) {
    const r = attempt(read);
    if (!r.known) unknown ??= r.error;
    else if (!Array.isArray(r.value)) known.push(r.value);
    else
      for (let i = 0; i < r.value.length; i++) {
        const cidr = attempt(() => (r.value as unknown[])[i]);
        if (cidr.known) known.push(cidr.value);
        else unknown ??= cidr.error;
      }
  }
  return { known, unknown };
}

export const noAdminPortsFromInternet: ResourceValidationPolicy = resourcePolicy(
  "no-admin-ports-from-internet",
  "No security group rule opens SSH or a database/cache port (22, 3389, 3306, 5432, 6379 by default) to 0.0.0.0/0 or ::/0. Fix: use SSM Session Manager instead of SSH, and admit database traffic only from the app's security group (referencedSecurityGroupId).",
  [
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
  ],
  (props, args, report, unknowns) => {
    const { ports } = configOf<{ ports: number[] }>(args, sensitivePortsSchema);
    // Judged from what is known: a rule that opens no sensitive port, or whose CIDRs are all known
    // and none is open, passes whatever else is unknown; otherwise an unknown is noted. (ec2
    // resourceSecurityGroupRule: type Required, cidr_blocks/ipv6_cidr_blocks Optional;
    // vpc_security_group_ingress_rule: cidr_ipv4/cidr_ipv6 Optional; resourceSecurityGroup: ingress
    // Optional+Computed. Unset, each is absent from the inputs: no CIDR.)
    const flag = (
      cidrs: ReturnType<typeof cidrsOf>,
      hit: Read<number[]>,
      where: string,
      ingress: Read<unknown> = { known: true, value: "ingress" },
    ) => {
      const open = cidrs.known.filter((c) => OPEN_CIDRS.includes(c as string));
      if (hit.known && hit.value.length === 0) return;
      if (!cidrs.unknown && open.length === 0) return;
      if (!ingress.known) return unknowns.note(ingress.error);
      if (hit.known && open.length > 0) return report(`${where} opens port(s) ${hit.value.join(", ")} to ${open.join(", ")}`);
      unknowns.note(hit.known ? cidrs.unknown! : hit.error);
    };
    const rule = (r: Record<string, any>, protocol: string) =>
      portsHit(
        attempt(() => r[protocol]),
        attempt(() => r.fromPort),
        attempt(() => r.toPort),
        ports,
      );
    if (args.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") {
      flag(cidrsOf([() => props.cidrIpv4, () => props.cidrIpv6]), rule(props, "ipProtocol"), "the rule");
    } else if (args.type === "aws:ec2/securityGroupRule:SecurityGroupRule") {
      const type = attempt(() => props.type);
      if (type.known && type.value !== "ingress") return;
      flag(cidrsOf([() => props.cidrBlocks, () => props.ipv6CidrBlocks]), rule(props, "protocol"), "the rule", type);
    } else {
      const ingress = unknowns.read(() => asArray(props.ingress)) ?? [];
      for (let i = 0; i < ingress.length; i++) {
        const r = unknowns.read(() => ingress[i] as Record<string, any>);
        if (r === undefined) continue;
        flag(cidrsOf([() => r.cidrBlocks, () => r.ipv6CidrBlocks]), rule(r, "protocol"), `ingress[${i}]`);
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
    const unknowns = new Unknowns();
    for (const db of ofType(args.resources, [T.cluster, T.dbInstance])) {
      // Unset reads as "", null or absent (tools/mocks.ts); an unknown value is a value the program set.
      if (isSet(db.props, "masterPassword") !== false) {
        report(`${db.name} sets masterPassword, which Pulumi stores in state: use manageMasterUserPassword or masterPasswordWo`, db.urn);
        continue;
      }
      if (db.type === T.dbInstance && isSet(db.props, "replicateSourceDb") !== false) continue;
      const inGlobal =
        isSet(db.props, "globalClusterIdentifier") !== false || globals.some((g) => g.dependencies.some((d) => d.urn === db.urn));
      // Unset it is planned null (Optional, not Computed); unknown, the program took it from a
      // resource not yet created, and the rule can't tell managed from not: said, not guessed.
      const managedRead = attempt(() => db.props.manageMasterUserPassword);
      if (!managedRead.known) {
        unknowns.note(managedRead.error);
        continue;
      }
      const managed = truthy(managedRead.value);
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
    unknowns.settle();
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
  (props, args, report, unknowns) => {
    // iam resourceRolePolicyAttachment: policy_arn Required; resourceRole: managed_policy_arns
    // Optional+Computed (absent from the inputs when unset). An ARN of a policy not yet created is
    // unknown: noted, so the preview says it can't judge it.
    if (args.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment") {
      const arn = unknowns.read(() => props.policyArn);
      if (typeof arn === "string" && BROAD_MANAGED.test(arn)) report(`attaches the broad managed policy ${arn}`);
      return;
    }
    if (args.type === "aws:iam/role:Role") {
      const managed = unknowns.read(() => asArray(props.managedPolicyArns)) ?? [];
      for (let i = 0; i < managed.length; i++) {
        const arn = unknowns.read(() => managed[i]);
        if (arn !== undefined && BROAD_MANAGED.test(String(arn))) report(`attaches the broad managed policy ${arn}`);
      }
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

type DataCheck = (resources: PolicyResource[], cfg: DataProtectionConfig, report: ReportViolation, unknowns: Unknowns) => void;

function dataPolicy(name: string, description: string, check: DataCheck): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    configSchema: dataProtectionConfigSchema,
    validateStack: (args, report) => {
      const s = stackStage(args, dataProtectionConfigSchema);
      if (!s.definition.minimums.dataProtection && !s.production) return;
      // What a first preview can't judge is noted, the rest judged, then the engine told (advisory).
      const unknowns = new Unknowns();
      check(args.resources, configOf<DataProtectionConfig>(args, dataProtectionConfigSchema), report, unknowns);
      unknowns.settle();
    },
  };
}

/** Aurora clusters that are secondaries of a global database take their backups from the primary. */
const clustersAndDbs = (resources: PolicyResource[]) => ofType(resources, [T.cluster, T.dbInstance]);

export const deletionProtection: StackValidationPolicy = dataPolicy(
  "data-deletion-protection",
  "Once data protection applies (stage minimums.dataProtection, or `production`), Aurora/RDS databases set `deletionProtection: true` and DynamoDB tables `deletionProtectionEnabled: true`.",
  (resources, _cfg, report, unknowns) => {
    for (const db of clustersAndDbs(resources))
      requireTrue(db.props, ["deletionProtection"], `${db.name}: set deletionProtection: true`, (m: string) => report(m, db.urn), unknowns);
    for (const t of ofType(resources, T.table))
      requireTrue(
        t.props,
        ["deletionProtectionEnabled"],
        `${t.name}: set deletionProtectionEnabled: true`,
        (m: string) => report(m, t.urn),
        unknowns,
      );
  },
);

export const backups: StackValidationPolicy = dataPolicy(
  "data-backups",
  "Once data protection applies, Aurora/RDS keep automated backups for at least `minBackupRetentionDays` (default 7, from the stage table) and DynamoDB tables have point-in-time recovery. Fix: set backupRetentionPeriod and pointInTimeRecovery: { enabled: true }.",
  (resources, cfg, report, unknowns) => {
    for (const db of clustersAndDbs(resources)) {
      // rds resourceCluster and resourceInstance: backup_retention_period Optional+Computed. Unset,
      // a first preview plans it unknown with no property dependency and AWS keeps 1 day (its
      // default): judged as unset. Taken from a resource not yet created: noted.
      const days = attribute(db, "backupRetentionPeriod");
      if (days.state === "unknown") {
        unknowns.note(days.error);
        continue;
      }
      const value = days.state === "set" ? days.value : undefined;
      if (typeof value !== "number" || value < cfg.minBackupRetentionDays)
        report(`${db.name} keeps backups ${value ?? 1} day(s); set backupRetentionPeriod ≥ ${cfg.minBackupRetentionDays}`, db.urn);
    }
    for (const t of ofType(resources, T.table)) {
      // dynamodb resourceTable: point_in_time_recovery Optional+Computed. Unset, a first preview
      // plans the block unknown with no property dependency (AWS reports it off): judged as unset.
      const pitr = attribute(t, "pointInTimeRecovery");
      if (pitr.state === "unknown") {
        unknowns.note(pitr.error);
        continue;
      }
      requireTrue(
        pitr.state === "set" ? { pointInTimeRecovery: pitr.value } : {},
        ["pointInTimeRecovery", "enabled"],
        `${t.name}: set pointInTimeRecovery: { enabled: true }`,
        (m) => report(m, t.urn),
        unknowns,
      );
    }
  },
);

export const finalSnapshot: StackValidationPolicy = dataPolicy(
  "data-final-snapshot",
  "Once data protection applies, deleting a database or the EBS data volume leaves a snapshot: Aurora/RDS `skipFinalSnapshot: false` with a `finalSnapshotIdentifier`, EBS volumes `finalSnapshot: true`.",
  (resources, _cfg, report, unknowns) => {
    for (const db of clustersAndDbs(resources)) {
      // rds resourceCluster and resourceInstance: skip_final_snapshot Optional, Default false (a
      // first preview plans an unset one false, as unset means here); final_snapshot_identifier
      // Optional, not Computed (null when unset). Either unknown was taken from a resource not yet
      // created: noted, never passed.
      const skip = attempt(() => db.props.skipFinalSnapshot);
      if (!skip.known) {
        unknowns.note(skip.error);
        continue;
      }
      if (skip.value !== undefined && skip.value !== null && skip.value !== false) {
        report(`${db.name}: set skipFinalSnapshot: false`, db.urn);
        continue;
      }
      const id = attempt(() => db.props.finalSnapshotIdentifier);
      if (!id.known) unknowns.note(id.error);
      else if (id.value === undefined || id.value === null || id.value === "") report(`${db.name}: set finalSnapshotIdentifier`, db.urn);
    }
    for (const v of ofType(resources, T.volume))
      requireTrue(v.props, ["finalSnapshot"], `${v.name}: set finalSnapshot: true`, (m: string) => report(m, v.urn), unknowns);
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
  (props, args, report, unknowns) => {
    // An unknown setting is said (advisory "can't run"), not reported as off.
    const m = attempt(() => (args.type === T.instance ? props.monitoring : props.monitoring?.enabled));
    if (!m.known) return unknowns.note(m.error);
    if (!truthy(m.value)) report("detailed monitoring is off");
  },
  "advisory",
);

export const albAccessLogs: ResourceValidationPolicy = resourcePolicy(
  "alb-access-logs",
  "Advisory: load balancers write access logs to S3 (`accessLogs: { bucket, enabled: true }`) for incident analysis.",
  [...T.lb],
  (props, _args, report, unknowns) => {
    const enabled = attempt(() => props.accessLogs?.enabled);
    if (!enabled.known) return unknowns.note(enabled.error);
    if (!truthy(enabled.value)) report("access logs are off");
  },
  "advisory",
);

export const targetGroupHealthChecks: ResourceValidationPolicy = resourcePolicy(
  "target-group-health-checks",
  "Target groups health-check their targets (`healthCheck.enabled` true, with the app's health `path` for HTTP), so the load balancer stops sending traffic to a failed instance and the ASG (ELB health checks) replaces it.",
  [...T.targetGroup],
  (props, _args, report, unknowns) => {
    // elbv2 resourceTargetGroup: health_check Optional+Computed, its `enabled` Optional, Default
    // true. The block unset is flagged (the app's path is needed); an unknown part is noted.
    const block = attempt(() => props.healthCheck);
    if (!block.known) return unknowns.note(block.error);
    const hc = block.value;
    if (!hc) return report("set healthCheck: { enabled: true, path: <the app's health path> }");
    if (unknowns.read(() => hc.enabled) === false) report("healthCheck.enabled is false");
    if ("path" in hc) return;
    const own = attempt(() => hc.protocol);
    const protocol = own.known && own.value === undefined ? attempt(() => props.protocol) : own;
    if (!protocol.known) unknowns.note(protocol.error);
    else if (protocol.value === "HTTP" || protocol.value === "HTTPS") report("set healthCheck.path to the app's health path");
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
