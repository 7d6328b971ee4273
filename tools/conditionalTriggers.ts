/**
 * The conditional replace triggers of `data/replace-triggers.json` ("<input> (<condition>)") that
 * the promotion diff (tools/compare.ts) can evaluate offline, one rule per type and input, each
 * written from the provider source the trigger file names for it.
 */
import { deepEqual, type Json } from "./jsonDiff";

/** CPU architecture of an EC2 instance type, or undefined when the name is not recognised. */
export function instanceArchitecture(instanceType: unknown): "arm64" | "x86_64" | undefined {
  if (typeof instanceType !== "string") return undefined;
  const family = instanceType.split(".")[0];
  if (family === "a1") return "arm64";
  const m = /^([a-z]+)(\d+)([a-z0-9-]*)$/.exec(family);
  if (!m) return undefined;
  if (family.startsWith("mac")) return family === "mac1" ? "x86_64" : "arm64";
  // Graviton families carry a "g" right after the generation: t4g, m7gd, c6gn, im4gn, is4gen, g5g.
  return m[3].startsWith("g") ? "arm64" : "x86_64";
}

function versionLess(a: string, b: string): boolean {
  const pa = a.split(".").map((x) => parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0);
  }
  return false;
}

const empty = (v: unknown) => v === undefined || v === null || v === "";

/**
 * A rule returns a reason when the conditional trigger fires, `null` when it does not, and
 * `undefined` when it cannot tell offline (the change then carries a note).
 */
export type ConditionalRule = (from: Record<string, Json>, to: Record<string, Json>) => string | null | undefined;

const changedToDifferentNonEmpty =
  (key: string): ConditionalRule =>
  (f, t) =>
    !empty(t[key]) && !deepEqual(f[key], t[key]) ? `"${key}" changed to a different non-empty value` : null;

const changedToEmpty =
  (key: string): ConditionalRule =>
  (f, t) =>
    !empty(f[key]) && empty(t[key]) ? `"${key}" changed to empty` : null;

const isNetworkLb = (inputs: Record<string, Json>) => inputs.loadBalancerType === "network";
const listLength = (v: Json) => (Array.isArray(v) ? v.length : 0);

/** type → conditional input (as named in the trigger file) → rule. */
export const CONDITIONAL_RULES: Record<string, Record<string, ConditionalRule>> = {
  "aws:ec2/instance:Instance": {
    instanceType: (f, t) => {
      const a = instanceArchitecture(f.instanceType);
      const b = instanceArchitecture(t.instanceType);
      if (a === undefined || b === undefined) return undefined;
      return a !== b ? `"instanceType" ${String(f.instanceType)} (${a}) → ${String(t.instanceType)} (${b}) changes CPU architecture` : null;
    },
    userData: (_f, t) => (t.userDataReplaceOnChange === true ? `"userData" changed with userDataReplaceOnChange` : null),
    userDataBase64: (_f, t) => (t.userDataReplaceOnChange === true ? `"userDataBase64" changed with userDataReplaceOnChange` : null),
    enablePrimaryIpv6: (f, t) => (f.enablePrimaryIpv6 === true && t.enablePrimaryIpv6 !== true ? `"enablePrimaryIpv6" turned off` : null),
  },
  "aws:elasticache/replicationGroup:ReplicationGroup": {
    transitEncryptionEnabled: (f) => {
      const version = f.engineVersion;
      if (typeof version !== "string") return undefined;
      return versionLess(version, "7.0.5") ? `"transitEncryptionEnabled" changed on engine ${version} (below 7.0.5)` : null;
    },
    engine: (f, t) => {
      if (!empty(t.globalReplicationGroupId)) return null;
      const from = (f.engine as string | undefined) ?? "redis";
      return from === "redis" && t.engine === "valkey" ? null : `"engine" ${from} → ${String(t.engine)}`;
    },
    engineVersion: (f, t) => {
      if (!empty(t.globalReplicationGroupId)) return null;
      if (typeof f.engineVersion !== "string" || typeof t.engineVersion !== "string") return undefined;
      return versionLess(t.engineVersion, f.engineVersion) ? `"engineVersion" downgraded ${f.engineVersion} → ${t.engineVersion}` : null;
    },
  },
  "aws:lb/loadBalancer:LoadBalancer": {
    subnets: (f, t) => {
      if (!isNetworkLb(t)) return null;
      return listLength(t.subnets) <= listLength(f.subnets) ? `"subnets" of a network LB did not grow` : null;
    },
    securityGroups: (f, t) => {
      if (!isNetworkLb(t)) return null;
      return (listLength(f.securityGroups) === 0) !== (listLength(t.securityGroups) === 0)
        ? `"securityGroups" of a network LB added from none or all removed`
        : null;
    },
    subnetMappings: (f, t) => {
      const before = Array.isArray(f.subnetMappings) ? f.subnetMappings : [];
      const after = Array.isArray(t.subnetMappings) ? t.subnetMappings : [];
      return before.every((m) => after.some((n) => deepEqual(m, n))) ? null : `an existing "subnetMappings" entry changed or went away`;
    },
    secondaryIpsAutoAssignedPerSubnet: (f, t) => {
      if (!isNetworkLb(t)) return null;
      const [a, b] = [Number(f.secondaryIpsAutoAssignedPerSubnet ?? 0), Number(t.secondaryIpsAutoAssignedPerSubnet ?? 0)];
      return b < a ? `"secondaryIpsAutoAssignedPerSubnet" of a network LB decreased` : null;
    },
  },
  "aws:rds/cluster:Cluster": {
    storageType: (_f, t) => (String(t.engine ?? "").startsWith("aurora") ? null : `"storageType" changed on non-Aurora engine`),
  },
  "aws:dynamodb/table:Table": {
    restoreSourceName: changedToDifferentNonEmpty("restoreSourceName"),
    restoreSourceTableArn: changedToDifferentNonEmpty("restoreSourceTableArn"),
    restoreBackupArn: changedToDifferentNonEmpty("restoreBackupArn"),
  },
  "aws:amplify/app:App": {
    description: changedToEmpty("description"),
    iamServiceRoleArn: changedToEmpty("iamServiceRoleArn"),
  },
  "aws:lambda/function:Function": {
    durableConfig: (f, t) => (empty(f.durableConfig) !== empty(t.durableConfig) ? `"durableConfig" block added or removed` : null),
  },
};

/** Which source attribute a security group rule uses (the provider's `sourceAttributeName`). */
const ruleSource = (inputs: Record<string, Json>): string | undefined =>
  ["cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId"].find((k) => !empty(inputs[k]));

const ruleSourceKindChanged: ConditionalRule = (f, t) => {
  const [a, b] = [ruleSource(f), ruleSource(t)];
  return a !== b ? `the rule's source changes kind (${a ?? "none"} → ${b ?? "none"})` : null;
};

const notImported =
  (key: string): ConditionalRule =>
  (_f, t) =>
    empty(t.certificateBody) ? `"${key}" changed on a certificate ACM issues (not imported)` : null;

const changedFromStored =
  (key: string): ConditionalRule =>
  (f) =>
    !empty(f[key]) ? `"${key}" changed and a value is stored` : null;

// The conditional triggers of the types read from v6.58.0 (see their functionsRead in the trigger file).
Object.assign(CONDITIONAL_RULES, {
  "aws:ec2/vpc:Vpc": {
    instanceTenancy: (f: Record<string, Json>, t: Record<string, Json>) =>
      f.instanceTenancy === "dedicated" && (t.instanceTenancy ?? "default") === "default" ? null : `"instanceTenancy" changed`,
  },
  "aws:ssm/parameter:Parameter": {
    tier: (f: Record<string, Json>, t: Record<string, Json>) =>
      f.tier === "Advanced" && (t.tier ?? "Standard") === "Standard" ? `"tier" Advanced → Standard` : null,
  },
  "aws:acm/certificate:Certificate": {
    domainName: notImported("domainName"),
    subjectAlternativeNames: notImported("subjectAlternativeNames"),
  },
  "aws:secretsmanager/secretVersion:SecretVersion": {
    secretString: changedFromStored("secretString"),
    secretStringWo: changedFromStored("secretStringWo"),
  },
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": Object.fromEntries(
    ["cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId"].map((k) => [k, ruleSourceKindChanged]),
  ),
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": Object.fromEntries(
    ["cidrIpv4", "cidrIpv6", "prefixListId", "referencedSecurityGroupId"].map((k) => [k, ruleSourceKindChanged]),
  ),
  "random:index/randomPassword:RandomPassword": {
    keepers: (_f: Record<string, Json>, t: Record<string, Json>) => (empty(t.keepers) ? null : `"keepers" changed to new values`),
    overrideSpecial: (f: Record<string, Json>, t: Record<string, Json>) =>
      f.overrideSpecial === "" && t.overrideSpecial === undefined ? null : `"overrideSpecial" changed`,
  },
} satisfies Record<string, Record<string, ConditionalRule>>);

/** `"instanceType (when …)"` → `instanceType`. */
export const conditionalPath = (entry: string): string => entry.split(" ")[0];
