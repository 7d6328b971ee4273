/** Shared test helpers: run the real program offline for a stack + overrides, and query the graph. */
import { Capture, captureFresh, captureProgram, ResourceRecord, shareCaptures } from "../tools/capture";
import { loadStackConfig, StackSelection } from "../tools/stackConfig";
import { STAGE_NUMBERS, StageNumber, stageDefinition, STAGES } from "../components/stages";

/**
 * A dev plan at the multi-region stage sets that stage's default (memory-optimised) DB class, as
 * an operator promoting dev would: AWS rejects burstable classes in an Aurora Global Database (a
 * ConfigError). Pulumi.dev.yaml carries such a class today; this keeps the tests valid if it
 * moves back to a cheaper burstable one.
 */
export function devClassSet(stage: number): string[] {
  const definition = STAGES.find((s) => s.stage === stage);
  return definition?.capabilities.multiRegion ? [`database.instanceClass=${definition.defaults.database.instanceClass}`] : [];
}

// One capture per distinct config for the whole process: test files, the runbooks and the CLIs
// run in-process all share it (tools/capture.ts), and runs are queued (the runtime is global).
shareCaptures();
const cache = new Map<string, Promise<Capture>>();

/** Runs the program once per distinct config (a capture is shared: copy it before changing it). */
export function plan(selection: StackSelection): Promise<Capture> {
  return cachedCapture(selection, false);
}

/** The same, as a first `pulumi preview` (computed values unknown): the policy pack's preview view. */
export function previewPlan(selection: StackSelection): Promise<Capture> {
  return cachedCapture(selection, true);
}

function cachedCapture(selection: StackSelection, preview: boolean): Promise<Capture> {
  const key = preview ? `preview ${JSON.stringify(selection)}` : JSON.stringify(selection);
  let result = cache.get(key);
  if (!result) {
    result = Promise.resolve().then(() => captureProgram({ ...loadStackConfig(selection), preview }));
    cache.set(key, result);
  }
  return result;
}

/** A new run of the program for `selection`, never a shared one: for tests that compare two runs. */
export const freshPlan = (selection: StackSelection): Promise<Capture> => captureFresh({ ...loadStackConfig(selection), preview: false });

export const ofType = (capture: Capture, type: string): ResourceRecord[] => capture.resources.filter((r) => r.type === type);

export function one(capture: Capture, type: string, nameIncludes = ""): ResourceRecord {
  const found = ofType(capture, type).filter((r) => r.name.includes(nameIncludes));
  if (found.length !== 1)
    throw new Error(`expected one ${type} named *${nameIncludes}*, found ${found.map((r) => r.name).join(", ") || "none"}`);
  return found[0];
}

/** The one resource of a type with exactly this logical name. */
export function named(capture: Capture, type: string, name: string): ResourceRecord {
  const found = ofType(capture, type).filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
  return found[0];
}

export const byUrn = (capture: Capture) => new Map(capture.resources.map((r) => [r.urn, r]));

/** A plan loader for the policy CLI (tools/policy.ts) that shares the caches above. */
export const viewLoader = (selection: StackSelection, preview: boolean): Promise<Capture> =>
  preview ? previewPlan(selection) : plan(selection);

/** A hand-built resource record with the capture's defaults (a custom resource in us-east-1, no options). */
export const resourceRecord = (over: Partial<ResourceRecord> & Pick<ResourceRecord, "urn" | "type" | "name">): ResourceRecord => ({
  parent: null,
  dependencies: [],
  provider: null,
  region: "us-east-1",
  custom: true,
  protect: false,
  retainOnDelete: false,
  ignoreChanges: [],
  deleteBeforeReplace: false,
  aliases: [],
  propertyDependencies: {},
  inputs: {},
  ...over,
});

/**
 * The stacks the coverage tests plan: dev at every stage, prod walking the journey (the stage-2
 * volume kept, as the promotion tests do) and prod as configured.
 */
export const JOURNEY_SELECTIONS: StackSelection[] = [
  ...STAGE_NUMBERS.flatMap((stage) => [
    { stack: "dev", stage },
    { stack: "prod", stage, set: ["database.hostVolumeRetired=false"] },
  ]),
  { stack: "prod" },
];

/** Every custom resource type those stacks create (providers left out). */
export async function createdTypes(): Promise<Set<string>> {
  const types = new Set<string>();
  for (const selection of JOURNEY_SELECTIONS)
    for (const r of (await plan(selection)).resources) if (r.custom && !r.type.startsWith("pulumi:providers:")) types.add(r.type);
  return types;
}

/**
 * The dev stack at `stage`, healthy: with as many regions as the stage's floor asks for (dev lists
 * one) and, at the multi-region stage, a global-database class (devClassSet).
 */
export function devAt(stage: StageNumber): StackSelection {
  const regions = stageDefinition(stage).minimums.regions;
  const extra = ["us-west-2", "eu-west-1", "ap-southeast-2"].slice(0, regions - 1);
  const set = [...(extra.length > 0 ? [`regions=${JSON.stringify(["us-east-1", ...extra])}`] : []), ...devClassSet(stage)];
  return set.length > 0 ? { stack: "dev", stage, set } : { stack: "dev", stage };
}
