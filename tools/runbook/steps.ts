/** The step list every runbook is made of, and the commands several runbooks share. */
import { HEALTH_CHECK_PATH } from "../../components/appPaths";
import { GLOBAL_SERVICES_REGION, originHealthCheckName } from "../../components/platform";
import { Capture } from "../capture";
import { PlanDiff } from "../compare";
import type { Operation } from "./args";
import { ConfigDiff, custom, nameTag } from "./stack";

export interface Step {
  n: number;
  title: string;
  /** Shell commands, printed after `$`. A step may have none (something to do or to know). */
  commands: string[];
  /** What to look for, or why the step is there. */
  notes: string[];
}

export class Steps {
  readonly list: Step[] = [];
  add(title: string, commands: string[] = [], notes: string[] = []): void {
    this.list.push({ n: this.list.length + 1, title, commands, notes });
  }
}

/** What an operation builds before the diff is taken. */
export interface Built {
  summary: string;
  stack: string;
  steps: Steps;
  before: Capture;
  after: Capture;
  fromLabel: string;
  toLabel: string;
  findings: string[];
  configDiff?: ConfigDiff;
  /** Why this runbook must not be run, from its diff; default: any stateful resource at risk. */
  stopReasons?: (diff: PlanDiff) => string[];
}

export interface Runbook {
  operation: Operation;
  stack: string;
  /** One-line description of the change. */
  summary: string;
  steps: Step[];
  diff: PlanDiff;
  fromLabel: string;
  toLabel: string;
  /** True when the diff removes or replaces a stateful resource (or, for a failover, replaces anything): do not run it. */
  stop: boolean;
  stopReasons: string[];
  /** Lines printed between the steps and the diff (assertions, config differences). */
  findings: string[];
  /** dev-to-prod only: the config keys that differ between the two stack files. */
  configDiff?: ConfigDiff;
}

export const statefulStop = (diff: PlanDiff): string[] =>
  diff.statefulAtRisk.map((r) => `${r.change.toUpperCase()} ${r.type} ${r.name} (${r.region ?? "no region"}): ${r.reasons.join("; ")}`);

export const shellQuote = (s: string) => (/^[A-Za-z0-9_./:=@,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
export const setFlags = (set: string[]) => set.map((s) => ` --set ${shellQuote(s)}`).join("");

/** The shell lookup of a cluster identifier from its Name tag (Pulumi auto-names the cluster). */
export const clusterIdLookup = (region: string, tag: string) =>
  `aws rds describe-db-clusters --region ${region} --query "DBClusters[?TagList[?Key=='Name' && Value=='${tag}']].DBClusterIdentifier | [0]" --output text`;

/** The shell lookup of an EBS volume id from its Name tag. */
export const volumeIdLookup = (region: string, tag: string) =>
  `aws ec2 describe-volumes --region ${region} --filters Name=tag:Name,Values=${tag} --query 'Volumes[0].VolumeId' --output text`;

/** Snapshot commands for every stateful data store of a plan (Aurora clusters, the host volume, tables). */
export function backupCommands(capture: Capture, label: string): string[] {
  const commands: string[] = [];
  for (const cluster of custom(capture, "aws:rds/cluster:Cluster")) {
    const tag = nameTag(cluster);
    commands.push(
      `aws rds create-db-cluster-snapshot --region ${cluster.region} --db-cluster-identifier "$(${clusterIdLookup(String(cluster.region), tag)})" --db-cluster-snapshot-identifier ${tag}-${label}-<yyyymmddhhmm>`,
    );
  }
  for (const volume of custom(capture, "aws:ebs/volume:Volume")) {
    commands.push(
      `aws ec2 create-snapshot --region ${volume.region} --volume-id "$(${volumeIdLookup(String(volume.region), nameTag(volume))})" --description "${nameTag(volume)} ${label}"`,
    );
  }
  for (const table of custom(capture, "aws:dynamodb/table:Table")) {
    commands.push(
      `aws dynamodb create-backup --region ${table.region} --table-name <name of ${table.name}> --backup-name ${table.name}-${label}`,
    );
  }
  return commands;
}

export const SNAPSHOT_WAIT =
  "Wait until every snapshot is `available` (`aws rds wait db-cluster-snapshot-available --db-cluster-snapshot-identifier <id>`, `aws ec2 wait snapshot-completed --snapshot-ids <id>`).";

/** The snapshot step, or a note that there is nothing to snapshot (no command, no wait). */
export function snapshotStep(steps: Steps, capture: Capture, label: string): void {
  const snapshots = backupCommands(capture, label);
  if (snapshots.length > 0) steps.add("Check backups and take snapshots", snapshots, [SNAPSHOT_WAIT]);
  else steps.add("Nothing to snapshot", [], ["No database, volume or table at the current stage."]);
}

/** The status of the Route 53 health check on `region`'s origin (Route 53's API lives in the global-services region). */
export const healthCheckStatusCommand = (region: string) =>
  `aws route53 get-health-check-status --health-check-id "$(aws resourcegroupstaggingapi get-resources --region ${GLOBAL_SERVICES_REGION} --resource-type-filters route53:healthcheck --tag-filters Key=Name,Values=${originHealthCheckName(region)} --query 'ResourceTagMappingList[0].ResourceARN' --output text | cut -d/ -f2)"`;

export const previewCommand = (stack: string) => `pulumi preview --stack ${stack} --policy-pack policies --diff`;
export const upCommand = (stack: string) => `pulumi up --stack ${stack} --policy-pack policies`;

export function verifyStep(steps: Steps, stack: string, set: string[], extra: string[] = [], commit = true): void {
  steps.add(
    "Verify",
    [
      `curl -fsS "$(pulumi stack output appUrl --stack ${stack})${HEALTH_CHECK_PATH}"`,
      ...extra,
      `npm run plan -- --stack ${stack}${setFlags(set)}`,
      ...(commit ? [`git add Pulumi.${stack}.yaml && git commit -m "${stack}: <what changed>"`] : []),
    ],
    [
      `The offline plan of the committed Pulumi.${stack}.yaml must match what was deployed: a new \`pulumi preview --stack ${stack}\` shows no changes.`,
    ],
  );
}
