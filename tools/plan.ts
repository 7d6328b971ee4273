/**
 * The offline plan: runs the real program under Pulumi's mock engine and prints what it would
 * create (SPEC §Interfaces).
 *
 *   npm run plan -- [--stack dev|prod] [--stage N] [--set key.path=value]... [--json | --mermaid]
 *                   [--compare [N]] [--to-set key.path=value]... [--view inputs|preview|deployed]...
 *
 * `--compare N` treats the current selection (stack, `--stage`, `--set`) as the running stack and
 * stage N of the same stack (same `--set` overrides, then the `--to-set` ones) as the target:
 * "what happens going from here to stage N". `--to-set` alone compares the same stage with the
 * target's own overrides, so a config change (an instance type, one more reader) can be diffed.
 * `--view V` (repeatable, as in `npm run policy`) adds what the change does to the policy pack's
 * verdicts in that view: the violations the target has and the starting point has not
 * (introduced), and the other way round (resolved). `preview` judges both sides as a first
 * `pulumi preview` (computed values unknown), `deployed` as outputs after create, `inputs` the
 * program's inputs. Without it the diff is printed as before.
 * Exit codes: 0 ok (also when the diff puts stateful resources at risk: it is a
 * report), 2 bad config, 1 anything else.
 */
import { cliFailure, CliResult, parseCliArgs, runMain, UsageError, wholeNumber } from "./cli";
import { isStageNumber, stageDefinition } from "../components/stages";
import type { Capture } from "./capture";
import { Assumptions, parseAssumptions } from "./cost";
import type { StackSelection } from "./stackConfig";
import type { PolicyRun } from "./policyRunner";
// The policy views from a module without imports, so that parsing loads no SDK.
import { View, VIEW_TITLES, VIEWS as POLICY_VIEWS } from "./policyViews";

/** How the CLI gets a plan (a normal capture, or a first preview's); tests pass cached ones. */
export type PlanLoader = (selection: StackSelection, preview: boolean) => Promise<Capture>;

/**
 * What making a plan needs beyond the arguments (the Pulumi and AWS SDKs, the program, the
 * renderers), loaded only once there is a plan to make: `--help` and usage errors load none of it.
 */
const planModules = async () => ({
  ...(await import("./capture")),
  ...(await import("./compare")),
  ...(await import("./render")),
  ...(await import("./architecture")),
  ...(await import("./cost")),
});

/** What comparing policy verdicts needs: the pack and its runner (only with `--view`). */
const policyModules = async () => ({
  ...(await import("./policyRunner")),
  ...(await import("../policies/rules")),
  shortUrn: (await import("./policy")).shortUrn,
});

export const USAGE = `usage: npm run plan -- [--stack dev|prod] [--stage N] [--set key.path=value]... [--json | --mermaid [--resources]]
                    [--compare [N]] [--to-set key.path=value]... [--view VIEW]... [--assume key=value]...
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
  --view VIEW       with --compare: also the policy pack's verdicts the change introduces and resolves, judged
                    on inputs (the program's inputs), preview (a first pulumi preview: computed values unknown)
                    or deployed (outputs as AWS reports them after create); repeatable; default: no policy check
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
  /** With `--compare`: the views in which to compare the policy pack's verdicts (none by default). */
  views: View[];
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
    view: { type: "string", multiple: true, default: [] },
    help: { type: "boolean", short: "h", default: false },
  });
  const v = parsed.values;
  if (v.json && v.mermaid) throw new UsageError("--json and --mermaid are exclusive");
  if (v.resources && !v.mermaid) throw new UsageError("--resources is a view of --mermaid: use --mermaid --resources");
  const toSet = v["to-set"] ?? [];
  if (v.mermaid && (v.compare !== undefined || toSet.length > 0))
    throw new UsageError("--compare prints a diff (text or --json), not a diagram");
  const views = v.view ?? [];
  for (const view of views)
    if (!(POLICY_VIEWS as readonly string[]).includes(view))
      throw new UsageError(`--view takes one of ${POLICY_VIEWS.join(", ")}, got "${view}"`);
  if (views.length > 0 && v.compare === undefined && toSet.length === 0)
    throw new UsageError(
      "--view compares policy verdicts between two plans: use it with --compare N (one plan's verdicts: npm run policy -- --view)",
    );
  return {
    selection: { stack: v.stack!, stage: v.stage === undefined ? undefined : wholeNumber("--stage", v.stage), set: v.set ?? [] },
    format: v.json ? "json" : v.mermaid ? (v.resources ? "mermaid-resources" : "mermaid") : "tree",
    compare: v.compare === undefined ? (toSet.length > 0 ? "same" : undefined) : wholeNumber("--compare", v.compare),
    toSet,
    assumptions: parseAssumptions(v.assume ?? []),
    views: POLICY_VIEWS.filter((view) => views.includes(view)),
    help: v.help ?? false,
  };
}

/** One verdict of the pack: a violation's level, policy and resource (the unit two plans are compared in). */
export interface Verdict {
  enforcementLevel: "mandatory" | "advisory";
  policyName: string;
  urn: string | null;
  message: string;
}

/** What going from one plan to the other does to the pack's verdicts in one view. */
export interface VerdictChanges {
  /** In the target and not in the starting point. */
  introduced: Verdict[];
  /** In the starting point and not in the target. */
  resolved: Verdict[];
  from: { mandatory: number; advisory: number };
  to: { mandatory: number; advisory: number };
}

/** Compares two runs of the pack verdict by verdict (level, policy, resource; the message may differ). */
export function verdictChanges(from: PolicyRun, to: PolicyRun): VerdictChanges {
  const verdicts = (run: PolicyRun): Map<string, Verdict> =>
    new Map(
      run.violations.map((v) => [
        `${v.enforcementLevel} ${v.policyName} ${v.urn ?? ""}`,
        { enforcementLevel: v.enforcementLevel, policyName: v.policyName, urn: v.urn ?? null, message: v.message },
      ]),
    );
  const [a, b] = [verdicts(from), verdicts(to)];
  const count = (m: Map<string, Verdict>) => ({
    mandatory: [...m.values()].filter((v) => v.enforcementLevel === "mandatory").length,
    advisory: [...m.values()].filter((v) => v.enforcementLevel === "advisory").length,
  });
  return {
    introduced: [...b].filter(([k]) => !a.has(k)).map(([, v]) => v),
    resolved: [...a].filter(([k]) => !b.has(k)).map(([, v]) => v),
    from: count(a),
    to: count(b),
  };
}

function renderVerdictChanges(view: View, c: VerdictChanges, shortUrn: (urn: string | undefined) => string): string {
  const lines = [
    `\npolicy verdicts, view ${view} (${VIEW_TITLES[view]}): ${c.introduced.length} introduced, ${c.resolved.length} resolved; mandatory ${c.from.mandatory} → ${c.to.mandatory}, advisory ${c.from.advisory} → ${c.to.advisory}`,
  ];
  const line = (sign: string, v: Verdict) =>
    `  ${sign} [${v.enforcementLevel}] ${v.policyName}  ${shortUrn(v.urn ?? undefined)}: ${v.message}`;
  for (const v of c.introduced) lines.push(line("+", v));
  for (const v of c.resolved) lines.push(line("-", v));
  return lines.join("\n") + "\n";
}

/** Runs the CLI and returns what to print and the exit code (no process side effects). */
export async function runPlan(argv: string[], load?: PlanLoader): Promise<CliResult> {
  try {
    const args = parsePlanArgs(argv);
    if (args.help) return { stdout: USAGE + "\n", stderr: "", code: 0 };
    const targetSelection: StackSelection | undefined =
      args.compare === undefined
        ? undefined
        : {
            ...args.selection,
            stage: args.compare === "same" ? args.selection.stage : args.compare,
            set: [...(args.selection.set ?? []), ...args.toSet],
          };
    const { checkStackConfig, loadStackConfig } = await import("./stackConfig");
    // Both sides' config is checked before the program and the Pulumi SDK load: a config error
    // (exit 2) is reported at once.
    checkStackConfig(loadStackConfig(args.selection));
    if (targetSelection) checkStackConfig(loadStackConfig(targetSelection));
    const {
      captureProgram,
      comparePlans,
      loadReplaceTriggers,
      planJson,
      planRegions,
      planStage,
      renderDiff,
      renderMermaid,
      renderTree,
      buildArchitecture,
      renderArchitectureMermaid,
      costDelta,
      estimateCost,
      loadPrices,
      renderCost,
      renderCostDelta,
    } = await planModules();
    const stageName = (capture: Capture) => {
      const stage = planStage(capture);
      return isStageNumber(stage) ? stageDefinition(stage).name : undefined;
    };
    const plan: PlanLoader = load ?? ((selection, preview) => captureProgram({ ...loadStackConfig(selection), preview }));
    const capture = await plan(args.selection, false);

    if (targetSelection) {
      const target = await plan(targetSelection, false);
      const diff = comparePlans(capture, target, loadReplaceTriggers());
      const policy: Partial<Record<View, VerdictChanges>> = {};
      let shortUrn = (urn: string | undefined) => urn ?? "(stack)";
      if (args.views.length > 0) {
        const p = await policyModules();
        shortUrn = p.shortUrn;
        const { config } = p.loadPackConfig(args.selection.stack);
        for (const view of args.views) {
          // A first preview is its own run of the program on each side; the other views read the normal one.
          const [a, b] = view === "preview" ? [await plan(args.selection, true), await plan(targetSelection, true)] : [capture, target];
          policy[view] = verdictChanges(await p.runPolicies(a, p.policies, config, view), await p.runPolicies(b, p.policies, config, view));
        }
      }
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
          ...(args.views.length > 0 ? { policy } : {}),
        };
        return { stdout: JSON.stringify(doc, null, 2) + "\n", stderr: "", code: 0 };
      }
      const overrides = args.toSet.length > 0 ? ` with ${args.toSet.join(" ")}` : "";
      const verdicts = args.views.map((view) => renderVerdictChanges(view, policy[view]!, shortUrn)).join("");
      return {
        stdout: renderDiff(diff, label(capture), label(target) + overrides) + renderCostDelta(delta) + verdicts,
        stderr: "",
        code: 0,
      };
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
    if (err instanceof Error && err.name === "PolicyConfigError") return { stdout: "", stderr: `${err.message}\n`, code: 2 };
    return cliFailure(err, "plan", USAGE);
  }
}

if (require.main === module) runMain("plan", runPlan);
