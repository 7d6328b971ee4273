/**
 * Shared by the runbook tests: runs `runRunbook` in-process (memoised, one at a time: it shares the
 * process-global Pulumi runtime with the helpers' plan()), and reads the stack files directly.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { PlanDiff } from "../tools/compare";
import { buildRunbook, presentRunbook, Runbook, runbookFailure, Step } from "../tools/runbook/index";
import { ROOT } from "../tools/stackConfig";
import { plan } from "./helpers";

import type { ChildRun as Run } from "./children";

export type { Run };

export interface RunbookDoc {
  operation: string;
  stack: string;
  stop: boolean;
  stopReasons: string[];
  findings: string[];
  steps: Step[];
  diff: PlanDiff;
  configDiff?: { onlyIn: Record<string, string[]>; changed: { key: string; from: unknown; to: unknown }[] };
}

// Building a runbook and the helpers' plan() share the process-global Pulumi runtime: never
// overlap them. A runbook is built once per argv; its text and its --json are two views of it,
// printed as `runRunbook` prints them.
const builds = new Map<string, Promise<Runbook | Run>>();
let queue: Promise<unknown> = Promise.resolve();
export async function runbook(...argv: string[]): Promise<Run> {
  const asJson = argv.includes("--json");
  const rest = argv.filter((a) => a !== "--json");
  const key = JSON.stringify(rest);
  let built = builds.get(key);
  if (!built) {
    built = queue.then(() => buildRunbook(rest).catch((err: unknown) => runbookFailure(err)));
    queue = built.catch(() => undefined);
    builds.set(key, built);
  }
  const result = await built;
  return "code" in result ? result : presentRunbook(result, asJson);
}
export async function captured(selection: Parameters<typeof plan>[0]) {
  const result = queue.then(() => plan(selection));
  queue = result.catch(() => undefined);
  return result;
}
export async function json(...argv: string[]): Promise<{ run: Run; doc: RunbookDoc }> {
  const run = await runbook(...argv, "--json");
  assert.ok(run.stdout, `no JSON output: ${run.stderr}`);
  return { run, doc: JSON.parse(run.stdout) as RunbookDoc };
}

export const stackFile = (stack: string) =>
  (parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, unknown> }).config;
export const PROJECT = (parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { name: string }).name;
export const prodRegions = stackFile("prod")[`${PROJECT}:regions`] as string[];

/** Index of the first step whose title or commands match. */
export function stepIndex(steps: Step[], pattern: RegExp): number {
  return steps.findIndex((s) => pattern.test(s.title) || s.commands.some((c) => pattern.test(c)));
}
export const allCommands = (steps: Step[]) => steps.flatMap((s) => s.commands);
export const noStackTrace = (text: string) => !/^\s+at /m.test(text);

export function assertNumbered(doc: RunbookDoc): void {
  assert.ok(doc.steps.length > 0);
  assert.deepEqual(
    doc.steps.map((s) => s.n),
    doc.steps.map((_, i) => i + 1),
  );
}

export function assertInOrder(steps: Step[], patterns: RegExp[]): void {
  const at = patterns.map((p) => stepIndex(steps, p));
  at.forEach((i, k) => assert.ok(i >= 0, `no step matches ${patterns[k]}`));
  for (let k = 1; k < at.length; k++) assert.ok(at[k - 1] <= at[k], `${patterns[k - 1]} comes before ${patterns[k]}`);
}
