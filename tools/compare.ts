/**
 * Pure diff of two offline plans (`Capture`s): what a `pulumi up` going from one to the other
 * would add, remove, update in place and replace, and which stateful resources it would put at
 * risk (SPEC invariant 1). No Pulumi runtime here: the plan tool (`--compare`) and the
 * promotion-invariant tests both call `comparePlans` on captures they already have.
 *
 * What it models, and what it does not:
 * - Resources are matched by URN, and by the aliases the *target* resource declares (a full
 *   alias URN, or an alias name: same type and parent chain, other name).
 * - Inputs are deep-compared, ignoring key order. Paths the target resource lists in
 *   `ignoreChanges` are skipped, as the engine would.
 * - A change is a replacement when a changed input path is listed for that type in
 *   `data/replace-triggers.json` (`forceNew`, `forceNewNested`), when the resource's region
 *   changes (its `region` input or its provider's region), or when a `conditional` trigger we
 *   can evaluate fires (see `CONDITIONAL_RULES`). Conditional triggers we cannot evaluate
 *   offline are reported on the change as `notes`, never silently dropped.
 * - Types missing from the trigger file are compared as updates only (their replace triggers
 *   are unknown); the change carries a note saying so when it is a custom resource.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { aliasUrns, type Capture, type ResourceRecord } from "./capture";

import { isStateful, STATEFUL_TYPES } from "../components/stateful";

export { isStateful, STATEFUL_TYPES };

/** One type's entry in `data/replace-triggers.json` (only the fields the diff reads). */
export interface TypeTriggers {
  /** Top-level inputs whose change forces a replacement. */
  forceNew: string[];
  /** Dot-separated nested input paths (list indices omitted) whose change forces a replacement. */
  forceNewNested: string[];
  /** `"<path> (<condition>)"`: inputs that force a replacement only under a condition. */
  conditional: string[];
}

/** Pulumi type token → its replace triggers. */
export type ReplaceTriggers = Record<string, TypeTriggers>;

export const REPLACE_TRIGGERS_FILE = path.resolve(__dirname, "..", "data", "replace-triggers.json");

/** Reads `data/replace-triggers.json` (or another file of the same shape) into `ReplaceTriggers`. */
export function loadReplaceTriggers(file = REPLACE_TRIGGERS_FILE): ReplaceTriggers {
  const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { types: Record<string, Partial<TypeTriggers>> };
  return Object.fromEntries(
    Object.entries(doc.types).map(([type, t]) => [
      type,
      { forceNew: t.forceNew ?? [], forceNewNested: t.forceNewNested ?? [], conditional: t.conditional ?? [] },
    ]),
  );
}

/** A resource in a diff, identified as in the target plan (or the source plan when removed). */
export interface ResourceRef {
  urn: string;
  type: string;
  name: string;
  region: string | null;
}

export interface ResourceChange extends ResourceRef {
  /** The URN in the source plan when it was matched through an alias; else the same as `urn`. */
  fromUrn: string;
  /** Input paths that differ (dot-separated, list indices included), sorted. */
  changedPaths: string[];
  /** Other differences worth a look: provider swaps, conditional triggers not evaluated… */
  notes: string[];
}

export interface Replacement extends ResourceChange {
  /** Why the provider would replace it, e.g. `forceNew input "ami"` or `region us-east-1 → eu-west-1`. */
  reasons: string[];
}

export interface StatefulRisk extends ResourceRef {
  change: "removed" | "replaced";
  /** For a replacement, the triggering inputs; for a removal, why it is gone from the plan. */
  reasons: string[];
  /** Options on the source resource: a protected resource makes `pulumi up` fail instead. */
  protect: boolean;
  retainOnDelete: boolean;
}

export interface PlanDiff {
  /** In the target plan only. */
  added: ResourceRef[];
  /** In the source plan only (not matched by URN or alias). */
  removed: ResourceRef[];
  /** Matched, inputs differ, nothing forces a replacement. */
  updated: ResourceChange[];
  /** Matched, and a replace trigger fired. */
  replaced: Replacement[];
  /** Matched with identical inputs (and region). */
  unchanged: number;
  counts: { added: number; removed: number; updated: number; replaced: number; unchanged: number };
  /** Every stateful resource (`STATEFUL_TYPES`) that is removed or replaced, with the reason. */
  statefulAtRisk: StatefulRisk[];
}

const ref = (r: ResourceRecord): ResourceRef => ({ urn: r.urn, type: r.type, name: r.name, region: r.region });

// ---------------------------------------------------------------------------------------------
// Deep comparison

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Deep equality of JSON-like values; object key order is ignored, `undefined` keys count as absent. */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

function children(v: Json): [string, Json][] {
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  if (isObject(v)) return Object.entries(v);
  return [];
}

/**
 * The paths where `a` and `b` differ, as deep as both sides allow: when a block appears or goes
 * away, its leaves are listed (so `rootBlockDevice.encrypted` matches a nested trigger).
 */
export function changedPaths(a: Json, b: Json, prefix: string[] = []): string[] {
  if (deepEqual(a, b)) return [];
  const containerA = Array.isArray(a) || isObject(a);
  const containerB = Array.isArray(b) || isObject(b);
  const sameKind = Array.isArray(a) === Array.isArray(b) && isObject(a) === isObject(b);
  if ((containerA && containerB && sameKind) || (containerA && b === undefined) || (containerB && a === undefined)) {
    const ca = new Map(children(a));
    const cb = new Map(children(b));
    const keys = [...new Set([...ca.keys(), ...cb.keys()])];
    const found = keys.flatMap((k) => changedPaths(ca.get(k), cb.get(k), [...prefix, k]));
    if (found.length > 0) return found;
  }
  return [prefix.join(".")];
}

/** `ebsBlockDevices.0.encrypted` → `ebsBlockDevices.encrypted` (the trigger file omits indices). */
const withoutIndices = (p: string): string =>
  p
    .split(".")
    .filter((s) => !/^\d+$/.test(s))
    .join(".");

/** Pulumi ignoreChanges paths (`a.b`, `a[0].b`, `a[*]`) → segment matchers. */
function ignoredBy(ignoreChanges: string[]): (p: string) => boolean {
  const patterns = ignoreChanges.map((ic) =>
    ic
      .replace(/\[(\d+|\*)\]/g, ".$1")
      .replace(/\["([^"]+)"\]/g, ".$1")
      .split(".")
      .filter((s) => s !== ""),
  );
  return (p) => {
    const segs = p.split(".");
    return patterns.some((pat) => pat.length <= segs.length && pat.every((s, i) => s === "*" || s === segs[i]));
  };
}

// ---------------------------------------------------------------------------------------------
// Conditional triggers we can evaluate offline

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
type ConditionalRule = (from: Record<string, Json>, to: Record<string, Json>) => string | null | undefined;

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

/** `"instanceType (when …)"` → `instanceType`. */
const conditionalPath = (entry: string): string => entry.split(" ")[0];

// ---------------------------------------------------------------------------------------------
// Matching and diffing

interface Classified {
  changedPaths: string[];
  reasons: string[];
  notes: string[];
}

function classify(from: ResourceRecord, to: ResourceRecord, triggers: ReplaceTriggers): Classified {
  const ignored = ignoredBy(to.ignoreChanges ?? []);
  const paths = changedPaths(from.inputs, to.inputs)
    .filter((p) => p !== "" && !ignored(p))
    .sort();
  const reasons: string[] = [];
  const notes: string[] = [];
  const t = triggers[to.type];

  if (from.region !== to.region && from.region !== null && to.region !== null) {
    reasons.push(`region ${from.region} → ${to.region}`);
  }
  if ((from.provider ?? null) !== (to.provider ?? null)) {
    notes.push(`provider ${from.provider ?? "(default)"} → ${to.provider ?? "(default)"}`);
  }
  if (from.type !== to.type) reasons.push(`type ${from.type} → ${to.type}`);

  if (t) {
    const forceNew = new Set(t.forceNew);
    const nested = new Set(t.forceNewNested);
    const rules = CONDITIONAL_RULES[to.type] ?? {};
    const conditionals = new Map(t.conditional.map((c) => [conditionalPath(c), c]));
    const seen = new Set<string>();
    for (const p of paths) {
      const segs = withoutIndices(p).split(".");
      const top = segs[0];
      if (top === "region") continue; // judged on the effective region above
      let hit: string | undefined;
      if (forceNew.has(top)) hit = top;
      for (let k = 2; !hit && k <= segs.length; k++) if (nested.has(segs.slice(0, k).join("."))) hit = segs.slice(0, k).join(".");
      if (hit) {
        if (!seen.has(hit)) reasons.push(`forceNew input "${hit}"`);
        seen.add(hit);
        continue;
      }
      for (let k = segs.length; k >= 1; k--) {
        const candidate = segs.slice(0, k).join(".");
        const condition = conditionals.get(candidate);
        if (!condition || seen.has(candidate)) continue;
        seen.add(candidate);
        const rule = rules[candidate];
        const verdict = rule ? rule(from.inputs, to.inputs) : undefined;
        if (verdict) reasons.push(`conditional: ${verdict}`);
        else if (verdict === undefined) notes.push(`may force a replacement (not evaluated offline): ${condition}`);
        break;
      }
    }
  } else if (to.custom && paths.length > 0) {
    notes.push(`replace triggers of ${to.type} are not in the trigger file: changes shown as updates`);
  }
  return { changedPaths: paths, reasons, notes };
}

/**
 * Diffs two plans of the same program: `from` is the running stack, `to` the plan it moves to.
 * Pure: reads only its arguments. Lists are in the order of `to` (added, updated, replaced) and
 * of `from` (removed).
 */
export function comparePlans(from: Capture, to: Capture, triggers: ReplaceTriggers): PlanDiff {
  const fromByUrn = new Map(from.resources.map((r) => [r.urn, r]));
  const matched = new Set<string>();
  const added: ResourceRef[] = [];
  const updated: ResourceChange[] = [];
  const replaced: Replacement[] = [];
  const statefulAtRisk: StatefulRisk[] = [];
  let unchanged = 0;

  for (const target of to.resources) {
    let source = fromByUrn.get(target.urn);
    if (!source || matched.has(source.urn)) {
      source = undefined;
      for (const alias of aliasUrns(target)) {
        const candidate = fromByUrn.get(alias);
        if (candidate && !matched.has(candidate.urn)) {
          source = candidate;
          break;
        }
      }
    }
    if (!source) {
      added.push(ref(target));
      continue;
    }
    matched.add(source.urn);
    const { changedPaths: paths, reasons, notes } = classify(source, target, triggers);
    const change: ResourceChange = { ...ref(target), fromUrn: source.urn, changedPaths: paths, notes };
    if (reasons.length > 0) {
      replaced.push({ ...change, reasons });
      if (isStateful(source.type) || isStateful(target.type)) {
        statefulAtRisk.push({
          ...ref(target),
          change: "replaced",
          reasons,
          protect: source.protect,
          retainOnDelete: source.retainOnDelete,
        });
      }
    } else if (paths.length > 0 || notes.length > 0) {
      updated.push(change);
    } else {
      unchanged++;
    }
  }

  const removed = from.resources.filter((r) => !matched.has(r.urn));
  for (const r of removed) {
    if (!isStateful(r.type)) continue;
    statefulAtRisk.push({
      ...ref(r),
      change: "removed",
      reasons: ["not in the target plan (no resource with this URN or an alias to it)"],
      protect: r.protect,
      retainOnDelete: r.retainOnDelete,
    });
  }

  return {
    added,
    removed: removed.map(ref),
    updated,
    replaced,
    unchanged,
    counts: { added: added.length, removed: removed.length, updated: updated.length, replaced: replaced.length, unchanged },
    statefulAtRisk,
  };
}
