/** Shared by the policy tests: run the pack over the real program's plans, degrade a plan, read the verdicts. */
import { strict as assert } from "node:assert";
import { STAGES } from "../components/stages";
import { policies } from "../policies/rules";
import type { Capture, ResourceRecord } from "../tools/capture";
import { mandatory, PackConfig, PolicyRun, runPolicies } from "../tools/policyRunner";
import type { StackSelection } from "../tools/stackConfig";
import { plan } from "./helpers";

/** The first stage whose table entry satisfies `pred` (stage rules come from the stage table, never a literal). */
export const firstStage = (pred: (s: (typeof STAGES)[number]) => boolean): (typeof STAGES)[number]["stage"] => STAGES.find(pred)!.stage;
/** The first stage with a database reader. */
export const HA_STAGE = firstStage((s) => s.minimums.dbReaders > 0);

/** What a first preview sends for an unknown string (the engine's sentinel). */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const check = async (selection: StackSelection, config: PackConfig = {}): Promise<PolicyRun> =>
  runPolicies(await plan(selection), policies, config);

export const checkCapture = (capture: Capture, config: PackConfig = {}) => runPolicies(capture, policies, config);

/** A deep copy of `capture` where `edit` changed every record `match` selects (at least one). */
export function mutated(capture: Capture, match: (r: ResourceRecord) => boolean, edit: (r: ResourceRecord) => void): Capture {
  const copy = structuredClone(capture);
  const hits = copy.resources.filter(match);
  assert.ok(hits.length > 0, "the mutation matched no resource");
  hits.forEach(edit);
  return copy;
}
export const without = (capture: Capture, match: (r: ResourceRecord) => boolean): Capture => {
  assert.ok(capture.resources.some(match), "nothing to remove");
  return { ...capture, resources: capture.resources.filter((r) => !match(r)) };
};
export const is =
  (type: string, nameIncludes = "") =>
  (r: ResourceRecord) =>
    r.type === type && r.name.includes(nameIncludes);

export const mandatoryNames = (run: PolicyRun) => [...new Set(mandatory(run).map((v) => v.policyName))].sort();
export const hits = (run: PolicyRun, policy: string) => run.violations.filter((v) => v.policyName === policy);
export function flags(run: PolicyRun, policy: string, urnIncludes = "", level: "mandatory" | "advisory" = "mandatory"): void {
  const found = hits(run, policy).filter((v) => v.enforcementLevel === level && (v.urn ?? "").includes(urnIncludes));
  assert.ok(
    found.length > 0,
    `${policy} should flag *${urnIncludes}* (${level}); violations: ${JSON.stringify(run.violations.map((v) => [v.policyName, v.message]))}`,
  );
}
export function passes(run: PolicyRun, policy: string): void {
  assert.deepEqual(
    hits(run, policy).map((v) => v.message),
    [],
    `${policy} should not flag`,
  );
}
export function cleanMandatory(run: PolicyRun): void {
  assert.deepEqual(
    mandatory(run).map((v) => `${v.policyName}: ${v.urn?.split("::").pop()}: ${v.message}`),
    [],
  );
}
