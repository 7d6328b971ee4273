/**
 * The offline policy check (SPEC §Interfaces): runs the CrossGuard pack's policies over the
 * offline plan, the way `pulumi preview --policy-pack policies` would.
 *
 *   npm run policy -- [--stack dev|prod] [--stage N] [--set key.path=value]... [--config FILE]
 *                     [--view inputs|preview|deployed] [--json]
 *
 * The pack config is `policies/config/<stack>.json` when it exists (as CI passes it to
 * `--policy-pack-config`), or `--config FILE`. By default the pack runs in all three views of
 * SPEC invariant 8 (tools/policyRunner.ts) and any mandatory verdict on which they differ is
 * reported. Exit codes: 0 no mandatory violation in any view run, 1 a mandatory violation (or
 * any other error, a bad flag included), 2 bad stack config or bad pack config.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cliFailure, CliResult, parseCliArgs, runMain, UsageError, wholeNumber } from "./cli";
import type { PolicyResource } from "@pulumi/policy";
import type { Capture } from "./capture";
import type { PackConfig, PolicyRun, Violation } from "./policyRunner";
import { View, VIEW_TITLES, VIEWS } from "./policyViews";
import type { StackSelection } from "./stackConfig";

// Loaded on first use, not at startup: `--help` and usage errors load neither the pack nor the
// runner, the program and the Pulumi SDK behind them (test/startup.test.ts).
/* eslint-disable @typescript-eslint/no-require-imports */
const pack = () => require("../policies/rules") as typeof import("../policies/rules");
const ha = () => require("../policies/ha") as typeof import("../policies/ha");
const support = () => require("../policies/support") as typeof import("../policies/support");
const runner = () => require("./policyRunner") as typeof import("./policyRunner");
const capturing = () => require("./capture") as typeof import("./capture");
const stackConfig = () => require("./stackConfig") as typeof import("./stackConfig");
/* eslint-enable @typescript-eslint/no-require-imports */

export const USAGE = `usage: npm run policy -- [--stack dev|prod] [--stage N] [--set key.path=value]... [--config FILE] [--view VIEW] [--json]
  --stack NAME      stack whose Pulumi.<NAME>.yaml is used (default: dev)
  --stage N         override the stage (same as --set stage=N)
  --set K=V         override a config key (dotted path; V parsed as JSON when it parses, else a string); repeatable
  --config FILE     policy pack config (default: policies/config/<stack>.json when it exists)
  --view VIEW       what the policies see: inputs (the program's inputs), preview (a first pulumi preview:
                    computed values unknown) or deployed (outputs as AWS reports them after create);
                    repeatable; default: all three, reporting any mandatory verdict on which they differ
  --json            print one JSON object instead of text
  -h, --help        show this text`;

export interface PolicyArgs {
  selection: StackSelection;
  configFile?: string;
  views: View[];
  json: boolean;
  help: boolean;
}

export function parsePolicyArgs(argv: string[]): PolicyArgs {
  const parsed = parseCliArgs(argv, {
    stack: { type: "string", default: "dev" },
    stage: { type: "string" },
    set: { type: "string", multiple: true, default: [] },
    config: { type: "string" },
    view: { type: "string", multiple: true, default: [] },
    json: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  const v = parsed.values;
  for (const view of v.view ?? [])
    if (!(VIEWS as readonly string[]).includes(view))
      throw new UsageError(`--view takes one of ${VIEWS.join(", ")}, got "${view}" (leave it out to run all three)`);
  return {
    // Same shape as the plan tool's selections (no empty `set`), so test caches are shared.
    selection: {
      stack: v.stack!,
      stage: v.stage === undefined ? undefined : wholeNumber("--stage", v.stage),
      set: v.set?.length ? v.set : undefined,
    },
    configFile: v.config,
    views: v.view?.length ? VIEWS.filter((view) => v.view!.includes(view)) : [...VIEWS],
    json: v.json ?? false,
    help: v.help ?? false,
  };
}

function packConfigFor(args: PolicyArgs): { config: PackConfig; file?: string } {
  if (!args.configFile) return runner().loadPackConfig(args.selection.stack);
  try {
    return { config: JSON.parse(fs.readFileSync(args.configFile, "utf8")) as PackConfig, file: args.configFile };
  } catch (err) {
    throw new (runner().PolicyConfigError)([`${args.configFile}: ${(err as Error).message}`]);
  }
}

/** The stage the pack sees (marker raised by minimumStage), for the header line. */
function effectiveStage(capture: Capture, run: PolicyRun): string {
  const resources = capture.resources.map((r) => ({ type: r.type, props: r.inputs, urn: r.urn })) as unknown as PolicyResource[];
  const s = support().stackStage({
    resources,
    getConfig: <T extends object>() => (run.configs[ha().stageMarker.name] ?? {}) as T,
    stackTags: new Map(),
    notApplicable: () => {
      throw new Error("not applicable");
    },
  });
  const marker = s.marker === undefined ? "no marker" : `marker ${s.marker}`;
  return `stage ${s.stage} (${s.definition.name}; ${marker}${s.production ? ", production" : ""})`;
}

/**
 * A URN as a person reads it: the resource's name and type, without the stack, project and the
 * parent's type chain (`urn:pulumi:dev::proj::a$b$aws:rds/cluster:Cluster::us-east-1-db` →
 * `us-east-1-db (aws:rds/cluster:Cluster)`).
 */
export function shortUrn(urn: string | undefined): string {
  if (!urn) return "(stack)";
  const parts = urn.split("::");
  if (parts.length < 4) return urn;
  const type = parts[2].split("$").pop();
  return `${parts.slice(3).join("::")} (${type})`;
}

const LEVEL_ORDER = { mandatory: 0, advisory: 1 } as const;
const byLevelPolicyUrn = (a: Violation, b: Violation) =>
  LEVEL_ORDER[a.enforcementLevel] - LEVEL_ORDER[b.enforcementLevel] ||
  a.policyName.localeCompare(b.policyName) ||
  (a.urn ?? "").localeCompare(b.urn ?? "");

function summary(run: PolicyRun): string {
  const count = (level: string) => run.violations.filter((v) => v.enforcementLevel === level).length;
  const policiesHit = (level: string) => new Set(run.violations.filter((v) => v.enforcementLevel === level).map((v) => v.policyName)).size;
  const active = Object.values(run.levels).filter((l) => l !== "disabled").length;
  return `${count("mandatory")} mandatory violation(s) from ${policiesHit("mandatory")} policy(ies), ${count("advisory")} advisory from ${policiesHit("advisory")}; ${active} of ${Object.keys(run.levels).length} policies ran`;
}

export function renderRun(run: PolicyRun, header: string): string {
  const lines = [header];
  for (const v of [...run.violations].sort(byLevelPolicyUrn)) {
    lines.push(`[${v.enforcementLevel}] ${v.policyName}  ${shortUrn(v.urn)}`);
    lines.push(`    ${v.message}`);
  }
  lines.push(summary(run));
  return lines.join("\n") + "\n";
}

/** Every view's run, then the mandatory verdicts on which the views differ. */
export function renderViews(runs: Partial<Record<View, PolicyRun>>, header: string): string {
  const views = Object.keys(runs) as View[];
  const parts = [header];
  for (const view of views) parts.push(renderRun(runs[view]!, `\n== view ${view} (${VIEW_TITLES[view]}) ==`).trimEnd());
  if (views.length > 1) {
    const differences = runner().viewDifferences(runs);
    parts.push(
      differences.length === 0
        ? `\nthe ${views.length} views agree on every mandatory verdict`
        : `\nthe views differ on ${differences.length} mandatory verdict(s):`,
    );
    for (const d of differences) {
      const [policy, urn] = [d.verdict.slice(0, d.verdict.indexOf(" ")), d.verdict.slice(d.verdict.indexOf(" ") + 1)];
      parts.push(`  ${policy}  ${shortUrn(urn === "(stack)" ? undefined : urn)}: in ${d.in.join(", ")}, not in ${d.notIn.join(", ")}`);
    }
  }
  return parts.join("\n") + "\n";
}

/** How the CLI gets its plan (a normal capture, or a first preview's); tests pass cached ones. */
export type PlanLoader = (selection: StackSelection, preview: boolean) => Promise<Capture>;
const capturePlan: PlanLoader = (selection, preview) =>
  capturing().captureProgram({ ...stackConfig().loadStackConfig(selection), preview });

export async function runPolicyCli(argv: string[], load: PlanLoader = capturePlan): Promise<CliResult> {
  try {
    const args = parsePolicyArgs(argv);
    if (args.help) return { stdout: USAGE + "\n", stderr: "", code: 0 };
    // The stack's config is checked before the pack, the program and the Pulumi SDK load: a
    // config error is reported at once (and before a pack config error: the stack comes first).
    stackConfig().checkStackConfig(stackConfig().loadStackConfig(args.selection));
    const { config, file } = packConfigFor(args);
    const runs: Partial<Record<View, PolicyRun>> = {};
    let normal: Capture | undefined;
    let preview: Capture | undefined;
    for (const view of args.views) {
      const capture = view === "preview" ? (preview ??= await load(args.selection, true)) : (normal ??= await load(args.selection, false));
      runs[view] = await runner().runPolicies(capture, pack().policies, config, view);
    }
    const first = runs[args.views[0]]!;
    const capture = (normal ?? preview)!;
    const source = file ? `pack config ${path.relative(process.cwd(), path.resolve(file))}` : "default pack config";
    const failed = Object.values(runs).some((run) => run!.violations.some((v) => v.enforcementLevel === "mandatory"));
    if (args.json) {
      const json = {
        pack: pack().PACK_NAME,
        project: capture.project,
        stack: capture.stack,
        stage: effectiveStage(capture, first),
        resources: capture.resources.length,
        packConfig: file ? path.relative(process.cwd(), path.resolve(file)) : null,
        views: Object.fromEntries(
          Object.entries(runs).map(([view, run]) => [
            view,
            {
              violations: [...run!.violations].sort(byLevelPolicyUrn).map((v) => ({ ...v, resource: v.urn ? shortUrn(v.urn) : null })),
              notApplicable: run!.notApplicable,
              mandatory: run!.violations.filter((v) => v.enforcementLevel === "mandatory").length,
              advisory: run!.violations.filter((v) => v.enforcementLevel === "advisory").length,
            },
          ]),
        ),
        differences: runner().viewDifferences(runs),
        levels: first.levels,
      };
      return { stdout: JSON.stringify(json, null, 2) + "\n", stderr: "", code: failed ? 1 : 0 };
    }
    const header = `policy pack ${pack().PACK_NAME} on ${capture.stack}, ${effectiveStage(capture, first)}, ${capture.resources.length} resources, ${source}`;
    const stdout =
      args.views.length === 1
        ? renderRun(first, `${header}, view ${args.views[0]} (${VIEW_TITLES[args.views[0]]})`)
        : renderViews(runs, header);
    return { stdout, stderr: "", code: failed ? 1 : 0 };
  } catch (err) {
    if (err instanceof Error && err.name === "PolicyConfigError") return { stdout: "", stderr: `${err.message}\n`, code: 2 };
    return cliFailure(err, "policy check", USAGE);
  }
}

if (require.main === module) runMain("policy check", runPolicyCli);
