/** A runbook as text (steps, findings, then the diff) or as one JSON object. */
import { renderDiff } from "../render";
import { Runbook } from "./steps";

export function renderRunbook(rb: Runbook): string {
  const out: string[] = [];
  if (rb.stop) {
    const bar = "#".repeat(78);
    out.push(
      bar,
      `STOP: do not run this runbook as is. The diff below would lose or rebuild data (${rb.stopReasons.length} finding(s)):`,
      ...rb.stopReasons.map((r) => `  ${r}`),
      "Fix the config first, or snapshot and retire those resources as a separate, deliberate change.",
      bar,
      "",
    );
  }
  out.push(`Runbook: ${rb.summary}`, "");
  for (const step of rb.steps) {
    out.push(`${step.n}. ${step.title}`);
    for (const c of step.commands) out.push(`     $ ${c}`);
    for (const n of step.notes) out.push(`     ${n}`);
  }
  if (rb.findings.length > 0) out.push("", ...rb.findings);
  out.push("", renderDiff(rb.diff, rb.fromLabel, rb.toLabel));
  return out.join("\n");
}

export function runbookJson(rb: Runbook) {
  return {
    operation: rb.operation,
    stack: rb.stack,
    summary: rb.summary,
    stop: rb.stop,
    stopReasons: rb.stopReasons,
    steps: rb.steps,
    findings: rb.findings,
    ...(rb.configDiff ? { configDiff: rb.configDiff } : {}),
    diff: rb.diff,
  };
}
