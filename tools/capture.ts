/**
 * Runs the real program (`index.ts`) under Pulumi's mock engine and records every registered
 * resource: URN, parent, dependencies, provider, region, protect/retainOnDelete and inputs.
 * The plan tool, the policy runner, the benchmark and the tests all use this one module.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { createMocks, MockState, regionOfProviderRef } from "./mocks";
import { configValueStrings } from "../components/config";

export { UNKNOWN } from "./mocks";

// Internal runtime helpers the SDK exports in JS but not in its typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeState = require("@pulumi/pulumi/runtime/state");
// The protobuf Struct module the SDK and its mock monitor build their messages with.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const structPb = require("google-protobuf/google/protobuf/struct_pb");

export const PROGRAM = path.resolve(__dirname, "..", "index.ts");

export interface ResourceRecord {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  dependencies: string[];
  provider: string | null;
  /** Where the resource lives: its `region` input, else its provider's region; null if neither. */
  region: string | null;
  custom: boolean;
  protect: boolean;
  retainOnDelete: boolean;
  ignoreChanges: string[];
  deleteBeforeReplace: boolean;
  /**
   * Whether the program set the deleteBeforeReplace option at all: set (true or false), it
   * overrides the provider's choice (step_generator.go lines 2043-2047); unset, the provider decides.
   */
  deleteBeforeReplaceDefined?: boolean;
  /** The id the mock engine gave (a custom resource's physical id; "" in a preview's create). */
  id?: string;
  /** Each alias as the program declared it: a full URN, or a spec (name/type/parent/stack/project). */
  aliases: AliasRecord[];
  /** Input property → URNs of the resources its value came from (what the engine records). */
  propertyDependencies: Record<string, string[]>;
  inputs: Record<string, any>;
  /**
   * The resource's state as the engine keeps it after the step (what `analyzeStack` receives):
   * after a create in a normal run (the deployed view), or the provider's planned state in a
   * preview, where what AWS computes is unknown. Modelled per type in tools/mocks.ts.
   */
  outputs?: Record<string, any>;
}

/**
 * An alias as sent to the engine (`pulumirpc.Alias`): either a full URN, or a spec whose unset
 * fields mean "the same as the resource's own". `parentUrn` undefined with `noParent` false means
 * "the same parent"; `noParent` true means the old resource had no parent.
 */
export interface AliasRecord {
  urn?: string;
  name?: string;
  type?: string;
  stack?: string;
  project?: string;
  parentUrn?: string;
  noParent?: boolean;
}

function aliasRecord(a: any): AliasRecord {
  const urn: string = a.getUrn?.() ?? "";
  if (urn) return { urn };
  const spec = a.getSpec?.();
  if (!spec) return {};
  const out: AliasRecord = {};
  if (spec.getName()) out.name = spec.getName();
  if (spec.getType()) out.type = spec.getType();
  if (spec.getStack()) out.stack = spec.getStack();
  if (spec.getProject()) out.project = spec.getProject();
  if (spec.getParenturn()) out.parentUrn = spec.getParenturn();
  if (spec.getNoparent()) out.noParent = true;
  return out;
}

function propertyDependenciesOf(req: any): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
    out[key] = deps.getUrnsList();
  });
  return out;
}

/**
 * Which run a capture comes from: a normal run (`preview` false: the program's inputs, and the
 * outputs after a create) or a first preview (`preview` true: inputs and outputs hold
 * {@link UNKNOWN} wherever a value is not known until apply).
 */
export interface Capture {
  project: string;
  stack: string;
  preview?: boolean;
  resources: ResourceRecord[];
  outputs: Record<string, unknown>;
  /** Messages the program logged with pulumi.log.warn. */
  warnings: string[];
}

export interface CaptureOptions {
  project: string;
  stack: string;
  /** Full config keys (`project:key`, `aws:region`) to values; non-strings are JSON-encoded. */
  config: Record<string, unknown>;
  /** Run as a first `pulumi preview` (setMocks `preview`): computed values are unknown. */
  preview?: boolean;
}

/** Asset paths relative to the repo, so that a plan reads the same on every machine. */
function repoRelative(file: unknown): string | undefined {
  return typeof file === "string" ? path.relative(path.dirname(PROGRAM), file) : undefined;
}

/**
 * Inputs as plain JSON data, the way a policy or a reader sees them: secrets unwrapped, assets
 * and archives described by their source, resource references by id (custom) or URN. With
 * `sortKeys`, every object's keys in sorted order, as a protobuf Struct gives them back
 * (google-protobuf's map `forEach` sorts its keys; @pulumi/policy's server.js reads the engine's
 * Structs that way).
 */
export function plainValue(value: unknown, sortKeys = false): any {
  if (Array.isArray(value)) return value.map((v) => plainValue(v, sortKeys));
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  const sig = object[rpc.specialSigKey];
  if (sig === rpc.specialSecretSig) return plainValue(object.value, sortKeys);
  if (sig === rpc.specialResourceSig) return object.id || object.urn;
  if (sig === rpc.specialAssetSig) return { asset: repoRelative(object.path) ?? object.uri ?? "(inline text)" };
  if (sig === rpc.specialArchiveSig) return { archive: repoRelative(object.path) ?? object.uri ?? plainValue(object.assets, sortKeys) };
  const keys = Object.keys(object);
  if (sortKeys) keys.sort();
  const plain: Record<string, unknown> = {};
  for (const k of keys) plain[k] = plainValue(object[k], sortKeys);
  return plain;
}

/** The root stack's type: a parent of this type adds nothing to a child's URN (urn.go `New`). */
const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** A URN's parts as the engine reads them (urn.go `QualifiedType`, `Type`, `Name`). */
const urnParts = (urn: string) => {
  const [, , qualifiedType = "", ...name] = urn.split("::");
  return { qualifiedType, type: qualifiedType.split("$").pop()!, name: name.join("::") };
};

/** A URN's stack and project. */
const urnScope = (urn: string) => {
  const [, stack = "", , project = ""] = /^urn:pulumi:(([^:]|:(?!:))*)::([^:]+)::/.exec(urn) ?? [];
  return { stack, project };
};

/**
 * The URNs a resource's aliases name, resolved as the engine does (pulumi/pulumi
 * pkg/resource/deploy/step_generator.go@1b5949891b3cefcb9974752b24a5ecef0acc86c8,
 * `collapseAliasToUrn` line 545, `inheritedChildAlias` line 590, `generateAliases` line 621):
 *
 * - each alias of its own: a full URN as given; a spec whose unset fields take the resource's own
 *   name, type, project and stack (with a parent, the parent URN's stack and project, as the
 *   engine's `CreateURN`); an unset parent means the resource's own parent, `noParent`
 *   (or the root stack) none, and a parent that was itself matched through an alias stands for
 *   the old URN it matched;
 * - then, when its parent was matched through an alias (`matchedThrough`: new URN → the old URN
 *   it matched, the engine's `sg.aliases`, filled in registration order), the aliases it inherits:
 *   its own name and type under the parent's old URN, and the same for each of its own aliases. A
 *   name that starts with the parent's name swaps that prefix for the old parent's name (the
 *   `<parent>-suffix` convention). Inherited URNs use the resource's own project and stack, as the
 *   engine does (the Node SDK's `allAliases` would take the parent alias's; it only runs against
 *   an engine without alias specs, which the SDK's mocks are not).
 */
export function aliasUrns(
  record: Pick<ResourceRecord, "urn" | "type" | "name" | "parent" | "aliases">,
  matchedThrough: ReadonlyMap<string, string> = new Map(),
): string[] {
  const { stack: stackPart, project } = urnScope(record.urn);
  const own = record.aliases.map((a) => {
    if (a.urn) return a.urn;
    let parent = a.parentUrn ? (matchedThrough.get(a.parentUrn) ?? a.parentUrn) : (record.parent ?? "");
    if (a.noParent || (parent && urnParts(parent).qualifiedType === ROOT_STACK_TYPE)) parent = "";
    // With a parent, the engine builds the URN from the parent URN's stack and project and ignores
    // the alias's own (sdk/go/common/resource/alias.go `CreateURN`).
    const scope = parent ? urnScope(parent) : { stack: a.stack ?? stackPart, project: a.project ?? project };
    return engineUrn(scope.project, scope.stack, parent, a.type ?? record.type, a.name ?? record.name);
  });
  const parentAlias = record.parent ? matchedThrough.get(record.parent) : undefined;
  const inherited: string[] = [];
  if (record.parent && parentAlias) {
    const parentName = urnParts(record.parent).name;
    const inherit = (type: string, name: string) =>
      engineUrn(
        project,
        stackPart,
        parentAlias,
        type,
        name.startsWith(parentName) ? urnParts(parentAlias).name + name.slice(parentName.length) : name,
      );
    inherited.push(inherit(record.type, record.name));
    for (const alias of own) inherited.push(inherit(urnParts(alias).type, urnParts(alias).name));
  }
  return [...new Set([...own, ...inherited])];
}

/** The URN the Pulumi engine gives: the parent's whole type chain, then this type. */
export function engineUrn(project: string, stack: string, parent: string, type: string, name: string): string {
  const parentType = parent ? urnParts(parent).qualifiedType : "";
  const qualifiedType = parentType && parentType !== ROOT_STACK_TYPE ? `${parentType}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualifiedType}::${name}`;
}

let running = false;

/**
 * Drops the previous run's program module so that `require` runs it again. Node also lists every
 * module a module required in its `children`: without removing it there, each run's module (its
 * exports, and through their outputs the whole resource graph of that run) stays reachable for the
 * life of the process, and a process that plans many times (the tests) spends its time in GC.
 */
function forgetProgram(): void {
  const previous = require.cache[PROGRAM];
  if (!previous) return;
  delete require.cache[PROGRAM];
  const at = module.children.indexOf(previous);
  if (at >= 0) module.children.splice(at, 1);
  // Components keep the first run's module as their `module.parent`: empty it, so that no run's
  // exports (its stack outputs, and through them its resource graph) stay reachable.
  previous.exports = {};
  previous.children.length = 0;
}

let shared: { captures: Map<string, Promise<Capture>>; queue: Promise<unknown> } | undefined;

/**
 * For a process that plans many times (the test suite): from now on `captureProgram` returns one
 * capture per distinct options (config and preview), shared by every caller (test helpers, the
 * runbooks, the plan and policy CLIs run in-process), and queues calls instead of refusing an
 * overlap. The program is deterministic (SPEC invariant 5), so sharing changes no result; callers
 * must not modify a capture (copy it first). A test that compares two real runs uses
 * {@link captureFresh}.
 */
export function shareCaptures(): void {
  shared ??= { captures: new Map(), queue: Promise.resolve() };
}

/** Runs `index.ts` under mocks with the given config (once per distinct options after {@link shareCaptures}). */
export function captureProgram(options: CaptureOptions): Promise<Capture> {
  if (!shared) return captureOnce(options);
  const key = JSON.stringify({ ...options, preview: options.preview ?? false });
  let result = shared.captures.get(key);
  if (!result) {
    result = captureFresh(options);
    shared.captures.set(key, result);
    result.catch(() => shared?.captures.delete(key));
  }
  return result;
}

/** A new run of the program, never a shared one; queued behind the others after {@link shareCaptures}. */
export function captureFresh(options: CaptureOptions): Promise<Capture> {
  if (!shared) return captureOnce(options);
  const result = shared.queue.then(() => captureOnce(options));
  shared.queue = result.catch(() => undefined);
  return result;
}

/** Runs `index.ts` once under mocks with the given config. Calls must not overlap. */
async function captureOnce(options: CaptureOptions): Promise<Capture> {
  if (running) throw new Error("captureProgram calls must not overlap: the Pulumi runtime is process-global");
  running = true;
  // The SDK's debugging aids, which a capture has no use for, are off while it runs: a stack
  // trace for every promise and resource, and each resource's source position (the whole stack,
  // parsed frame by frame) sent to the engine for its messages; the mock monitor drops it, and a
  // capture records none. PLAN_STACK_TRACES=1 (or the SDK's PULUMI_DEBUG_PROMISE_LEAKS) keeps them,
  // and converts every Struct back (`recordedValue` below): the capture runs exactly as the SDK's.
  const keepTraces = Boolean(process.env.PLAN_STACK_TRACES || debuggable.debugPromiseLeaks);
  const stackTraceLimit = Error.stackTraceLimit;
  if (!keepTraces) {
    Error.stackTraceLimit = 0;
    debuggable.debuggablePromise = trackedPromise;
    resourceClass.callsites = noCallsites;
    structPb.Struct.fromJavaScript = rememberingFromJavaScript;
  }
  try {
    return await run(options);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    debuggable.debuggablePromise = sdkDebuggablePromise;
    resourceClass.callsites = sdkCallsites;
    structPb.Struct.fromJavaScript = sdkStructFromJavaScript;
    running = false;
  }
}

/**
 * A capture records each request's inputs and each response's outputs as plain objects. The SDK
 * builds the request's Struct from a plain object (resource.js `registerResource`) and the mock
 * monitor the response's (mocks.js); the same Struct.fromJavaScript, remembering that object, lets
 * the capture read it back instead of converting the Struct again (a quarter of the conversions a
 * resource costs). Neither object is changed once its Struct is built. Only outermost Structs are
 * remembered (Value.fromJavaScript calls this for every nested object, which is never read back).
 * With PLAN_STACK_TRACES=1 every Struct is converted, and a test checks that both ways record the
 * same, key order included.
 */
const sdkStructFromJavaScript: (value: Record<string, unknown>) => object = structPb.Struct.fromJavaScript;
const structSources = new WeakMap<object, Record<string, unknown>>();
let structDepth = 0;
function rememberingFromJavaScript(value: Record<string, unknown>): object {
  structDepth++;
  try {
    const struct = sdkStructFromJavaScript(value);
    if (structDepth === 1) structSources.set(struct, value);
    return struct;
  } finally {
    structDepth--;
  }
}
/** A request's or response's properties as recorded: plain, keys sorted as the Struct gives them. */
const recordedValue = (struct: { toJavaScript(): Record<string, unknown> }): Record<string, any> =>
  plainValue(structSources.get(struct) ?? struct.toJavaScript(), true);

// `Resource.callsites` (resource.js; private in the typings): without it a resource sends what it
// sends when no frame has a position (`stackTrace(4)` empty, `sourcePosition` undefined).
const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };
const sdkCallsites = resourceClass.callsites;
const noCallsites = (): unknown[] => [];

let leakDetectorScheduled = false;

/**
 * The SDK's `debuggablePromise` (runtime/debuggable.js) without its debugging aids: it still
 * tracks every promise as a leak candidate until it settles, so the exit-time check for promises
 * left pending (a cyclic dependency, a missing `await`) still works, but it no longer defines
 * three properties on each promise and captures a stack trace that, with no stack frames kept,
 * says nothing. Those were a quarter of a capture's time. The SDK's own runs once, to schedule
 * the exit-time check.
 */
export function trackedPromise<T>(p: Promise<T>, ctx: unknown): Promise<T> {
  if (!leakDetectorScheduled) {
    leakDetectorScheduled = true;
    return sdkDebuggablePromise(p, ctx);
  }
  const store: { leakCandidates: Set<Promise<unknown>> } = runtimeState.getStore();
  store.leakCandidates.add(p);
  // The SDK's own shape, `.then(...).catch(...)`: one step fewer (`.then(f, g)`) settles the
  // result a microtask earlier and changes the order in which the program registers resources.
  return p
    .then((value) => {
      store.leakCandidates.delete(p);
      return value;
    })
    .catch((err) => {
      store.leakCandidates.delete(p);
      err.promise = p;
      throw err;
    });
}
const sdkDebuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T> = debuggable.debuggablePromise;

async function run({ project, stack, config, preview = false }: CaptureOptions): Promise<Capture> {
  const state: MockState = { providerRegions: new Map() };
  await pulumi.runtime.setMocks(createMocks(state, { preview }), project, stack, preview);
  // Keys as given: the runtime reads them itself (runtime/config.js cleanKey).
  pulumi.runtime.setAllConfig(configValueStrings(config));

  const resources: ResourceRecord[] = [];
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: unknown, resp?: any) => void) =>
    register(req, (err: unknown, resp: any) => {
      if (err) return callback(err);
      const type: string = req.getType();
      const name: string = req.getName();
      const parent: string = req.getParent();
      const urn = engineUrn(project, stack, parent, type, name);
      const mockUrn: string = resp.getUrn();
      if (mockUrn !== urn) {
        monitor.resources.set(urn, { ...monitor.resources.get(mockUrn), urn });
        monitor.resources.delete(mockUrn);
        resp.setUrn(urn);
      }
      const inputs = recordedValue(req.getObject());
      const provider: string = req.getProvider();
      resources.push({
        urn,
        type,
        name,
        parent: parent || null,
        dependencies: req.getDependenciesList(),
        provider: provider || null,
        region: type.startsWith("pulumi:providers:")
          ? (inputs.region ?? null)
          : req.getCustom()
            ? (inputs.region ?? regionOfProviderRef(state, provider) ?? null)
            : null,
        custom: req.getCustom(),
        protect: req.getProtect() ?? false,
        retainOnDelete: req.getRetainondelete() ?? false,
        ignoreChanges: req.getIgnorechangesList(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        deleteBeforeReplaceDefined: req.getDeletebeforereplacedefined(),
        id: resp.getId() || undefined,
        aliases: req.getAliasesList().map(aliasRecord),
        propertyDependencies: propertyDependenciesOf(req),
        inputs,
        outputs: resp.getObject() ? recordedValue(resp.getObject()) : {},
      });
      callback(null, resp);
    });

  const warnings: string[] = [];
  const originalWarn = pulumi.log.warn;
  (pulumi.log as any).warn = async (msg: string) => {
    warnings.push(msg);
  };
  try {
    forgetProgram();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(PROGRAM) as Record<string, unknown>;
    // In a preview an apply over an unknown never runs; the SDK's own `promise(withUnknowns)`
    // (what it uses to send stack outputs) gives the value with unknowns in place.
    const outputs = plainValue(
      await (pulumi.output(exported) as unknown as { promise(withUnknowns: boolean): Promise<unknown> }).promise(true),
    ) as Record<string, unknown>;
    await settings.waitForRPCs();
    return { project, stack, preview, resources, outputs, warnings };
  } finally {
    (pulumi.log as any).warn = originalWarn;
  }
}
