/**
 * Printed, ordered runbooks for the operations of SPEC §"Who uses it" (ops promoting across
 * regions), each followed by the offline diff of what `pulumi up` will change.
 *
 * The "before" and "after" plans are captured offline (the real program under mocks, as
 * `npm run plan` does) and diffed with `comparePlans`; the diff is printed with the plan tool's
 * renderer. A runbook whose diff removes or replaces a stateful resource says STOP at the top and
 * exits 1. Stage-specific steps come from the stage table's capabilities (`operatorSteps.ts`,
 * which the README's promotion table also reads), never from stage numbers. Exit codes: 0 ok,
 * 1 stateful risk, usage error or any other error, 2 bad config.
 *
 * One file per operation: promote.ts, addRegion.ts, failover.ts, devToProd.ts, hostVolume.ts
 * (retire-host-volume), domain.ts (add-domain); steps.ts, stack.ts, render.ts, args.ts are shared.
 */
import { cliFailure, CliResult } from "../cli";
import { comparePlans, loadReplaceTriggers } from "../compare";
import { addRegion } from "./addRegion";
import { Args, Operation, parseRunbookArgs, USAGE } from "./args";
import { devToProd } from "./devToProd";
import { addDomain } from "./domain";
import { failover } from "./failover";
import { retireHostVolume } from "./hostVolume";
import { promote } from "./promote";
import { renderRunbook, runbookJson } from "./render";
import { Built, Runbook, statefulStop } from "./steps";

export { OPERATIONS, parseRunbookArgs, USAGE } from "./args";
export type { Operation } from "./args";
export { renderRunbook, runbookJson } from "./render";
export { diffConfig, flattenConfig } from "./stack";
export type { ConfigDiff } from "./stack";
export type { Runbook, Step } from "./steps";

const BUILDERS: Record<Operation, (args: Args) => Promise<Built>> = {
  promote,
  "add-region": addRegion,
  failover,
  "dev-to-prod": devToProd,
  "retire-host-volume": retireHostVolume,
  "add-domain": addDomain,
};

const triggers = loadReplaceTriggers();

export async function buildRunbook(argv: string[]): Promise<Runbook> {
  const args = parseRunbookArgs(argv);
  const built = await BUILDERS[args.operation](args);
  const diff = comparePlans(built.before, built.after, triggers);
  const stopReasons = (built.stopReasons ?? statefulStop)(diff);
  return {
    operation: args.operation,
    stack: built.stack,
    summary: built.summary,
    steps: built.steps.list,
    diff,
    fromLabel: built.fromLabel,
    toLabel: built.toLabel,
    stop: stopReasons.length > 0,
    stopReasons,
    findings: built.findings,
    configDiff: built.configDiff,
  };
}

/** What the CLI prints for a runbook, and its exit code (1 on STOP). */
export function presentRunbook(rb: Runbook, json: boolean): CliResult {
  const stdout = json ? JSON.stringify(runbookJson(rb), null, 2) + "\n" : renderRunbook(rb);
  const stderr = rb.stop ? "runbook: STOP, see the top of the runbook\n" : "";
  return { stdout, stderr, code: rb.stop ? 1 : 0 };
}

export const runbookFailure = (err: unknown): CliResult => cliFailure(err, "runbook", USAGE);

/** Runs the CLI and returns what to print and the exit code (no process side effects). */
export async function runRunbook(argv: string[]): Promise<CliResult> {
  try {
    const args = parseRunbookArgs(argv);
    if (args.help) return { stdout: USAGE + "\n", stderr: "", code: 0 };
    return presentRunbook(await buildRunbook(argv), args.json);
  } catch (err) {
    return runbookFailure(err);
  }
}
