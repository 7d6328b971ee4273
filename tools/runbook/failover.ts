/**
 * `failover`: make a secondary region the primary.
 *
 * Planned (default): a managed switchover per Aurora global cluster, issued in the current primary's
 * region, which must be alive; no data is lost. `--unplanned`: the primary region is down. Each
 * global cluster fails over with `failover-global-cluster --allow-data-loss`, issued in the target's
 * region; the cost is the target's replication lag at the failure (measured first), DynamoDB global
 * tables need nothing, and Route 53 drops the dead region by its health check. Both end by making
 * the target the first of `regions` (which moves and replaces nothing). The AWS facts come from
 * `data/aurora-global-failover.json`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { firstStageWith, stageDefinition } from "../../components/stages";
import { Capture, ResourceRecord } from "../capture";
import { comparePlans, isStateful, loadReplaceTriggers, PlanDiff } from "../compare";
import { loadStackConfig, ROOT, UsageError } from "../stackConfig";
import { Args, required } from "./args";
import { capture, configuredRegions, configuredStage, custom, homeRegionOf, nameTag, rawConfig } from "./stack";
import {
  Built,
  clusterIdLookup,
  healthCheckStatusCommand,
  previewCommand,
  setFlags,
  shellQuote,
  statefulStop,
  Steps,
  upCommand,
  verifyStep,
} from "./steps";

interface FailoverFacts {
  source: string;
  read: string;
  failover: { command: string; flag: string; pointOfFailureSnapshotPrefix: string };
  switchover: { command: string };
  lagMetric: { namespace: string; "aurora-postgresql": string; dimension: string };
}

export const FAILOVER_FACTS = JSON.parse(fs.readFileSync(path.join(ROOT, "data", "aurora-global-failover.json"), "utf8")) as FailoverFacts;

/** Seconds of metric history the lag check reads. */
const LAG_WINDOW_SECONDS = 900;

/**
 * The lag check: the newest maximum of the RPO lag metric of one secondary cluster, in
 * milliseconds. Times are Unix seconds (`date -u +%s` and shell arithmetic), which GNU and BSD
 * `date` both produce and the AWS CLI accepts; no `date -d`.
 */
export function lagCommands(region: string, clusterTag: string): string[] {
  const m = FAILOVER_FACTS.lagMetric;
  return [
    "NOW=$(date -u +%s)",
    `aws cloudwatch get-metric-statistics --region ${region} --namespace ${m.namespace} --metric-name ${m["aurora-postgresql"]} --dimensions Name=${m.dimension},Value="$(${clusterIdLookup(region, clusterTag)})" --start-time $((NOW - ${LAG_WINDOW_SECONDS})) --end-time "$NOW" --period 60 --statistics Maximum --query 'sort_by(Datapoints, &Timestamp)[-1].Maximum' --output text   # milliseconds`,
  ];
}

const triggers = loadReplaceTriggers();

interface Context {
  stack: string;
  home: string;
  primary: string;
  target: string;
  reordered: string[];
  globals: ResourceRecord[];
  secondaryTag: (g: ResourceRecord) => string;
  before: Capture;
  set: string[];
  domain?: string;
}

const globalId = (g: ResourceRecord) => String(g.inputs.globalClusterIdentifier);

function targetArnCommand(region: string, id: string, target: string): string {
  return `TARGET_ARN=$(aws rds describe-global-clusters --region ${region} --global-cluster-identifier ${id} --query "GlobalClusters[0].GlobalClusterMembers[?contains(DBClusterArn, ':${target}:')].DBClusterArn | [0]" --output text)`;
}

const waitAvailable = (region: string, id: string) =>
  `until [ "$(aws rds describe-global-clusters --region ${region} --global-cluster-identifier ${id} --query 'GlobalClusters[0].Status' --output text)" = available ]; do sleep 30; done`;

const writerCheck = (region: string, id: string, target: string) =>
  `aws rds describe-global-clusters --region ${region} --global-cluster-identifier ${id} --query "GlobalClusters[0].GlobalClusterMembers[?IsWriter].DBClusterArn" --output text   # must name ${target}`;

function reorderSteps(steps: Steps, ctx: Context, upNotes: string[]): void {
  const { stack, home, reordered } = ctx;
  steps.add(
    `Make ${ctx.target} the first of regions`,
    [`pulumi config set-all --stack ${stack} --path ${reordered.map((r, i) => `--plaintext 'regions[${i}]'=${r}`).join(" ")}`],
    [
      `regions becomes ${JSON.stringify(reordered)} (one atomic write of the whole list). aws:region stays ${home}: the global clusters, master secrets and global-table owners do not move.`,
    ],
  );
  steps.add(
    "Preview with the policy pack",
    [previewCommand(stack)],
    ["Expect no replacement and no stateful resource at risk (checked below)."],
  );
  steps.add("Apply", [upCommand(stack)], upNotes);
}

function planned(steps: Steps, ctx: Context): void {
  const { home, target, globals } = ctx;
  steps.add(
    `Check the replication lag of ${target}'s clusters`,
    globals.flatMap((g) => lagCommands(target, ctx.secondaryTag(g))),
    ["Lag should be steady and low (milliseconds to a few seconds); a switchover waits for the secondaries to catch up."],
  );
  for (const g of globals) {
    const id = globalId(g);
    steps.add(
      `Switch over ${id} to ${target}`,
      [
        targetArnCommand(home, id, target),
        `aws rds ${FAILOVER_FACTS.switchover.command} --region ${home} --global-cluster-identifier ${id} --target-db-cluster-identifier "$TARGET_ARN"`,
        waitAvailable(home, id),
        writerCheck(home, id, target),
      ],
      [
        `The target is ${target}'s member of ${id} (Pulumi resource ${ctx.secondaryTag(g)}); the global writer endpoint follows the switchover.`,
      ],
    );
  }
  if (globals.length === 0) steps.add("No Aurora global database in the plan: nothing to switch over");
  reorderSteps(steps, ctx, []);
}

function unplanned(steps: Steps, ctx: Context, diff: PlanDiff): void {
  const { stack, primary, target, globals, before } = ctx;
  const f = FAILOVER_FACTS.failover;
  steps.add(
    `Confirm that ${primary} is down, and stop every write that could still reach it`,
    [
      ...globals.map(
        (g) =>
          `aws rds describe-global-clusters --region ${target} --global-cluster-identifier ${globalId(g)} --query 'GlobalClusters[0].[Status,GlobalClusterMembers[].[DBClusterArn,IsWriter]]'`,
      ),
    ],
    [
      "AWS posts regional outages on the AWS Health Dashboard (https://health.aws.amazon.com/health/status); the commands above must answer from the target region.",
      `Use this runbook only when ${primary} cannot serve: while it can, the planned switchover (\`npm run runbook -- failover --stack ${stack} --to ${target}\`) loses nothing.`,
      `Aurora's write fencing of the old primary is best effort: if anything in ${primary} still answers (its web tier, a job), stop it first, or writes may land on both sides (split brain).`,
    ],
  );
  steps.add(
    `Measure the data you will lose (RPO): the replication lag of ${target}'s clusters at the failure`,
    globals.flatMap((g) => lagCommands(target, ctx.secondaryTag(g))),
    [
      `${FAILOVER_FACTS.lagMetric["aurora-postgresql"]} is reported by secondary clusters only, in milliseconds: its last value before ${primary} went silent is about how many milliseconds of committed writes ${target} does not have. Record it with the incident.`,
      "With more than one secondary region, fail over to the one with the least lag.",
    ],
  );
  for (const g of globals) {
    const id = globalId(g);
    steps.add(
      `Fail over ${id} to ${target} (allow data loss), issued in ${target}`,
      [
        targetArnCommand(target, id, target),
        `aws rds ${f.command} --region ${target} --global-cluster-identifier ${id} --target-db-cluster-identifier "$TARGET_ARN" ${f.flag}`,
        waitAvailable(target, id),
        writerCheck(target, id, target),
        `aws rds describe-events --region ${target} --source-type db-cluster --duration 60 --query 'Events[].[Date,SourceIdentifier,Message]' --output table   # did Aurora stop writes in ${primary}?`,
      ],
      [
        `The API call goes to ${target}: ${primary}'s endpoint may not answer. ${target}'s member (Pulumi resource ${ctx.secondaryTag(g)}) becomes the writer; the global writer endpoint follows it.`,
      ],
    );
  }
  if (globals.length === 0) steps.add("No Aurora global database in the plan: nothing to fail over");
  const tables = custom(before, "aws:dynamodb/table:Table").filter((t) => Array.isArray(t.inputs.replicas) && t.inputs.replicas.length > 0);
  steps.add(
    "DynamoDB global tables: nothing to fail over",
    tables.map(
      (t) =>
        `aws dynamodb describe-table --region ${target} --table-name <name of ${t.name}> --query 'Table.{Status: TableStatus, Replicas: Replicas[].[RegionName,ReplicaStatus]}'`,
    ),
    [
      `Every replica accepts writes (multi-active); ${target}'s copy serves on. Writes made in ${primary} and not yet replicated arrive when it returns; concurrent updates of one item resolve as last writer wins.`,
    ],
  );
  steps.add(
    `DNS: Route 53 drops ${primary} by its health check`,
    ctx.domain
      ? [`${healthCheckStatusCommand(primary)}   # failing`, `dig +short origin.${ctx.domain}   # only ${target}'s load balancer`]
      : [],
    [
      ctx.domain
        ? `The latency records of origin.${ctx.domain} carry health checks: Route 53 stops answering with ${primary} once its check fails, so users already reach ${target}. Nothing to change. (Route 53 answers and health checks keep running in an outage; its API is served from us-east-1, so when that is the region down, trust \`dig\`.)`
        : `No \`domain\` is set, so there are no latency records: point users at ${target}'s load balancer yourself.`,
    ],
  );
  const inDeadRegion = diff.updated.filter((r) => r.region === primary);
  reorderSteps(
    steps,
    ctx,
    inDeadRegion.length > 0
      ? [
          `This up also updates ${inDeadRegion.length} resource(s) in ${primary}, which fail while it is down. Until it returns, apply the rest only:`,
          `pulumi up --stack ${stack} --policy-pack policies ${diff.updated
            .filter((r) => r.region !== primary)
            .map((r) => `--target ${shellQuote(r.urn)}`)
            .join(" ")}`,
          "and run the full `pulumi up` again when it is back.",
        ]
      : [`Nothing this up changes lives in ${primary}: it runs while ${primary} is down.`],
  );
  steps.add(
    `When ${primary} comes back: it rejoins as a secondary; keep the point-of-failure snapshot`,
    [
      ...globals.map(
        (g) =>
          `aws rds describe-global-clusters --region ${target} --global-cluster-identifier ${globalId(g)} --query "GlobalClusters[0].GlobalClusterMembers[?contains(DBClusterArn, ':${primary}:')].[DBClusterArn,IsWriter]"   # present, IsWriter false`,
      ),
      `aws rds describe-db-cluster-snapshots --region ${primary} --query "DBClusterSnapshots[?starts_with(DBClusterSnapshotIdentifier, '${f.pointOfFailureSnapshotPrefix}')].[DBClusterSnapshotIdentifier,SnapshotCreateTime]" --output table`,
      `aws rds copy-db-cluster-snapshot --region ${primary} --source-db-cluster-snapshot-identifier <rds:unplanned-global-failover-… id above> --target-db-cluster-snapshot-identifier <cluster>-point-of-failure`,
      `pulumi preview --stack ${stack} --refresh --diff`,
    ],
    [
      `Aurora adds ${primary} back to each global cluster as a secondary by itself (on a new storage volume), and rebuilds any other secondary region from the new primary (minutes to hours).`,
      `Before that, it tries to snapshot ${primary}'s old volume at the point of failure (${f.pointOfFailureSnapshotPrefix}…): the writes that never reached ${target} are there. It is a system snapshot that expires with the cluster's backup retention: copy it now, then restore it to a separate cluster to reconcile what was lost.`,
      "The refreshed preview must replace nothing: the program ignores the replication source and global membership AWS changes.",
    ],
  );
  steps.add(
    `Later, at a quiet time: fail back to ${primary} with a planned switchover (no data loss)`,
    [`npm run runbook -- failover --stack ${stack} --to ${primary}${setFlags(ctx.set)}`],
    [`Run it only once ${primary} is a healthy secondary again (its clusters 'available', lag low).`],
  );
}

export async function failover(args: Args): Promise<Built> {
  const stack = required(args.stack, "stack", "failover");
  const target = required(args.to, "to", "failover");
  const current = loadStackConfig({ stack, set: args.set });
  const regions = configuredRegions(current);
  if (!regions.includes(target)) throw new UsageError(`--to ${target} is not one of ${stack}'s regions (${regions.join(", ")})`);
  if (regions[0] === target) throw new UsageError(`${target} is already the primary region of ${stack}`);
  const stage = configuredStage(current);
  if (!stageDefinition(stage).capabilities.multiRegion) {
    throw new UsageError(
      `${stack} is at stage ${stage}: only the multi-region stage (${firstStageWith((c) => c.multiRegion)}) has a secondary region to fail over to`,
    );
  }
  const reordered = [target, ...regions.filter((r) => r !== target)];
  const before = await capture(current);
  const after = await capture(loadStackConfig({ stack, set: [...args.set, `regions=${JSON.stringify(reordered)}`] }));
  const primary = regions[0];
  const clusters = custom(before, "aws:rds/cluster:Cluster");
  // The home cluster `<home>-<name>` is the source of global cluster `<home>-<name>-global`; the
  // secondary that joins it in another region is `<region>-<name>` (components/database.ts).
  const secondaryTag = (g: ResourceRecord) => {
    const name = g.name.replace(/-global$/, "").replace(`${g.region}-`, `${target}-`);
    return clusters.find((c) => c.region === target && nameTag(c) === name) ? name : `<${target} member of ${g.name}>`;
  };
  const domain = rawConfig(current, "domain");
  const ctx: Context = {
    stack,
    home: homeRegionOf(current),
    primary,
    target,
    reordered,
    globals: custom(before, "aws:rds/globalCluster:GlobalCluster"),
    secondaryTag,
    before,
    set: args.set,
    domain: typeof domain === "string" ? domain : undefined,
  };
  const diff = comparePlans(before, after, triggers);
  const steps = new Steps();
  if (args.unplanned) unplanned(steps, ctx, diff);
  else planned(steps, ctx);
  verifyStep(steps, stack, args.set, [`pulumi stack output loadBalancerDns --stack ${stack}   # now ${target}'s load balancer`]);
  if (args.rehearse) {
    steps.add(
      `Rehearsal: fail back to ${primary}`,
      [`npm run runbook -- failover --stack ${stack} --to ${primary}${setFlags(args.set)}`],
      [`This was a rehearsal: run the failback runbook to make ${primary} the primary again, and record the timings of each switchover.`],
    );
  }
  const findings = [
    diff.replaced.length === 0 && diff.statefulAtRisk.length === 0
      ? "CHECK OK: reordering regions replaces nothing and puts no stateful resource at risk."
      : `CHECK FAILED: reordering regions replaces ${diff.replaced.length} resource(s) and puts ${diff.statefulAtRisk.length} stateful resource(s) at risk.`,
  ];
  if (args.unplanned) findings.push(`AWS facts: ${FAILOVER_FACTS.source} (read ${FAILOVER_FACTS.read}).`);
  return {
    summary: `${args.rehearse ? "rehearse a " : ""}${args.unplanned ? "UNPLANNED " : ""}failover of ${stack} from ${primary} to ${target}${args.unplanned ? ` (${primary} is down)` : ""}`,
    stack,
    steps,
    before,
    after,
    fromLabel: `${stack} primary ${primary}`,
    toLabel: `${stack} primary ${target}`,
    findings,
    stopReasons: (d) => [
      ...statefulStop(d),
      ...d.replaced
        .filter((r) => !isStateful(r.type))
        .map((r) => `REPLACED ${r.type} ${r.name}: a failover must replace nothing (${r.reasons.join("; ")})`),
    ],
  };
}
