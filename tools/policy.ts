/**
 * The offline policy check (SPEC §Interfaces): runs the CrossGuard pack's policies over the
 * offline plan, the way `pulumi preview --policy-pack policies` would.
 *
 *   npm run policy -- [--stack dev|prod] [--stage N] [--set key.path=value]... [--config FILE]
 *
 * The pack config is `policies/config/<stack>.json` when it exists (as CI passes it to
 * `--policy-pack-config`), or `--config FILE`. Exit codes: 0 no mandatory violation, 1 a
 * mandatory violation or any other error, 2 bad stack config or bad pack config.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cliFailure, CliResult, parseCliArgs, runMain, wholeNumber } from "./cli";
import type { PolicyResource } from "@pulumi/policy";
import { stageMarker } from "../policies/ha";
import { policies } from "../policies/rules";
import { stackStage } from "../policies/support";
// Types only: the runner, the capture harness and the SDKs behind them load once there is a plan
// to check (`--help` and usage errors load none of them).
import type { Capture } from "./capture";
import type { PackConfig, PolicyRun } from "./policyRunner";
import type { StackSelection } from "./stackConfig";

export const USAGE = `usage: npm run policy -- [--stack dev|prod] [--stage N] [--set key.path=value]... [--config FILE]
  --stack NAME      stack whose Pulumi.<NAME>.yaml is used (default: dev)
  --stage N         override the stage (same as --set stage=N)
  --set K=V         override a config key (dotted path; V parsed as JSON when it parses, else a string); repeatable
  --config FILE     policy pack config (default: policies/config/<stack>.json when it exists)
  -h, --help        show this text`;

export interface PolicyArgs {
  selection: StackSelection;
  configFile?: string;
  help: boolean;
}

export function parsePolicyArgs(argv: string[]): PolicyArgs {
  const parsed = parseCliArgs(argv, {
    stack: { type: "string", default: "dev" },
    stage: { type: "string" },
    set: { type: "string", multiple: true, default: [] },
    config: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  });
  const v = parsed.values;
  return {
    // Same shape as the plan tool's selections (no empty `set`), so test caches are shared.
    selection: {
      stack: v.stack!,
      stage: v.stage === undefined ? undefined : wholeNumber("--stage", v.stage),
      set: v.set?.length ? v.set : undefined,
    },
    configFile: v.config,
    help: v.help ?? false,
  };
}

async function packConfigFor(args: PolicyArgs): Promise<{ config: PackConfig; file?: string }> {
  const { loadPackConfig, PolicyConfigError } = await import("./policyRunner");
  if (!args.configFile) return loadPackConfig(args.selection.stack);
  try {
    return { config: JSON.parse(fs.readFileSync(args.configFile, "utf8")) as PackConfig, file: args.configFile };
  } catch (err) {
    throw new PolicyConfigError([`${args.configFile}: ${(err as Error).message}`]);
  }
}

/** The stage the pack sees (marker raised by minimumStage), for the header line. */
function effectiveStage(capture: Capture, run: PolicyRun): string {
  const resources = capture.resources.map((r) => ({ type: r.type, props: r.inputs, urn: r.urn })) as unknown as PolicyResource[];
  const s = stackStage({
    resources,
    getConfig: <T extends object>() => (run.configs[stageMarker.name] ?? {}) as T,
    stackTags: new Map(),
    notApplicable: () => {
      throw new Error("not applicable");
    },
  });
  const marker = s.marker === undefined ? "no marker" : `marker ${s.marker}`;
  return `stage ${s.stage} (${s.definition.name}; ${marker}${s.production ? ", production" : ""})`;
}

export function renderRun(run: PolicyRun, header: string): string {
  const lines = [header];
  const order = { mandatory: 0, advisory: 1 } as const;
  const sorted = [...run.violations].sort(
    (a, b) =>
      order[a.enforcementLevel] - order[b.enforcementLevel] ||
      a.policyName.localeCompare(b.policyName) ||
      (a.urn ?? "").localeCompare(b.urn ?? ""),
  );
  for (const v of sorted) {
    lines.push(`[${v.enforcementLevel}] ${v.policyName}  ${v.urn ?? "(stack)"}`);
    lines.push(`    ${v.message}`);
  }
  const count = (level: string) => run.violations.filter((v) => v.enforcementLevel === level).length;
  const policiesHit = (level: string) => new Set(run.violations.filter((v) => v.enforcementLevel === level).map((v) => v.policyName)).size;
  const active = Object.values(run.levels).filter((l) => l !== "disabled").length;
  lines.push(
    `${count("mandatory")} mandatory violation(s) from ${policiesHit("mandatory")} policy(ies), ${count("advisory")} advisory from ${policiesHit("advisory")}; ${active} of ${Object.keys(run.levels).length} policies ran`,
  );
  return lines.join("\n") + "\n";
}

/** How the CLI gets its plan; tests pass their cached `plan` helper. */
export type PlanLoader = (selection: StackSelection) => Promise<Capture>;
const capturePlan: PlanLoader = async (selection) => {
  const [{ captureProgram }, { loadStackConfig }] = await Promise.all([import("./capture"), import("./stackConfig")]);
  return captureProgram(loadStackConfig(selection));
};

export async function runPolicyCli(argv: string[], load: PlanLoader = capturePlan): Promise<CliResult> {
  try {
    const args = parsePolicyArgs(argv);
    if (args.help) return { stdout: USAGE + "\n", stderr: "", code: 0 };
    const { config, file } = await packConfigFor(args);
    const capture = await load(args.selection);
    const { runPolicies } = await import("./policyRunner");
    const run = await runPolicies(capture, policies, config);
    const source = file ? `pack config ${path.relative(process.cwd(), path.resolve(file))}` : "default pack config";
    const header = `policy pack aws-scaling-journey on ${capture.stack}, ${effectiveStage(capture, run)}, ${capture.resources.length} resources, ${source}`;
    const failed = run.violations.some((v) => v.enforcementLevel === "mandatory");
    return { stdout: renderRun(run, header), stderr: "", code: failed ? 1 : 0 };
  } catch (err) {
    if (err instanceof Error && err.name === "PolicyConfigError") return { stdout: "", stderr: `${err.message}\n`, code: 2 };
    return cliFailure(err, "policy check", USAGE);
  }
}

if (require.main === module) runMain("policy check", runPolicyCli);
