/** `dev-to-prod`: carry config keys from one stack to another, with both stacks' plans diffed at one stage. */
import { isStageNumber, STAGE_NUMBERS } from "../../components/stages";
import { loadStackConfig, UsageError } from "../stackConfig";
import { Args } from "./args";
import { asStack, capture, configuredStage, diffConfig, flattenConfig } from "./stack";
import { Built, shellQuote, statefulStop, Steps, verifyStep } from "./steps";

/** Keys that are never carried between stacks: each stack's stage moves by its own promotions. */
const NOT_CARRIED = new Set(["stage"]);

export async function devToProd(args: Args): Promise<Built> {
  const fromStack = args.from ?? "dev";
  const toStack = args.to ?? "prod";
  if (fromStack === toStack) throw new UsageError(`--from and --to are both ${toStack}`);
  const fromFile = loadStackConfig({ stack: fromStack, set: args.set });
  const toFile = loadStackConfig({ stack: toStack, set: args.set });
  const stage = args.stage ?? configuredStage(toFile);
  if (!isStageNumber(stage)) throw new UsageError(`--stage ${stage} is not a stage of the table (${STAGE_NUMBERS.join(", ")})`);
  const configDiff = diffConfig(fromFile, toFile);
  const before = asStack(await capture(loadStackConfig({ stack: fromStack, stage, set: args.set })), toStack);
  const after = await capture(loadStackConfig({ stack: toStack, stage, set: args.set }));
  const steps = new Steps();
  const keys = [...configDiff.changed.map((c) => c.key), ...configDiff.onlyIn[fromStack]].filter((k) => !NOT_CARRIED.has(k));
  const fromValues = flattenConfig(fromFile.config, fromFile.project);
  steps.add(
    `Edit Pulumi.${toStack}.yaml in a branch with the keys you carry over from ${fromStack}`,
    [
      `git switch -c carry-${fromStack}-to-${toStack}`,
      ...keys.map((k) => {
        const value = fromValues.get(k);
        // A list is written item by item (`--path 'key[i]'`), so it stays a YAML list.
        const target = Array.isArray(value) ? shellQuote(`${k}[<i>]`) : shellQuote(k);
        return `pulumi config set --stack ${toStack} --path ${target} <value>   # ${fromStack} has ${JSON.stringify(value)}`;
      }),
    ],
    [
      keys.length > 0
        ? "Carry only the keys the change needs: the others are deliberate differences (see the list below)."
        : "The two stack files already agree on every key that can be carried.",
      `\`stage\` is not carried: ${toStack} moves one stage at a time with \`npm run runbook -- promote --stack ${toStack} --to <N>\`.`,
    ],
  );
  steps.add(`Check it offline`, [`npm run policy -- --stack ${toStack}`, `npm run plan -- --stack ${toStack}`]);
  steps.add("Open a pull request; the PR workflow runs the tests and the policy pack", [
    `git add Pulumi.${toStack}.yaml && git commit -m "${toStack}: carry <change> from ${fromStack}" && git push -u origin HEAD`,
    "gh pr create --fill",
  ]);
  steps.add("Preview with the policy pack", [`pulumi preview --stack ${toStack} --policy-pack policies --diff`]);
  steps.add("Merge, then apply", [`pulumi up --stack ${toStack} --policy-pack policies`]);
  verifyStep(steps, toStack, args.set, [], false);
  const show = (v: unknown) => JSON.stringify(v);
  const findings = [
    `Config keys that differ (Pulumi.${fromStack}.yaml vs Pulumi.${toStack}.yaml):`,
    ...configDiff.changed.map((c) => `  ~ ${c.key}: ${show(c.from)} → ${show(c.to)}${NOT_CARRIED.has(c.key) ? "   (not carried)" : ""}`),
    ...configDiff.onlyIn[fromStack].map((k) => `  - ${k} only in ${fromStack}`),
    ...configDiff.onlyIn[toStack].map((k) => `  + ${k} only in ${toStack}`),
  ];
  if (findings.length === 1) findings.push("  (none)");
  findings.push(
    "",
    `The diff below compares two stacks at stage ${stage} (names derived from the stack are matched). "removed" exists only in ${fromStack};`,
    `"added" only in ${toStack}. A stateful resource removed or replaced there means the two configs disagree about data`,
    `(carrying the key would delete or rebuild it): the runbook STOPs, as promote does, until you decide which side is right.`,
  );
  return {
    summary: `carry config from ${fromStack} to ${toStack}: both plans at stage ${stage}`,
    stack: toStack,
    steps,
    before,
    after,
    fromLabel: `${fromStack} stage ${stage}`,
    toLabel: `${toStack} stage ${stage}`,
    findings,
    configDiff,
    stopReasons: statefulStop,
  };
}
