/**
 * The offline plan: runs the real program under Pulumi's mock engine and prints what it would
 * create (SPEC §Interfaces).
 *
 *   npm run plan -- [--stack dev|prod] [--stage N] [--set key.path=value]... [--json | --mermaid]
 *                   [--compare [N]] [--to-set key.path=value]...
 *
 * `--compare N` treats the current selection (stack, `--stage`, `--set`) as the running stack and
 * stage N of the same stack (same `--set` overrides, then the `--to-set` ones) as the target:
 * "what happens going from here to stage N". `--to-set` alone compares the same stage with the
 * target's own overrides, so a config change (an instance type, one more reader) can be diffed.
 * Exit codes: 0 ok (also when the diff puts stateful resources at risk: it is a
 * report), 2 bad config, 1 anything else.
 */
import { cliFailure, CliResult, parseCliArgs, runMain, wholeNumber } from "./cli";
import { isStageNumber, stageDefinition } from "../components/stages";
import { Capture, captureProgram } from "./capture";
import { comparePlans, loadReplaceTriggers } from "./compare";
import { planJson, planRegions, planStage, renderDiff, renderMermaid, renderTree } from "./render";
import { buildArchitecture, renderArchitectureMermaid } from "./architecture";
import { Assumptions, costDelta, estimateCost, loadPrices, parseAssumptions, renderCost, renderCostDelta } from "./cost";
import { loadStackConfig, StackSelection, UsageError } from "./stackConfig";

export const USAGE = `usage: npm run plan -- [--stack dev|prod] [--stage N] [--set key.path=value]... [--json | --mermaid [--resources]]
                    [--compare [N]] [--to-set key.path=value]... [--assume key=value]...
  --stack NAME      stack whose Pulumi.<NAME>.yaml is used (default: dev)
  --stage N         override the stage (same as --set stage=N)
  --set K=V         override a config key (dotted path; V parsed as JSON when it parses, else a string); repeatable
  --json            print the plan as one JSON object
  --mermaid         print a mermaid flowchart of the architecture (traffic path, one group per region)
  --resources       with --mermaid: every component and resource instead (the resource-level view)
  --compare N       diff this selection (the starting point) against stage N of the same stack:
                    old → new values of every changed input, replacements with their cascade,
                    every stateful resource put at risk, and the monthly cost delta
  --to-set K=V      an override for the target side of --compare only (--set applies to both);
                    repeatable; without --compare N the target is the same stage, e.g.
                    --set stage=5 --to-set compute.instanceType=m7g.large
  --assume K=V      override a usage assumption of the cost estimate (e.g. trafficGbPerMonth=500); repeatable
  -h, --help        show this text`;

export interface PlanArgs {
  selection: StackSelection;
  format: "tree" | "json" | "mermaid" | "mermaid-resources";
  /** The target stage of `--compare`, or `"same"` when only `--to-set` was given. */
  compare?: number | "same";
  /** Overrides for the target side of `--compare` only, applied after `--set`. */
  toSet: string[];
  /** Usage assumptions of the cost estimate (`--assume`). */
  assumptions: Assumptions;
  help: boolean;
}

/** Parses the CLI arguments; throws `UsageError` on anything it does not understand. */
export function parsePlanArgs(argv: string[]): PlanArgs {
  const parsed = parseCliArgs(argv, {
    stack: { type: "string", default: "dev" },
    stage: { type: "string" },
    set: { type: "string", multiple: true, default: [] },
    json: { type: "boolean", default: false },
    mermaid: { type: "boolean", default: false },
    resources: { type: "boolean", default: false },
    compare: { type: "string" },
    assume: { type: "string", multiple: true, default: [] },
    "to-set": { type: "string", multiple: true, default: [] },
    help: { type: "boolean", short: "h", default: false },
  });
  const v = parsed.values;
  if (v.json && v.mermaid) throw new UsageError("--json and --mermaid are exclusive");
  if (v.resources && !v.mermaid) throw new UsageError("--resources is a view of --mermaid: use --mermaid --resources");
  const toSet = v["to-set"] ?? [];
  if (v.mermaid && (v.compare !== undefined || toSet.length > 0))
    throw new UsageError("--compare prints a diff (text or --json), not a diagram");
  return {
    selection: { stack: v.stack!, stage: v.stage === undefined ? undefined : wholeNumber("--stage", v.stage), set: v.set ?? [] },
    format: v.json ? "json" : v.mermaid ? (v.resources ? "mermaid-resources" : "mermaid") : "tree",
    compare: v.compare === undefined ? (toSet.length > 0 ? "same" : undefined) : wholeNumber("--compare", v.compare),
    toSet,
    assumptions: parseAssumptions(v.assume ?? []),
    help: v.help ?? false,
  };
}

const stageName = (capture: Capture) => {
  const stage = planStage(capture);
  return isStageNumber(stage) ? stageDefinition(stage).name : undefined;
};

/** Runs the CLI and returns what to print and the exit code (no process side effects). */
export async function runPlan(argv: string[]): Promise<CliResult> {
  try {
    const args = parsePlanArgs(argv);
    if (args.help) return { stdout: USAGE + "\n", stderr: "", code: 0 };
    const capture = await captureProgram(loadStackConfig(args.selection));

    if (args.compare !== undefined) {
      const targetSelection: StackSelection = {
        ...args.selection,
        stage: args.compare === "same" ? args.selection.stage : args.compare,
        set: [...(args.selection.set ?? []), ...args.toSet],
      };
      const target = await captureProgram(loadStackConfig(targetSelection));
      const diff = comparePlans(capture, target, loadReplaceTriggers());
      const prices = loadPrices();
      const delta = costDelta(estimateCost(capture, prices, args.assumptions), estimateCost(target, prices, args.assumptions));
      const label = (c: Capture) => `${c.stack} stage ${planStage(c) ?? "?"}${stageName(c) ? ` (${stageName(c)})` : ""}`;
      if (args.format === "json") {
        const doc = {
          project: capture.project,
          stack: capture.stack,
          from: { stage: planStage(capture), set: args.selection.set },
          to: { stage: planStage(target), set: targetSelection.set },
          ...diff,
          cost: delta,
        };
        return { stdout: JSON.stringify(doc, null, 2) + "\n", stderr: "", code: 0 };
      }
      const overrides = args.toSet.length > 0 ? ` with ${args.toSet.join(" ")}` : "";
      return { stdout: renderDiff(diff, label(capture), label(target) + overrides) + renderCostDelta(delta), stderr: "", code: 0 };
    }

    const cost = () => estimateCost(capture, loadPrices(), args.assumptions);
    switch (args.format) {
      case "json":
        return { stdout: JSON.stringify({ ...planJson(capture), cost: cost() }, null, 2) + "\n", stderr: "", code: 0 };
      case "mermaid":
        return { stdout: renderArchitectureMermaid(buildArchitecture(capture, planRegions(capture))), stderr: "", code: 0 };
      case "mermaid-resources":
        return { stdout: renderMermaid(capture), stderr: "", code: 0 };
      default:
        return { stdout: renderTree(capture, stageName(capture)) + renderCost(cost()), stderr: "", code: 0 };
    }
  } catch (err) {
    return cliFailure(err, "plan", USAGE);
  }
}

if (require.main === module) runMain("plan", runPlan);
