/**
 * Pure diff of two offline plans (`Capture`s): what a `pulumi up` going from one to the other
 * would add, remove, update in place and replace, and which stateful resources it would put at
 * risk (SPEC invariants 1 and 8). No Pulumi runtime here: the plan tool (`--compare`) and the
 * promotion-invariant tests both call `comparePlans` on captures they already have.
 *
 * What it models, and what it does not:
 * - Resources are matched by URN, and by the aliases the *target* resource declares or inherits
 *   from a parent that was itself matched through an alias, resolved as the engine does
 *   (`aliasUrns`: a full URN, or a spec with name, type, parent, project, stack).
 * - Inputs are deep-compared, ignoring key order. Paths the target resource lists in
 *   `ignoreChanges` are skipped, as the engine would.
 * - A change is a replacement when a changed input path is listed for that type in
 *   `data/replace-triggers.json` (`forceNew`, `forceNewNested`), when the resource's region
 *   changes (its `region` input or its provider's region), or when a `conditional` trigger we
 *   can evaluate fires (see `CONDITIONAL_RULES`). Conditional triggers we cannot evaluate
 *   offline are reported on the change as `notes`, never silently dropped.
 * - Replacements cascade as in a preview. A replaced resource's outputs are unknown until it is
 *   created again, so every input of a dependent that came from it (the dependent's
 *   `propertyDependencies`) is unknown, and an unknown replace-triggering input replaces the
 *   dependent too; a resource whose provider is replaced is replaced. This is what the engine
 *   does in `stepGenerator.calculateDependentReplacements` (pulumi/pulumi
 *   pkg/resource/deploy/step_generator.go@1a16857a44f16e46a9dce29f184c511062a70f80): each input
 *   whose property dependencies are in the replace set becomes `MakeComputed(...)`, and the
 *   provider's Diff decides; a bridged Terraform provider plans a replacement for an unknown
 *   ForceNew attribute. That is what a delete-first replacement does (`deletesFirst`: the
 *   program's option, else the provider's rule, `data/delete-before-replace.json`). A
 *   create-before-delete replacement leaves its dependents its planned state, which echoes its
 *   inputs: an input whose every value is an input of the replaced resource (a CIDR the program
 *   passed through) stays known, unless a value is, or contains, one the replacement changes (its
 *   id, ARN, endpoints, autonamed name: `changingValues`), whatever input it happens to equal.
 * - Types missing from the trigger file are never assumed to update in place: a change to one
 *   is reported under `unknown` (replace triggers unknown), and a stateful one is at risk.
 * - Component resources are never replaced (the engine only replaces custom resources).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { aliasUrns, type Capture, type ResourceRecord } from "./capture";
import { CONDITIONAL_RULES, conditionalPath, instanceArchitecture } from "./conditionalTriggers";
import { changedPaths, deepEqual, ignoredBy, isObject, type Json, withoutIndices } from "./jsonDiff";
import { AUTONAMING, PREVIEW_UNSET, UNKNOWN, UPDATE_RECOMPUTED } from "./mocks";

import { isStateful, STATEFUL_TYPES } from "../components/stateful";

export { isStateful, STATEFUL_TYPES };
export { changedPaths, CONDITIONAL_RULES, deepEqual, instanceArchitecture };

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

/**
 * How the provider orders one type's replacement: the input it autonames (from
 * `data/autonaming.json`, the file the mocks read too; a program-set value makes the bridge
 * replace it delete-first) and its own `ResourceInfo.DeleteBeforeReplace`
 * (`data/delete-before-replace.json`).
 */
export interface ReplaceOrder {
  autoNamed: string[];
  deleteBeforeReplace: boolean;
}

/** Pulumi type token → how the provider orders its replacement. */
export type ReplaceOrders = Record<string, ReplaceOrder>;

export const REPLACE_ORDER_FILE = path.resolve(__dirname, "..", "data", "delete-before-replace.json");

let defaultOrders: ReplaceOrders | undefined;

/** Reads `data/delete-before-replace.json` (or another file of the same shape) with the auto-naming data the mocks read. */
export function loadReplaceOrders(file = REPLACE_ORDER_FILE): ReplaceOrders {
  if (file === REPLACE_ORDER_FILE && defaultOrders) return defaultOrders;
  const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { types: Record<string, { deleteBeforeReplace?: boolean }> };
  const orders = Object.fromEntries(
    Object.entries(doc.types).map(([type, t]) => {
      const field = AUTONAMING[type]?.field;
      return [type, { autoNamed: field ? [field] : [], deleteBeforeReplace: t.deleteBeforeReplace ?? false }];
    }),
  );
  if (file === REPLACE_ORDER_FILE) defaultOrders = orders;
  return orders;
}

/**
 * Whether replacing `r` deletes it before creating it again. The program's `deleteBeforeReplace`
 * option, when set (true or false), wins (pulumi/pulumi step_generator.go@1b5949891b3c, lines
 * 2043-2047). Otherwise the bridged provider answers (pulumi-terraform-bridge
 * pkg/tfbridge/provider.go@59de6c661df1, lines 1275-1276): its ResourceInfo.DeleteBeforeReplace,
 * or `nameRequiresDeleteBeforeReplace` (pkg/tfbridge/schema.go lines 193-246): an autonamed input
 * the program set itself. Which inputs are autonamed, per type, is data
 * (`data/autonaming.json`, read from pulumi-aws v7); a type missing from it is assumed
 * to delete first, the answer that hides no cascade.
 */
export function deletesFirst(r: ResourceRecord, orders: ReplaceOrders): boolean {
  if (r.deleteBeforeReplaceDefined || r.deleteBeforeReplace) return r.deleteBeforeReplace;
  const order = orders[r.type];
  if (!order) return true;
  return order.deleteBeforeReplace || order.autoNamed.some((k) => r.inputs[k] !== undefined && r.inputs[k] !== null);
}

/** A resource in a diff, identified as in the target plan (or the source plan when removed). */
export interface ResourceRef {
  urn: string;
  type: string;
  name: string;
  region: string | null;
}

/** One input that differs: its old and new value (`to` is absent when it is unknown). */
export interface ValueChange {
  path: string;
  from: unknown;
  to?: unknown;
  /** Set when the new value is unknown in a preview: which replaced resource it comes from. */
  unknownBecause?: string;
}

export interface ResourceChange extends ResourceRef {
  /** The URN in the source plan when it was matched through an alias; else the same as `urn`. */
  fromUrn: string;
  /** Input paths that differ or become unknown (dot-separated, list indices included), sorted. */
  changedPaths: string[];
  /** The same paths with their values, in the same order. */
  changes: ValueChange[];
  /** Other differences worth a look: provider swaps, conditional triggers not evaluated… */
  notes: string[];
}

export interface Replacement extends ResourceChange {
  /** Why the provider would replace it, e.g. `forceNew input "ami"` or `region us-east-1 → eu-west-1`. */
  reasons: string[];
  /** Target URNs of the replaced resources this replacement cascades from (empty when it is direct). */
  cascadeFrom: string[];
}

export interface StatefulRisk extends ResourceRef {
  /** `unknown`: it changes and the trigger file does not say whether that replaces it. */
  change: "removed" | "replaced" | "unknown";
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
  /** Matched, and a replace trigger fired (directly, or through a replaced dependency). */
  replaced: Replacement[];
  /** Matched, inputs differ, and the type is not in the trigger file: it may be replaced. */
  unknown: ResourceChange[];
  /** Matched with identical inputs (and region). */
  unchanged: number;
  counts: { added: number; removed: number; updated: number; replaced: number; unknown: number; unchanged: number };
  /** Every stateful resource (`STATEFUL_TYPES`) that is removed or replaced, with the reason. */
  statefulAtRisk: StatefulRisk[];
}

const ref = (r: ResourceRecord): ResourceRef => ({ urn: r.urn, type: r.type, name: r.name, region: r.region });

// ---------------------------------------------------------------------------------------------
// Matching and diffing

interface Classified {
  changedPaths: string[];
  reasons: string[];
  notes: string[];
  /** The type is missing from the trigger file and something changed. */
  triggersUnknown: boolean;
}

/** Reads a dot-separated path out of JSON-like inputs. */
export function valueAt(inputs: Json, p: string): Json {
  let v: Json = inputs;
  for (const seg of p === "" ? [] : p.split(".")) {
    if (Array.isArray(v)) v = v[Number(seg)];
    else if (isObject(v)) v = v[seg];
    else return undefined;
  }
  return v;
}

/** Top-level input → why it is unknown in a preview (the replaced resource it comes from). */
type UnknownInputs = Map<string, string>;

/** The replace-trigger entry of `type` that matches a path (without list indices), if any. */
function forceNewHit(t: TypeTriggers, p: string): string | undefined {
  const segs = withoutIndices(p).split(".");
  if (t.forceNew.includes(segs[0])) return segs[0];
  for (let k = 2; k <= segs.length; k++) if (t.forceNewNested.includes(segs.slice(0, k).join("."))) return segs.slice(0, k).join(".");
  return undefined;
}

function classify(from: ResourceRecord, to: ResourceRecord, triggers: ReplaceTriggers, unknownInputs: UnknownInputs): Classified {
  const ignored = ignoredBy(to.ignoreChanges ?? []);
  const paths = changedPaths(from.inputs, to.inputs)
    .filter((p) => p !== "" && !ignored(p) && !unknownInputs.has(p.split(".")[0]))
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

  const unknownPaths = [...unknownInputs.keys()].filter((k) => !ignored(k));
  const allPaths = [...paths, ...unknownPaths].sort();
  if (!to.custom) return { changedPaths: allPaths, reasons: [], notes, triggersUnknown: false };

  if (t) {
    const rules = CONDITIONAL_RULES[to.type] ?? {};
    const conditionals = new Map(t.conditional.map((c) => [conditionalPath(c), c]));
    const seen = new Set<string>();
    for (const key of unknownPaths) {
      const hit = forceNewHit(t, key) ?? t.forceNewNested.find((n) => n.startsWith(`${key}.`));
      if (hit) reasons.push(`forceNew input "${hit}" becomes unknown: ${unknownInputs.get(key)}`);
      else if (conditionals.has(key))
        notes.push(`may force a replacement (unknown until ${unknownInputs.get(key)}): ${conditionals.get(key)}`);
      seen.add(key);
    }
    for (const p of paths) {
      const segs = withoutIndices(p).split(".");
      if (segs[0] === "region") continue; // judged on the effective region above
      const hit = forceNewHit(t, p);
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
    return { changedPaths: allPaths, reasons, notes, triggersUnknown: false };
  }
  return { changedPaths: allPaths, reasons, notes, triggersUnknown: allPaths.length > 0 };
}

/** Every scalar in a JSON-like value. */
function leaves(v: Json, out: unknown[] = []): unknown[] {
  if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
  else if (isObject(v)) Object.values(v).forEach((x) => leaves(x, out));
  else if (v !== undefined && v !== null) out.push(v);
  return out;
}

/** `urn:…::name::id` (a provider reference) → the provider's URN. */
const providerUrn = (ref: string | null): string | null => (ref ? ref.split("::").slice(0, -1).join("::") : null);

/**
 * What a replacement (create before delete) or a create changes of a resource, as its dependents
 * see it in a preview: its id and every output the program did not set itself (ARNs, endpoints,
 * the name the provider autonames), which the planned state leaves unknown or, for an autoname,
 * draws again (the engine re-runs Check without olds on a replacement, step_generator.go lines
 * 2003-2022). Outputs the program set are echoed by the planned state and stay as they are; so
 * do the attributes the provider plans with a fixed schema default (the known entries of
 * `PREVIEW_UNSET` in tools/mocks.ts; an Optional+Computed one AWS picks is planned unknown, so changes).
 * Undefined when the record carries no outputs (a hand-built plan).
 */
function changingValues(r: ResourceRecord): { exact: Set<unknown>; strings: string[] } | undefined {
  if (!r.outputs) return undefined;
  const fixed = Object.fromEntries(Object.entries(PREVIEW_UNSET[r.type] ?? {}).filter(([, v]) => v !== UNKNOWN));
  const values = [
    ...(r.id ? [r.id] : []),
    ...Object.entries(r.outputs)
      .filter(([k]) => !(k in r.inputs) && !(k in fixed))
      .flatMap(([, v]) => leaves(v)),
  ].filter((v) => v !== "" && typeof v !== "boolean");
  // A boolean carries no identity: one equal to a computed flag is a coincidence, not a reference.
  return { exact: new Set(values), strings: values.filter((v): v is string => typeof v === "string" && v.length >= 6) };
}

/**
 * The target's inputs that are unknown in a preview because a resource they came from is
 * replaced or created (see the module comment). An input is unknown when one of the resources in
 * its `propertyDependencies` is replaced delete-first (`deleteFirst`: the engine then makes every
 * such input unknown, `calculateDependentReplacements`); otherwise unless every value of it is one of that
 * resource's own inputs (echoed by the planned state) and none is, or contains, a value the
 * replacement changes (`changingValues`).
 */
function unknownInputsOf(
  target: ResourceRecord,
  replaced: Map<string, ResourceRecord>,
  created: Map<string, ResourceRecord>,
  deleteFirst: Set<string>,
  recomputed: Map<string, Recomputed> = new Map(),
): UnknownInputs {
  const out: UnknownInputs = new Map();
  // An input taken from an output an in-place update recomputes (UPDATE_RECOMPUTED) is unknown too.
  for (const [key, deps] of Object.entries(target.propertyDependencies ?? {})) {
    if (!(key in target.inputs)) continue;
    const values = leaves(target.inputs[key]).map(String);
    for (const d of deps) {
      const r = recomputed.get(d);
      const hit = r?.outputs.find((o) => o.values.some((v) => values.includes(v)));
      if (r && hit) out.set(key, `${shortType(r.record.type)} ${r.record.name} is updated (its ${hit.output} is recomputed)`);
    }
  }
  const what = (r: ResourceRecord) => `${shortType(r.type)} ${r.name} ${replaced.has(r.urn) ? "is replaced" : "is created"}`;
  for (const [key, deps] of Object.entries(target.propertyDependencies ?? {})) {
    // A resource created in this update has unknown computed outputs in a preview too (the engine's
    // CreateStep in preview), so an input taken from it is unknown like one from a replacement.
    const gone = deps.map((d) => replaced.get(d) ?? created.get(d)).filter((r): r is ResourceRecord => r !== undefined);
    if (gone.length === 0 || !(key in target.inputs)) continue;
    const values = leaves(target.inputs[key]);
    const causes = gone.filter((r) => {
      if (deleteFirst.has(r.urn)) return true;
      // Known only when every value is one the resource's own inputs hold (the planned state echoes
      // them); a value derived from its outputs in any other way is unknown, as in a preview.
      const echoed = new Set(leaves(r.inputs));
      if (values.length === 0 || !values.every((v) => echoed.has(v))) return true;
      // ...and none of them is (or contains) a value the replacement changes: an ARN that happens
      // to equal one of the resource's inputs still came from the ARN.
      const changing = changingValues(r);
      return (
        changing !== undefined &&
        values.some((v) => changing.exact.has(v) || (typeof v === "string" && changing.strings.some((c) => v.includes(c))))
      );
    });
    if (causes.length > 0) out.set(key, causes.map(what).join(", "));
  }
  return out;
}

const shortType = (type: string) => type.split(":").pop() ?? type;

/** An updated resource's outputs the update recomputes, with the values dependents may have taken. */
interface Recomputed {
  record: ResourceRecord;
  outputs: { output: string; values: string[] }[];
}

/** What an in-place update of `target` (its changed input paths) recomputes, per UPDATE_RECOMPUTED. */
function recomputedBy(target: ResourceRecord, changed: string[]): Recomputed | undefined {
  const tops = new Set(changed.map((p) => p.split(".")[0]));
  const outputs = (UPDATE_RECOMPUTED[target.type] ?? [])
    .filter((rule) => (rule.when?.(target.inputs) ?? true) && [...tops].some((k) => !rule.unless.includes(k)))
    .map((rule) => ({ output: rule.output, values: leaves(target.outputs?.[rule.output]).map(String) }))
    .filter((o) => o.values.length > 0);
  return outputs.length > 0 ? { record: target, outputs } : undefined;
}

function valueChanges(from: ResourceRecord, to: ResourceRecord, paths: string[], unknownInputs: UnknownInputs): ValueChange[] {
  return paths.map((p) =>
    unknownInputs.has(p)
      ? { path: p, from: valueAt(from.inputs, p), unknownBecause: unknownInputs.get(p)! }
      : { path: p, from: valueAt(from.inputs, p), to: valueAt(to.inputs, p) },
  );
}

/**
 * Diffs two plans of the same program: `from` is the running stack, `to` the plan it moves to.
 * Pure: reads only its arguments. Lists are in the order of `to` (added, updated, replaced,
 * unknown) and of `from` (removed).
 */
export function comparePlans(from: Capture, to: Capture, triggers: ReplaceTriggers, orders: ReplaceOrders = loadReplaceOrders()): PlanDiff {
  const fromByUrn = new Map(from.resources.map((r) => [r.urn, r]));
  const matched = new Set<string>();
  const pairs: [ResourceRecord, ResourceRecord][] = [];
  const added: ResourceRef[] = [];

  // New URN → the old URN it was matched through, for the aliases children inherit (resources
  // register after their parent, so a parent is matched before its children are resolved).
  const matchedThrough = new Map<string, string>();
  for (const target of to.resources) {
    let source = fromByUrn.get(target.urn);
    if (!source || matched.has(source.urn)) {
      source = undefined;
      for (const alias of aliasUrns(target, matchedThrough)) {
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
    if (source.urn !== target.urn) matchedThrough.set(target.urn, source.urn);
    pairs.push([source, target]);
  }

  // Replacements feed the unknowns of their dependents, which may be replaced in turn: repeat
  // until nothing new is replaced (one pass when the plan lists dependencies first, as captures do).
  const replacedTargets = new Map<string, ResourceRecord>();
  const addedUrns = new Set(added.map((a) => a.urn));
  const createdTargets = new Map(to.resources.filter((r) => r.custom && addedUrns.has(r.urn)).map((r) => [r.urn, r]));
  // Replaced delete-first: by its own rule (`deletesFirst`), or because a delete-first replacement
  // cascades into it. The engine's calculateDependentReplacements (step_generator.go@1b5949891b3c,
  // lines 3268-3411) adds each dependent it must replace to the same set and goes on through that
  // dependent's dependents, every input taken from a member of the set unknown.
  const deleteFirst = new Set<string>();
  const recomputed = new Map<string, Recomputed>();
  let outcome = new Map<string, { c: Classified; unknownInputs: UnknownInputs; cascadeFrom: string[] }>();
  for (let pass = 0; pass <= pairs.length; pass++) {
    outcome = new Map();
    let grew = false;
    for (const [source, target] of pairs) {
      const unknownInputs = unknownInputsOf(target, replacedTargets, createdTargets, deleteFirst, recomputed);
      const c = classify(source, target, triggers, unknownInputs);
      const updates = target.custom && c.reasons.length === 0 ? recomputedBy(target, c.changedPaths) : undefined;
      if (updates && !recomputed.has(target.urn)) {
        recomputed.set(target.urn, updates);
        grew = true;
      }
      const cascadeFrom = [
        ...new Set(
          [...unknownInputs.keys()].flatMap((k) =>
            (target.propertyDependencies[k] ?? []).filter((d) => replacedTargets.has(d) || createdTargets.has(d)),
          ),
        ),
      ];
      const provider = providerUrn(target.provider);
      if (target.custom && provider && replacedTargets.has(provider)) {
        c.reasons.push(`its provider ${provider} is replaced`);
        cascadeFrom.push(provider);
      }
      outcome.set(target.urn, { c, unknownInputs, cascadeFrom });
      if (target.custom && c.reasons.length > 0) {
        if (!replacedTargets.has(target.urn)) {
          replacedTargets.set(target.urn, target);
          grew = true;
        }
        if (!deleteFirst.has(target.urn) && (deletesFirst(target, orders) || cascadeFrom.some((u) => deleteFirst.has(u)))) {
          deleteFirst.add(target.urn);
          grew = true;
        }
      }
    }
    if (!grew) break;
  }

  const updated: ResourceChange[] = [];
  const replaced: Replacement[] = [];
  const unknown: ResourceChange[] = [];
  const statefulAtRisk: StatefulRisk[] = [];
  let unchanged = 0;
  for (const [source, target] of pairs) {
    const { c, unknownInputs, cascadeFrom } = outcome.get(target.urn)!;
    const change: ResourceChange = {
      ...ref(target),
      fromUrn: source.urn,
      changedPaths: c.changedPaths,
      changes: valueChanges(source, target, c.changedPaths, unknownInputs),
      notes: c.notes,
    };
    const stateful = isStateful(source.type) || isStateful(target.type);
    const risk = (kind: StatefulRisk["change"], reasons: string[]) =>
      statefulAtRisk.push({ ...ref(target), change: kind, reasons, protect: source.protect, retainOnDelete: source.retainOnDelete });
    if (target.custom && c.reasons.length > 0) {
      replaced.push({ ...change, reasons: c.reasons, cascadeFrom });
      if (stateful) risk("replaced", c.reasons);
    } else if (c.triggersUnknown) {
      unknown.push(change);
      if (stateful) risk("unknown", [`${target.type} is not in the trigger file; changed: ${c.changedPaths.join(", ")}`]);
    } else if (c.changedPaths.length > 0 || c.notes.length > 0) {
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
    unknown,
    unchanged,
    counts: {
      added: added.length,
      removed: removed.length,
      updated: updated.length,
      replaced: replaced.length,
      unknown: unknown.length,
      unchanged,
    },
    statefulAtRisk,
  };
}
