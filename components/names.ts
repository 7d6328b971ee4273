/**
 * Every AWS name the program derives from the Pulumi project or stack name, built in one place
 * and checked against AWS's naming rules (`data/aws-name-rules.json`, dated and sourced) before
 * any resource is registered. Pure: no Pulumi resources, no AWS calls.
 *
 * A project or stack name can be anything Pulumi accepts (`aws-shop`, `SSM`, `1st`, `prod.eu`);
 * AWS accepts far less. A name that breaks a rule is a ConfigError (exit 2) naming the derived
 * name, the rule and its source, never a failed `pulumi up` halfway through.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ConfigProblem } from "./config";

export interface NameRule {
  what: string;
  source: string;
  pattern: string;
  patternText: string;
  minLength?: number;
  maxLength?: number;
  /** Set for SSM: the ARN before the name counts towards `maxLength`. `{region}` and `{account}` are filled in. */
  maxLengthCountsArnPrefix?: string;
  maxLevels?: number;
  reservedPrefixes?: string[];
  reservedPrefixesCaseInsensitive?: boolean;
  reservedPrefixesIgnoreLeadingSlash?: boolean;
  noConsecutiveHyphens?: boolean;
  noTrailingHyphen?: boolean;
}

export const NAME_RULES_FILE = path.resolve(__dirname, "..", "data", "aws-name-rules.json");
const data = JSON.parse(fs.readFileSync(NAME_RULES_FILE, "utf8")) as { read: string; rules: Record<string, NameRule> };

export type NameRuleId =
  | "ssmParameterName"
  | "kmsAliasName"
  | "rdsFinalSnapshotIdentifier"
  | "rdsGlobalClusterIdentifier"
  | "elasticacheUserId"
  | "cloudwatchDashboardName"
  | "elbTargetGroupName";

export function nameRule(id: NameRuleId): NameRule {
  const rule = data.rules[id];
  if (!rule) throw new Error(`${NAME_RULES_FILE} has no rule ${id}`);
  return rule;
}

/** A 12-digit account id: only its length matters for the SSM length budget. */
const ACCOUNT_ID_LENGTH = 12;

/** Why AWS would reject `name` under a rule (empty when it is valid). `region` sizes the SSM ARN budget. */
export function nameViolations(id: NameRuleId, name: string, region?: string): string[] {
  const rule = nameRule(id);
  const problems: string[] = [];
  if (!new RegExp(rule.pattern).test(name)) problems.push(`must be ${rule.patternText}`);
  if (rule.minLength !== undefined && name.length < rule.minLength) problems.push(`must have at least ${rule.minLength} characters`);
  if (rule.maxLength !== undefined) {
    const arnPrefix = rule.maxLengthCountsArnPrefix
      ?.replace("{region}", region ?? "ap-southeast-2")
      .replace("{account}", "0".repeat(ACCOUNT_ID_LENGTH));
    const counted = (arnPrefix ?? "") + name;
    if (counted.length > rule.maxLength) {
      problems.push(
        arnPrefix
          ? `is too long: ${counted.length} characters with its ARN prefix ${arnPrefix}, at most ${rule.maxLength}`
          : `is too long: ${name.length} characters, at most ${rule.maxLength}`,
      );
    }
  }
  if (rule.maxLevels !== undefined) {
    const levels = name.split("/").filter((s) => s.length > 0).length;
    if (levels > rule.maxLevels) problems.push(`has ${levels} hierarchy levels, at most ${rule.maxLevels}`);
  }
  for (const reserved of rule.reservedPrefixes ?? []) {
    let subject = rule.reservedPrefixesIgnoreLeadingSlash ? name.replace(/^\/+/, "") : name;
    let prefix = reserved;
    if (rule.reservedPrefixesCaseInsensitive) [subject, prefix] = [subject.toLowerCase(), prefix.toLowerCase()];
    if (subject.startsWith(prefix)) problems.push(`must not begin with "${reserved}" (reserved by AWS)`);
  }
  if (rule.noConsecutiveHyphens && name.includes("--")) problems.push("must not contain two consecutive hyphens");
  if (rule.noTrailingHyphen && name.endsWith("-")) problems.push("must not end with a hyphen");
  return problems;
}

interface StackIdentity {
  project: string;
  stack: string;
}

/** `<project>-<stack>` as an AWS identifier: unique per stack for names that are account-wide. */
export const stackId = ({ project, stack }: StackIdentity) =>
  `${project}-${stack}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-");

/**
 * The root of the stack's SSM parameters. Fixed, so that no project name can make the path
 * reserved (`aws…`, `ssm…`): the project's own name was the root until it was `aws-scaling-journey`.
 */
export const PARAMETER_ROOT = "pulumi";

/** The SSM path under which a stack's runtime parameters live, in every region. */
export const parameterPath = ({ project, stack }: StackIdentity) => `/${PARAMETER_ROOT}/${project}/${stack}`;

/** The stack's SSM parameter names, relative to `parameterPath`. */
export const PARAMETER_NAMES = { stage: "stage", appConfig: "app/config", shardMap: "app/shard-map" } as const;

/** The app's config path, the prefix its instance role may read. */
export const appParameterPath = (id: StackIdentity) => `${parameterPath(id)}/app`;

export const kmsDataKeyAlias = (id: string, prefix: string) => `alias/${id}/${prefix}-data`;

/** `clusterResourceName` is the cluster's logical name, `<region>-<cluster>`. */
export const finalSnapshotIdentifier = (id: string, clusterResourceName: string) => `${id}-${clusterResourceName}-final`;

export const globalClusterIdentifier = (id: string, cluster: string) => `${id}-${cluster}`;

/** ElastiCache user and user-group ids start with this (at most 30 characters). */
export const cacheIdentifierPrefix = (id: string) => id.slice(0, 30).replace(/-+$/, "");
export const cacheIds = (prefix: string) => ({
  defaultUser: `${prefix}-default`,
  appUser: `${prefix}-app`,
  userGroup: `${prefix}-users`,
});

/**
 * Dashboards are account-wide, so the name carries project, stack and region. Characters AWS
 * refuses (a `.` in a stack name) become `-`; a valid name is kept as it is.
 */
export const dashboardName = ({ project, stack }: StackIdentity, region: string) =>
  `${project}-${stack}-${region}-slo`.replace(/[^A-Za-z0-9_-]/g, "-");

/**
 * Target group names are at most 32 characters and unique per region and account, so a service's
 * is its name cut to 14 plus a hash of stack, region and service: `orders-1a2b3c4d5e6f7a8b`.
 * Fixed for life, since the name forces a replacement.
 */
export function targetGroupName(id: string, region: string, service: string): string {
  const hash = createHash("sha256").update(`${id}/${region}/${service}`).digest("hex").slice(0, 16);
  return `${service.slice(0, 14).replace(/-+$/, "")}-${hash}`;
}

export interface DerivedName {
  rule: NameRuleId;
  name: string;
  /** Where the named resource lives (sizes the SSM ARN budget). */
  region?: string;
}

/** What the name checks need to know of a stage plan (a subset of PlatformPlan). */
export interface NamedPlan extends StackIdentity {
  homeRegion: string;
  activeRegions: string[];
  protectData: boolean;
  caps: { network: boolean; aurora: boolean; federation: boolean; multiRegion: boolean; cache: boolean; dashboard: boolean };
  database: { clusters: { name: string }[] };
  services: { name: string }[];
}

/** Every name this plan would give AWS that is derived from the project or stack name. */
export function derivedNames(plan: NamedPlan): DerivedName[] {
  const id = stackId(plan);
  const names: DerivedName[] = [
    { rule: "ssmParameterName", name: `${parameterPath(plan)}/${PARAMETER_NAMES.stage}`, region: plan.homeRegion },
  ];
  if (!plan.caps.network) return names;
  for (const region of plan.activeRegions) {
    names.push({ rule: "ssmParameterName", name: `${parameterPath(plan)}/${PARAMETER_NAMES.appConfig}`, region });
    if (plan.caps.federation) names.push({ rule: "ssmParameterName", name: `${parameterPath(plan)}/${PARAMETER_NAMES.shardMap}`, region });
    if (plan.caps.aurora) {
      names.push({ rule: "kmsAliasName", name: kmsDataKeyAlias(id, region), region });
      if (plan.protectData) {
        for (const c of plan.database.clusters) {
          names.push({ rule: "rdsFinalSnapshotIdentifier", name: finalSnapshotIdentifier(id, `${region}-${c.name}`), region });
        }
      }
    }
    if (plan.caps.cache) {
      for (const name of Object.values(cacheIds(cacheIdentifierPrefix(id)))) names.push({ rule: "elasticacheUserId", name, region });
    }
    for (const s of plan.services) names.push({ rule: "elbTargetGroupName", name: targetGroupName(id, region, s.name), region });
    if (plan.caps.dashboard) names.push({ rule: "cloudwatchDashboardName", name: dashboardName(plan, region), region });
  }
  if (plan.caps.multiRegion && plan.caps.aurora) {
    for (const c of plan.database.clusters) {
      names.push({ rule: "rdsGlobalClusterIdentifier", name: globalClusterIdentifier(id, c.name), region: plan.homeRegion });
    }
  }
  return names;
}

/** Config problems for every derived name AWS would reject (one per name), for a ConfigError. */
export function derivedNameProblems(plan: NamedPlan): ConfigProblem[] {
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const derived of derivedNames(plan)) {
    const violations = nameViolations(derived.rule, derived.name, derived.region);
    const key = `${derived.rule}:${derived.name}`;
    if (violations.length === 0 || seen.has(key)) continue;
    seen.add(key);
    const rule = nameRule(derived.rule);
    problems.push({
      key: "project/stack name",
      value: `${plan.project}/${plan.stack}`,
      message:
        `gives the ${rule.what} "${derived.name}", which AWS rejects: it ${violations.join("; ")} (${rule.source}). ` +
        "Rename the stack (or the project in Pulumi.yaml) to lower-case letters, digits and hyphens, starting with a letter and short enough",
    });
  }
  return problems;
}
