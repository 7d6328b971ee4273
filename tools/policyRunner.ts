/**
 * Runs the CrossGuard pack's policies over an offline capture, the way the Pulumi engine and
 * @pulumi/policy's analyzer server do (server.js `makeAnalyzeRpcFun` / `makeAnalyzeStackRpcFun`):
 *
 * - `validateResource` once per registered resource (components too, as the engine's step
 *   generator does), with `type`, `props` (the inputs, secrets unwrapped, wrapped in the SDK's
 *   unknown-checking proxy), `urn`, `name`, `opts`, `provider`, `stackTags`, `isType`/`asType`,
 *   `getConfig`, `notApplicable`; a policy that declares the types it judges
 *   (policies/appliesTo.ts) is not called for the others, and is recorded not applicable with its
 *   declared reason, as the call would have been;
 * - `validateStack` once, with every resource as a PolicyResource whose `parent` and
 *   `dependencies` are the other PolicyResource objects;
 * - the enforcement level of a policy is the pack config's, else the policy's, else the pack's
 *   (advisory); "disabled" skips it; "remediate" reports as mandatory;
 * - `getConfig` returns the policy's pack config without `enforcementLevel`, with the schema's
 *   defaults filled in (the CLI does this when it validates the config against the schema).
 *
 * What a policy sees depends on the view (SPEC invariant 8), as in pulumi/pulumi's engine
 * (pkg/resource/deploy/step_generator.go at 1b5949891b3c, read 2026-11-30):
 *
 * - resource policies get the resource's checked *inputs* (`analyzeAll`, lines 3461-3475:
 *   `Properties: inputs`), with unknowns in a preview (analyzer_plugin.go line 305-306 marshals
 *   them with `KeepUnknowns: true`);
 * - stack policies get each resource's *outputs* ("Unlike Analyze, AnalyzeStack is called on the
 *   final outputs of each resource", `AnalyzeResources`, lines 3513-3533), its `dependencies`
 *   and `propertyDependencies` (non-empty ones only: analyzer_plugin.go lines 360-377), and
 *   options with protect, ignoreChanges, deleteBeforeReplace, aliases, customTimeouts and parent:
 *   never retainOnDelete (`marshalResourceOptions`, analyzer_plugin.go lines 736-761);
 * - the provider of either is its *inputs* (step_generator.go lines 3476-3483 and 3553-3559).
 *
 * The views: `inputs` (the program's inputs everywhere, a normal capture), `preview` (a first
 * `pulumi preview`: a capture run with `preview`, whose inputs and planned outputs hold unknowns)
 * and `deployed` (a `pulumi preview` once the stack exists: outputs as the provider reported
 * them after create, modelled in tools/mocks.ts).
 *
 * It never constructs a PolicyPack: that starts a gRPC server that never exits.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type {
  EnforcementLevel,
  Policies,
  Policy,
  PolicyConfigSchema,
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { appliesTo } from "../policies/appliesTo";
import { aliasUrns, type Capture, type ResourceRecord } from "./capture";
import { PropsView, ResourceView, StackResourceView } from "./policyResourceViews";

// The SDK's own proxy: reading an unknown preview value throws UnknownValueError, as in the engine.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UnknownValueError } = require("@pulumi/policy/proxy");

import { VIEWS, type View } from "./policyViews";
export { VIEWS, type View };

export const POLICY_CONFIG_DIR = path.resolve(__dirname, "..", "policies", "config");
const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

export type PackConfig = Record<string, unknown>;

export interface Violation {
  policyName: string;
  enforcementLevel: "advisory" | "mandatory";
  /** The resource in violation; undefined when the whole stack is. */
  urn?: string;
  /** What the policy reported (without the policy's description, which the engine prepends). */
  message: string;
  description: string;
}

export interface PolicyRun {
  violations: Violation[];
  notApplicable: { policyName: string; reason?: string }[];
  /** Effective enforcement level of each policy. */
  levels: Record<string, EnforcementLevel>;
  /** What each policy's getConfig() returned (schema defaults + pack config). */
  configs: Record<string, Record<string, unknown>>;
}

/** A pack config that does not fit the pack (unknown policy, bad level, value outside the schema). */
export class PolicyConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid policy pack config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PolicyConfigError";
  }
}

/** `policies/config/<stack>.json` when it exists (what `--policy-pack-config` is given in CI), else {}. */
export function loadPackConfig(stack: string, dir = POLICY_CONFIG_DIR): { config: PackConfig; file?: string } {
  const file = path.join(dir, `${stack}.json`);
  if (!fs.existsSync(file)) return { config: {} };
  try {
    return { config: JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig, file };
  } catch (err) {
    throw new PolicyConfigError([`${path.relative(process.cwd(), file)}: ${(err as Error).message}`]);
  }
}

interface Resolved {
  level: EnforcementLevel;
  config: Record<string, unknown>;
}

function typeOk(schema: Record<string, any>, value: unknown): boolean {
  switch (schema.type) {
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "array":
      return Array.isArray(value) && (!schema.items || value.every((v) => typeOk(schema.items, v)));
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    default:
      return true;
  }
}

/** Resolves each policy's level and config as the CLI does; throws PolicyConfigError listing every problem. */
export function resolvePackConfig(
  policies: Policies,
  packConfig: PackConfig,
  packLevel: EnforcementLevel = "advisory",
): Map<string, Resolved> {
  const problems: string[] = [];
  const names = new Set(policies.map((p) => p.name));
  const asEntry = (key: string, raw: unknown): { enforcementLevel?: EnforcementLevel; [k: string]: unknown } => {
    if (typeof raw === "string") return { enforcementLevel: raw as EnforcementLevel };
    if (typeof raw === "object" && raw !== null && !Array.isArray(raw)) return raw as Record<string, unknown>;
    problems.push(`${key}: must be an enforcement level or an object, got ${JSON.stringify(raw)}`);
    return {};
  };
  for (const key of Object.keys(packConfig)) {
    if (key !== "all" && !names.has(key)) problems.push(`${key}: no such policy in the pack (policies: ${[...names].join(", ")})`);
  }
  const all = packConfig.all === undefined ? {} : asEntry("all", packConfig.all);
  const result = new Map<string, Resolved>();
  for (const p of policies) {
    const entry = packConfig[p.name] === undefined ? {} : asEntry(p.name, packConfig[p.name]);
    const { enforcementLevel, ...rest } = entry;
    const level = enforcementLevel ?? all.enforcementLevel ?? p.enforcementLevel ?? packLevel;
    if (!LEVELS.includes(level))
      problems.push(`${p.name}.enforcementLevel: must be one of ${LEVELS.join(", ")}, got ${JSON.stringify(level)}`);
    const schema = (p.configSchema as PolicyConfigSchema | undefined)?.properties ?? {};
    const config: Record<string, unknown> = {};
    for (const [k, s] of Object.entries(schema)) if ((s as any).default !== undefined) config[k] = structuredClone((s as any).default);
    for (const [k, v] of Object.entries(rest)) {
      const s = schema[k] as Record<string, any> | undefined;
      if (!s) {
        problems.push(`${p.name}.${k}: the policy has no such setting (settings: ${Object.keys(schema).join(", ") || "none"})`);
        continue;
      }
      if (!typeOk(s, v)) problems.push(`${p.name}.${k}: must be of type ${s.type}, got ${JSON.stringify(v)}`);
      else if (typeof v === "number" && ((s.minimum !== undefined && v < s.minimum) || (s.maximum !== undefined && v > s.maximum)))
        problems.push(`${p.name}.${k}: must be from ${s.minimum ?? "-∞"} to ${s.maximum ?? "∞"}, got ${v}`);
      else config[k] = v;
    }
    for (const k of (p.configSchema as PolicyConfigSchema | undefined)?.required ?? [])
      if (config[k] === undefined) problems.push(`${p.name}.${k}: required`);
    result.set(p.name, { level, config });
  }
  if (problems.length > 0) throw new PolicyConfigError(problems);
  return result;
}

class NotApplicableError extends Error {
  constructor(readonly reason?: string) {
    super(reason ?? "not applicable");
  }
}
const notApplicableErrors = new Map<string | undefined, NotApplicableError>();
const throwNotApplicable = (reason?: string): never => {
  // Policies call this for most resources they see. server.js throws a new error each time; one
  // per reason, without a stack, is thrown here again and again: nothing reads its stack or keeps it.
  let err = notApplicableErrors.get(reason);
  if (!err) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    err = new NotApplicableError(reason);
    Error.stackTraceLimit = limit;
    if (notApplicableErrors.size < 1000) notApplicableErrors.set(reason, err);
  }
  throw err;
};

const isResourcePolicy = (p: Policy): p is ResourceValidationPolicy => (p as ResourceValidationPolicy).validateResource !== undefined;
const isStackPolicy = (p: Policy): p is StackValidationPolicy => typeof (p as StackValidationPolicy).validateStack === "function";

/** The properties a stack policy sees of `r` in `view`. */
function stackProps(r: ResourceRecord, view: View): Record<string, unknown> {
  if (view === "inputs") return r.inputs;
  if (r.outputs === undefined) throw new Error(`${r.urn} has no recorded outputs: the ${view} view needs a capture from tools/capture.ts`);
  return r.outputs;
}

/**
 * Runs every policy of `policies` over `capture`, with `packConfig` applied, in `view`: a
 * `preview` view needs a capture run with `preview`, the others a normal one.
 */
export async function runPolicies(
  capture: Capture,
  policies: Policies,
  packConfig: PackConfig = {},
  view: View = "inputs",
): Promise<PolicyRun> {
  if ((view === "preview") !== (capture.preview ?? false))
    throw new Error(
      `the ${view} view needs a ${view === "preview" ? "preview" : "normal"} capture (captureProgram({ preview: ${view === "preview"} }))`,
    );
  const resolved = resolvePackConfig(policies, packConfig);
  const violations: Violation[] = [];
  const notApplicable: PolicyRun["notApplicable"] = [];
  const stackTags: ReadonlyMap<string, string> = new Map();
  const byUrn = new Map(capture.resources.map((r) => [r.urn, r]));
  // Each properties object's JSON text, once per run (every policy gets its own copy of it).
  const jsonTexts = new WeakMap<object, string>();
  const jsonOf = (properties: Record<string, unknown> | undefined): string => {
    if (!properties) return "{}";
    let json = jsonTexts.get(properties);
    if (json === undefined) jsonTexts.set(properties, (json = JSON.stringify(properties)));
    return json;
  };
  // What does not change between policies, worked out once per resource and run.
  const facts = new Map<ResourceRecord, { aliases: string[]; provider?: ResourceRecord }>();
  const factsOf = (r: ResourceRecord) => {
    let f = facts.get(r);
    if (!f) {
      // A provider reference is "<provider URN>::<provider id>".
      const provider = r.provider ? byUrn.get(r.provider.slice(0, r.provider.lastIndexOf("::"))) : undefined;
      facts.set(r, (f = { aliases: aliasUrns(r), provider }));
    }
    return f;
  };
  // What the engine shows a policy of one resource: a resource policy its inputs (the caller adds
  // its own fields with Object.assign), a stack policy the view's properties and its dependencies.
  const withProvider = <V extends ResourceView>(seen: V, r: ResourceRecord): V => {
    const { provider } = factsOf(r);
    if (provider) seen.provider = new PropsView(provider.type, provider.urn, provider.name, jsonOf(provider.inputs));
    return seen;
  };
  const policyView = (r: ResourceRecord): ResourceView => withProvider(new ResourceView(r, jsonOf(r.inputs), factsOf(r).aliases), r);
  const stackView = (r: ResourceRecord, properties: Record<string, unknown>, views: ReadonlyMap<string, PolicyResource>) =>
    withProvider(new StackResourceView(r, jsonOf(properties), factsOf(r).aliases, views), r);

  for (const p of policies) {
    const { level: configured, config } = resolved.get(p.name)!;
    if (configured === "disabled") continue;
    const level = configured === "remediate" ? "mandatory" : (configured as "advisory" | "mandatory");
    const getConfig = <T extends object>() => structuredClone(config) as T;
    const report =
      (urnDefault?: string): ReportViolation =>
      (message: string, urn?: string) =>
        violations.push({ policyName: p.name, enforcementLevel: level, urn: urnDefault ?? urn, message, description: p.description });
    // The engine attributes a resource policy's diagnostics, "can't run" included, to the resource.
    const caught = (e: unknown, urn?: string) => {
      if (e instanceof UnknownValueError) {
        violations.push({
          policyName: p.name,
          enforcementLevel: "advisory",
          urn,
          message: `can't run policy '${p.name}' during preview: ${(e as Error).message}`,
          description: p.description,
        });
      } else if (e instanceof NotApplicableError) {
        notApplicable.push({ policyName: p.name, reason: e.reason });
      } else {
        throw new Error(`policy ${p.name} failed: ${(e as Error).stack ?? e}`);
      }
    };
    // Runs one validation: a promise only if the policy returned one (server.js awaits every
    // result; a synchronous policy's outcome is the same without the round trip).
    const guard = (run: () => unknown, urn?: string): Promise<void> | undefined => {
      try {
        const result = run() as PromiseLike<unknown> | undefined;
        if (typeof result?.then === "function")
          return Promise.resolve(result).then(
            () => undefined,
            (e) => caught(e, urn),
          );
      } catch (e) {
        caught(e, urn);
      }
      return undefined;
    };

    if (isResourcePolicy(p)) {
      const validations = (Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource!]).map((validate) => ({
        validate,
        declared: appliesTo(validate),
      }));
      for (const r of capture.resources) {
        for (const { validate, declared } of validations) {
          if (declared && !declared.types.includes(r.type)) {
            // What calling it would give (policies/appliesTo.ts): it reports itself not applicable.
            notApplicable.push({ policyName: p.name, reason: declared.reason });
            continue;
          }
          const args = Object.assign(policyView(r), {
            stackTags,
            getConfig,
            notApplicable: throwNotApplicable,
          }) as ResourceValidationArgs;
          // A resource violation is always about the resource validated (the SDK ignores the urn argument).
          const pending = guard(() => validate(args, report(r.urn)), r.urn);
          if (pending) await pending;
        }
      }
    } else if (isStackPolicy(p)) {
      const resources = new Map<string, StackResourceView>();
      for (const r of capture.resources) resources.set(r.urn, stackView(r, stackProps(r, view), resources));
      for (const r of capture.resources) {
        const parent = r.parent ? resources.get(r.parent) : undefined;
        if (parent) resources.get(r.urn)!.parent = parent;
      }
      await guard(() =>
        p.validateStack({ resources: [...resources.values()], stackTags, getConfig, notApplicable: throwNotApplicable }, report()),
      );
    }
  }
  const levels = Object.fromEntries([...resolved].map(([name, r]) => [name, r.level]));
  const configs = Object.fromEntries([...resolved].map(([name, r]) => [name, r.config]));
  return { violations, notApplicable, levels, configs };
}

/** A normal capture and a preview capture of the same stack: all three views. */
export interface ViewCaptures {
  normal: Capture;
  preview: Capture;
}

export const captureFor = (captures: ViewCaptures, view: View): Capture => (view === "preview" ? captures.preview : captures.normal);

/** Runs the pack in each of `views`. */
export async function runViews(
  captures: ViewCaptures,
  policies: Policies,
  packConfig: PackConfig = {},
  views: readonly View[] = VIEWS,
): Promise<Partial<Record<View, PolicyRun>>> {
  const runs: Partial<Record<View, PolicyRun>> = {};
  for (const view of views) runs[view] = await runPolicies(captureFor(captures, view), policies, packConfig, view);
  return runs;
}

/** Mandatory verdicts as "policy resource-urn" lines, the unit views are compared in. */
export const mandatoryVerdicts = (run: PolicyRun): string[] =>
  [...new Set(mandatory(run).map((v) => `${v.policyName} ${v.urn ?? "(stack)"}`))].sort();

/** Mandatory verdicts that differ between views: each line is in some views and not in others. */
export function viewDifferences(runs: Partial<Record<View, PolicyRun>>): { verdict: string; in: View[]; notIn: View[] }[] {
  const views = Object.keys(runs) as View[];
  const sets = new Map(views.map((v) => [v, new Set(mandatoryVerdicts(runs[v]!))]));
  const all = [...new Set(views.flatMap((v) => [...sets.get(v)!]))].sort();
  return all
    .map((verdict) => ({
      verdict,
      in: views.filter((v) => sets.get(v)!.has(verdict)),
      notIn: views.filter((v) => !sets.get(v)!.has(verdict)),
    }))
    .filter((d) => d.notIn.length > 0);
}

export const mandatory = (run: PolicyRun): Violation[] => run.violations.filter((v) => v.enforcementLevel === "mandatory");
