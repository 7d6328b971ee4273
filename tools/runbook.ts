/**
 * Printed, ordered runbooks for the operations of SPEC §"Who uses it" (ops promoting across
 * regions), each followed by the offline diff of what `pulumi up` will change.
 *
 *   npm run runbook -- promote     --stack S --to N [--from M]
 *   npm run runbook -- add-region  --stack S --region R
 *   npm run runbook -- failover    --stack S --to R [--rehearse]
 *   npm run runbook -- dev-to-prod --from dev --to prod [--stage N]
 *   (every operation also takes [--set key.path=value]... and [--json])
 *
 * The "before" and "after" plans are captured offline (the real program under mocks, as
 * `npm run plan` does) and diffed with `comparePlans`; the diff is printed with the plan tool's
 * renderer. A runbook whose diff removes or replaces a stateful resource says STOP at the top and
 * exits 1. Stage-specific steps are chosen from the stage table's capabilities, never from stage
 * numbers. Exit codes: 0 ok, 1 stateful risk, usage error or any other error, 2 bad config.
 */
import { ConfigError, STAGE_ALLOWED } from "../components/config";
import { parameterPath } from "../components/region";
import { firstStageWith, isStageNumber, STAGE_NUMBERS, StageCapabilities, stageDefinition, StageNumber } from "../components/stages";
import { HEALTH_CHECK_PATH } from "../components/webTier";
import { Capture, captureProgram, CaptureOptions, ResourceRecord } from "./capture";
import { cliFailure, CliResult, parseCliArgs, runMain, wholeNumber } from "./cli";
import { comparePlans, isStateful, loadReplaceTriggers, PlanDiff } from "./compare";
import { renderDiff } from "./render";
import { loadStackConfig, UsageError } from "./stackConfig";

export const OPERATIONS = ["promote", "add-region", "failover", "dev-to-prod"] as const;
export type Operation = (typeof OPERATIONS)[number];

export const USAGE = `usage: npm run runbook -- <operation> [options]
  promote     --stack S --to N [--from M]    raise (or change) the stage; --from defaults to the stack file's stage
  add-region  --stack S --region R           append R to \`regions\`
  failover    --stack S --to R [--rehearse]  managed Aurora switchover to R, then make R the first of \`regions\`
  dev-to-prod [--from dev] [--to prod] [--stage N]
                                             diff the two stacks' plans at one stage (default: the --to stack's) and their config
common options:
  --set K=V   override a config key of the stack(s) before and after (as in npm run plan); repeatable
  --json      print {operation, stack, steps: [{n, title, commands}], diff} as one JSON object
  -h, --help  show this text
exit codes: 0 ok, 1 the diff puts stateful data at risk (STOP), a usage error or any other error, 2 bad config`;

export interface Step {
  n: number;
  title: string;
  commands: string[];
  /** What to look for, or why the step is there. */
  notes: string[];
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

export interface ConfigDiff {
  onlyIn: Record<string, string[]>;
  changed: { key: string; from: unknown; to: unknown }[];
}

interface Args {
  operation: Operation;
  stack?: string;
  from?: string;
  to?: string;
  region?: string;
  stage?: number;
  set: string[];
  rehearse: boolean;
  json: boolean;
  help: boolean;
}

export function parseRunbookArgs(argv: string[]): Args {
  const parsed = parseCliArgs(
    argv,
    {
      stack: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      region: { type: "string" },
      stage: { type: "string" },
      set: { type: "string", multiple: true, default: [] },
      rehearse: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    true,
  );
  const v = parsed.values;
  if (v.help) return { operation: "promote", set: [], rehearse: false, json: false, help: true };
  if (parsed.positionals.length !== 1) throw new UsageError(`expected one operation (${OPERATIONS.join(", ")})`);
  const operation = parsed.positionals[0] as Operation;
  if (!OPERATIONS.includes(operation)) throw new UsageError(`unknown operation "${operation}" (one of ${OPERATIONS.join(", ")})`);
  const allowed: Record<Operation, string[]> = {
    promote: ["stack", "to", "from"],
    "add-region": ["stack", "region"],
    failover: ["stack", "to", "rehearse"],
    "dev-to-prod": ["from", "to", "stage"],
  };
  for (const flag of ["stack", "from", "to", "region", "stage", "rehearse"] as const) {
    const given = flag === "rehearse" ? v.rehearse : v[flag] !== undefined;
    if (given && !allowed[operation].includes(flag)) throw new UsageError(`${operation} does not take --${flag}`);
  }
  return {
    operation,
    stack: v.stack,
    from: v.from,
    to: v.to,
    region: v.region,
    stage: v.stage === undefined ? undefined : wholeNumber("--stage", v.stage),
    set: v.set ?? [],
    rehearse: v.rehearse ?? false,
    json: v.json ?? false,
    help: false,
  };
}

// ---------------------------------------------------------------------------------------------
// Plans and config

const triggers = loadReplaceTriggers();

function required<T>(value: T | undefined, flag: string, operation: string): T {
  if (value === undefined) throw new UsageError(`${operation} needs --${flag}`);
  return value;
}

const projectKey = (options: CaptureOptions, key: string) => `${options.project}:${key}`;

function configuredStage(options: CaptureOptions): StageNumber {
  const stage = options.config[projectKey(options, "stage")];
  if (!isStageNumber(stage)) {
    throw new ConfigError([{ key: "stage", value: stage, message: `must be ${STAGE_ALLOWED}` }]);
  }
  return stage;
}

/** `regions` as the program reads it: the list, else `[aws:region]`. */
function configuredRegions(options: CaptureOptions): string[] {
  const regions = options.config[projectKey(options, "regions")];
  if (Array.isArray(regions)) return regions.map(String);
  const home = options.config["aws:region"];
  return typeof home === "string" ? [home] : [];
}

const homeRegionOf = (options: CaptureOptions) => String(options.config["aws:region"] ?? configuredRegions(options)[0]);

const custom = (capture: Capture, type: string) => capture.resources.filter((r) => r.custom && r.type === type);
const nameTag = (r: ResourceRecord): string => (r.inputs.tags?.Name as string | undefined) ?? r.name;

/** The stack of a plan capture renamed, so that two stacks' plans can be matched by URN. */
function asStack(capture: Capture, stack: string): Capture {
  const from = `urn:pulumi:${capture.stack}::`;
  const to = `urn:pulumi:${stack}::`;
  const rename = (urn: string) => (urn.startsWith(from) ? to + urn.slice(from.length) : urn);
  // Names derived from the stack (`<project>-<stack>…`, `/<project>/<stack>/…`, the stack tag)
  // differ by design between two stacks: compare them as if they were the target's.
  const names: [string, string][] = [
    [`${capture.project}-${capture.stack}`, `${capture.project}-${stack}`],
    [`/${capture.project}/${capture.stack}`, `/${capture.project}/${stack}`],
  ];
  const renameValue = (v: unknown): unknown => {
    if (typeof v === "string") return names.reduce((s, [a, b]) => s.split(a).join(b), v);
    if (Array.isArray(v)) return v.map(renameValue);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, k === "scaling:stack" && x === capture.stack ? stack : renameValue(x)]),
      );
    }
    return v;
  };
  return {
    ...capture,
    stack,
    resources: capture.resources.map((r) => ({
      ...r,
      urn: rename(r.urn),
      parent: r.parent && rename(r.parent),
      dependencies: r.dependencies.map(rename),
      provider: r.provider && rename(r.provider),
      aliases: r.aliases.map((a) => (a.urn ? { urn: rename(a.urn) } : a.parentUrn ? { ...a, parentUrn: rename(a.parentUrn) } : a)),
      propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map(rename)])),
      inputs: renameValue(r.inputs) as Record<string, any>,
    })),
  };
}

/** Leaf keys of a stack file's config (`project:` dropped from the program's own keys). Lists are one value. */
export function flattenConfig(config: Record<string, unknown>, project: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(`${prefix}.${k}`, v);
    } else {
      out.set(prefix, value);
    }
  };
  for (const [key, value] of Object.entries(config)) walk(key.startsWith(`${project}:`) ? key.slice(project.length + 1) : key, value);
  return out;
}

export function diffConfig(a: CaptureOptions, b: CaptureOptions): ConfigDiff {
  const fa = flattenConfig(a.config, a.project);
  const fb = flattenConfig(b.config, b.project);
  const changed = [...fa.keys()]
    .filter((k) => fb.has(k) && JSON.stringify(fa.get(k)) !== JSON.stringify(fb.get(k)))
    .sort()
    .map((key) => ({ key, from: fa.get(key), to: fb.get(key) }));
  return {
    onlyIn: {
      [a.stack]: [...fa.keys()].filter((k) => !fb.has(k)).sort(),
      [b.stack]: [...fb.keys()].filter((k) => !fa.has(k)).sort(),
    },
    changed,
  };
}

// ---------------------------------------------------------------------------------------------
// Step builders

class Steps {
  readonly list: Step[] = [];
  add(title: string, commands: string[] = [], notes: string[] = []): void {
    this.list.push({ n: this.list.length + 1, title, commands, notes });
  }
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_./:=@,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const setFlags = (set: string[]) => set.map((s) => ` --set ${shellQuote(s)}`).join("");

/** The shell lookup of a cluster identifier from its Name tag (Pulumi auto-names the cluster). */
const clusterIdLookup = (region: string, tag: string) =>
  `aws rds describe-db-clusters --region ${region} --query "DBClusters[?TagList[?Key=='Name' && Value=='${tag}']].DBClusterIdentifier | [0]" --output text`;

/** Snapshot commands for every stateful data store of a plan (Aurora clusters, else the host volume). */
function backupCommands(capture: Capture, label: string): string[] {
  const commands: string[] = [];
  for (const cluster of custom(capture, "aws:rds/cluster:Cluster")) {
    const tag = nameTag(cluster);
    commands.push(
      `aws rds create-db-cluster-snapshot --region ${cluster.region} --db-cluster-identifier "$(${clusterIdLookup(String(cluster.region), tag)})" --db-cluster-snapshot-identifier ${tag}-${label}-<yyyymmddhhmm>`,
    );
  }
  for (const volume of custom(capture, "aws:ebs/volume:Volume")) {
    commands.push(
      `aws ec2 create-snapshot --region ${volume.region} --volume-id <volume id of ${nameTag(volume)}> --description "${nameTag(volume)} ${label}"`,
    );
  }
  for (const table of custom(capture, "aws:dynamodb/table:Table")) {
    commands.push(
      `aws dynamodb create-backup --region ${table.region} --table-name <name of ${table.name}> --backup-name ${table.name}-${label}`,
    );
  }
  return commands;
}

const previewCommand = (stack: string) => `pulumi preview --stack ${stack} --policy-pack policies --diff`;
const upCommand = (stack: string) => `pulumi up --stack ${stack} --policy-pack policies`;

function verifyStep(steps: Steps, stack: string, set: string[], extra: string[] = [], commit = true): void {
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

function capsTurningOn(from: StageCapabilities, to: StageCapabilities, key: keyof StageCapabilities): boolean {
  return Boolean(to[key]) && !from[key];
}

// ---------------------------------------------------------------------------------------------
// Operations

interface Built {
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

const statefulStop = (diff: PlanDiff): string[] =>
  diff.statefulAtRisk.map((r) => `${r.change.toUpperCase()} ${r.type} ${r.name} (${r.region ?? "no region"}): ${r.reasons.join("; ")}`);

const capture = (options: CaptureOptions) => captureProgram(options);

async function promote(args: Args): Promise<Built> {
  const stack = required(args.stack, "stack", "promote");
  const to = wholeNumber("--to", required(args.to, "to", "promote"));
  const current = loadStackConfig({ stack, set: args.set });
  const from = args.from === undefined ? configuredStage(current) : wholeNumber("--from", args.from);
  for (const [flag, n] of [
    ["--to", to],
    ["--from", from],
  ] as const) {
    if (!isStageNumber(n)) throw new UsageError(`${flag} ${n} is not a stage of the table (${STAGE_NUMBERS.join(", ")})`);
  }
  if (from === to) throw new UsageError(`--from and --to are both stage ${to}: nothing to promote`);
  const fromStage = stageDefinition(from as StageNumber);
  const toStage = stageDefinition(to as StageNumber);
  const before = await capture(loadStackConfig({ stack, stage: from, set: args.set }));
  const afterOptions = loadStackConfig({ stack, stage: to, set: args.set });
  const after = await capture(afterOptions);
  const [a, b] = [fromStage.capabilities, toStage.capabilities];
  const home = homeRegionOf(afterOptions);
  const appConfig = `${parameterPath({ project: after.project, stack })}/app/config`;
  const steps = new Steps();
  const findings: string[] = [];

  if (to < from) findings.push(`This goes DOWN the stage table (${from} → ${to}): expect removals; read the diff.`);

  steps.add(
    `Run the policy pack on the target (stage ${to}, ${toStage.name})`,
    [`npm run policy -- --stack ${stack} --stage ${to}${setFlags(args.set)}`],
    ["Mandatory violations must be fixed in Pulumi." + stack + ".yaml before going on."],
  );
  const snapshots = backupCommands(before, `pre-stage-${to}`);
  steps.add(
    "Check backups and take snapshots",
    snapshots.length > 0 ? snapshots : ["(no database, volume or table at the current stage: nothing to snapshot)"],
    [
      "Wait until every snapshot is `available` (`aws rds wait db-cluster-snapshot-available --db-cluster-snapshot-identifier <id>`, `aws ec2 wait snapshot-completed --snapshot-ids <id>`).",
    ],
  );

  if (capsTurningOn(a, b, "multiRegion")) {
    const instanceClass = after.resources.find((r) => r.type === "aws:rds/clusterInstance:ClusterInstance")?.inputs.instanceClass;
    const burstable = typeof instanceClass === "string" && /^db\.t/.test(instanceClass);
    steps.add(
      "Aurora Global Database needs a memory-optimised instance class (no db.t* classes)",
      burstable
        ? [
            `pulumi config set --stack ${stack} --path database.instanceClass ${stageDefinition(firstStageWith((c) => c.multiRegion)!).defaults.database.instanceClass}`,
          ]
        : [],
      [
        burstable
          ? `The target plan uses ${instanceClass}: change it before promoting.`
          : `The target plan uses ${instanceClass ?? "the stage default"}: fine.`,
      ],
    );
    const secondaries = configuredRegions(afterOptions).slice(1);
    steps.add(
      "Regions after the first become active: check their quotas",
      secondaries.map(
        (r) =>
          `aws service-quotas get-service-quota --region ${r} --service-code ec2 --quota-code L-1216C47A   # running on-demand standard vCPUs; also VPCs, EIPs/NAT gateways, Aurora clusters`,
      ),
      [
        secondaries.length > 0
          ? `${secondaries.join(", ")} will get the full regional stack and join the global databases and tables.`
          : "`regions` lists only one region: nothing becomes active elsewhere (add one with `npm run runbook -- add-region`).",
      ],
    );
  }
  if (capsTurningOn(a, b, "loadBalancedWebTier")) {
    steps.add(
      "Lower the DNS TTL ahead of the switch to the load balancer",
      [],
      [
        "DNS moves from the host's address to an alias of the ALB. Lower the TTL of any record outside this stack that names the host's IP a TTL ahead of time, so clients follow within minutes.",
      ],
    );
  }
  steps.add(`Set the stage`, [`pulumi config set --stack ${stack} stage ${to}`]);
  steps.add("Preview with the policy pack", [previewCommand(stack)], ["The preview must match the diff below."]);
  steps.add("Apply", [upCommand(stack)]);

  if (a.hostDatabase && b.aurora && !b.hostDatabase) {
    const host = custom(before, "aws:ec2/instance:Instance")[0];
    const target = host ? `--targets Key=tag:Name,Values=${nameTag(host)}` : "--instance-ids <host instance id>";
    steps.add(
      "Dump the host's PostgreSQL (stop the app first so nothing writes)",
      [
        `aws ssm send-command --region ${home} --document-name AWS-RunShellScript ${target} --parameters 'commands=["systemctl stop scaling-app","sudo -u postgres pg_dump -Fc app > /tmp/app.dump","ls -l /tmp/app.dump"]'`,
        `aws ssm start-session --region ${home} --target <host instance id>   # interactive alternative`,
      ],
      ["The host keeps PostgreSQL and its data volume at this stage exactly for this dump."],
    );
    steps.add("Restore into the Aurora writer with the credentials from Secrets Manager", [
      `aws ssm get-parameter --region ${home} --name ${appConfig} --query Parameter.Value --output text   # writer endpoint and secretArn`,
      `aws ssm send-command --region ${home} --document-name AWS-RunShellScript ${target} --parameters 'commands=["export PGPASSWORD=$(aws secretsmanager get-secret-value --region ${home} --secret-id <secretArn> --query SecretString --output text | jq -r .password)","pg_restore -h <writer endpoint> -U app_admin -d app --no-owner /tmp/app.dump"]'`,
    ]);
    steps.add("Restart the app (it re-reads its config and now uses Aurora)", [
      `aws ssm send-command --region ${home} --document-name AWS-RunShellScript ${target} --parameters 'commands=["systemctl restart scaling-app"]'`,
    ]);
  }
  if (a.singleHost && !b.singleHost) {
    const eips = custom(before, "aws:ec2/eip:Eip").filter((r) => !custom(after, "aws:ec2/eip:Eip").some((x) => x.urn === r.urn));
    steps.add(
      "The host's Elastic IP is released",
      [`aws ec2 describe-addresses --region ${home} --filters Name=tag:Name,Values=${eips.map(nameTag).join(",") || "<host EIP>"}`],
      [
        `\`pulumi up\` deletes ${eips.map((e) => e.name).join(", ") || "the host's Elastic IP"}: the address goes back to AWS. Anything outside this stack that names it (allow-lists, external DNS) must already point at the load balancer; the command above must return nothing.`,
      ],
    );
  }
  verifyStep(steps, stack, [...args.set.filter((s) => !s.startsWith("stage="))]);
  if (before.resources.some((r) => r.type === "aws:ebs/volume:Volume") && b.aurora && !b.hostDatabase) {
    const retiredAlready = after.resources.every((r) => r.type !== "aws:ebs/volume:Volume");
    if (!retiredAlready) {
      steps.add(
        "Later, once the restored data is verified: retire the host's data volume",
        [`pulumi config set --stack ${stack} --path database.hostVolumeRetired true`, previewCommand(stack), upCommand(stack)],
        [
          "That preview removes the EBS data volume (a stateful resource): snapshot it first. At protected stages it is retainOnDelete, so AWS keeps it until you delete it.",
        ],
      );
    }
  }
  return {
    summary: `promote ${stack} from stage ${from} (${fromStage.name}) to stage ${to} (${toStage.name})`,
    stack,
    steps,
    before,
    after,
    fromLabel: `${stack} stage ${from}`,
    toLabel: `${stack} stage ${to}`,
    findings,
  };
}

async function addRegion(args: Args): Promise<Built> {
  const stack = required(args.stack, "stack", "add-region");
  const region = required(args.region, "region", "add-region");
  const current = loadStackConfig({ stack, set: args.set });
  const regions = configuredRegions(current);
  if (regions.includes(region)) throw new UsageError(`${region} is already in regions (${regions.join(", ")})`);
  const before = await capture(current);
  // The new list goes through the program's own validation: a bad region is a ConfigError (exit 2).
  const after = await capture(loadStackConfig({ stack, set: [...args.set, `regions=${JSON.stringify([...regions, region])}`] }));
  const stage = configuredStage(current);
  const multiRegion = stageDefinition(stage).capabilities.multiRegion;
  const firstMulti = firstStageWith((c) => c.multiRegion);
  const home = homeRegionOf(current);
  const steps = new Steps();
  const findings: string[] = [];
  if (!multiRegion) {
    findings.push(
      `NOTE: stage ${stage} is not multi-region: ${region} is only recorded in \`regions\` and gets resources from stage ${firstMulti} on.`,
    );
  }
  steps.add(`Check ${region}'s quotas`, [
    `aws service-quotas get-service-quota --region ${region} --service-code ec2 --quota-code L-1216C47A   # running on-demand standard vCPUs`,
    `aws service-quotas get-service-quota --region ${region} --service-code vpc --quota-code L-F678F1CE   # VPCs per region`,
    `aws service-quotas get-service-quota --region ${region} --service-code ec2 --quota-code L-0263D0A3   # Elastic IPs (one per NAT gateway)`,
    `aws service-quotas list-service-quotas --region ${region} --service-code rds --query "Quotas[?QuotaName=='DB clusters']"`,
  ]);
  steps.add(`Append ${region} to regions`, [`pulumi config set --stack ${stack} --path 'regions[${regions.length}]' ${region}`]);
  steps.add("Preview with the policy pack", [previewCommand(stack)], ["The preview must match the diff below."]);
  steps.add("Apply", [upCommand(stack)]);
  const globals = custom(after, "aws:rds/globalCluster:GlobalCluster").map((g) => String(g.inputs.globalClusterIdentifier));
  verifyStep(
    steps,
    stack,
    args.set,
    multiRegion
      ? [
          `curl -fsS "http://$(aws elbv2 describe-load-balancers --region ${region} --load-balancer-arns "$(aws resourcegroupstaggingapi get-resources --region ${region} --resource-type-filters elasticloadbalancing:loadbalancer --tag-filters Key=Name,Values=${region}-alb --query 'ResourceTagMappingList[0].ResourceARN' --output text)" --query 'LoadBalancers[0].DNSName' --output text)${HEALTH_CHECK_PATH}"`,
          `aws route53 get-health-check-status --health-check-id "$(aws resourcegroupstaggingapi get-resources --region us-east-1 --resource-type-filters route53:healthcheck --tag-filters Key=Name,Values=origin-${region}-health --query 'ResourceTagMappingList[0].ResourceARN' --output text | cut -d/ -f2)"`,
          ...globals.map(
            (g) =>
              `aws rds describe-global-clusters --region ${home} --global-cluster-identifier ${g} --query "GlobalClusters[0].GlobalClusterMembers[?contains(DBClusterArn, ':${region}:')]"   # ${region} is a reader member`,
          ),
        ]
      : [],
  );
  return {
    summary: `add ${region} to ${stack}'s regions (${[...regions, region].join(", ")})`,
    stack,
    steps,
    before,
    after,
    fromLabel: `${stack} regions ${regions.join(", ")}`,
    toLabel: `${stack} regions ${[...regions, region].join(", ")}`,
    findings,
  };
}

async function failover(args: Args): Promise<Built> {
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
  const home = homeRegionOf(current);
  const primary = regions[0];
  const globals = custom(before, "aws:rds/globalCluster:GlobalCluster");
  const clusters = custom(before, "aws:rds/cluster:Cluster");
  const steps = new Steps();

  // The home cluster `<home>-<name>` is the source of global cluster `<home>-<name>-global`; the
  // secondary that joins it in another region is `<region>-<name>` (components/database.ts).
  const secondaryTag = (g: ResourceRecord) => {
    const name = g.name.replace(/-global$/, "").replace(`${g.region}-`, `${target}-`);
    return clusters.find((c) => c.region === target && nameTag(c) === name) ? name : `<${target} member of ${g.name}>`;
  };

  steps.add(
    `Check the replication lag of ${target}'s clusters`,
    globals.map(
      (g) =>
        `aws cloudwatch get-metric-statistics --region ${target} --namespace AWS/RDS --metric-name AuroraGlobalDBReplicationLag --dimensions Name=DBClusterIdentifier,Value="$(${clusterIdLookup(target, secondaryTag(g))})" --start-time "$(date -u -d '-15 min' +%FT%TZ)" --end-time "$(date -u +%FT%TZ)" --period 60 --statistics Maximum`,
    ),
    ["Lag should be steady and low (milliseconds to a few seconds); a switchover waits for the secondaries to catch up."],
  );
  globals.forEach((g) => {
    const id = String(g.inputs.globalClusterIdentifier);
    steps.add(
      `Switch over ${id} to ${target}`,
      [
        `TARGET_ARN=$(aws rds describe-global-clusters --region ${home} --global-cluster-identifier ${id} --query "GlobalClusters[0].GlobalClusterMembers[?contains(DBClusterArn, ':${target}:')].DBClusterArn | [0]" --output text)`,
        `aws rds switchover-global-cluster --region ${home} --global-cluster-identifier ${id} --target-db-cluster-identifier "$TARGET_ARN"`,
        `until [ "$(aws rds describe-global-clusters --region ${home} --global-cluster-identifier ${id} --query 'GlobalClusters[0].Status' --output text)" = available ]; do sleep 30; done`,
        `aws rds describe-global-clusters --region ${home} --global-cluster-identifier ${id} --query "GlobalClusters[0].GlobalClusterMembers[?IsWriter].DBClusterArn" --output text   # must name ${target}`,
      ],
      [
        `The target is ${target}'s member of ${id} (Pulumi resource ${secondaryTag(g)}); the global writer endpoint follows the switchover.`,
      ],
    );
  });
  if (globals.length === 0) steps.add("No Aurora global database in the plan: nothing to switch over");
  steps.add(
    `Make ${target} the first of regions`,
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
  steps.add("Apply", [upCommand(stack)]);
  verifyStep(steps, stack, args.set, [`pulumi stack output loadBalancerDns --stack ${stack}   # now ${target}'s load balancer`]);
  if (args.rehearse) {
    steps.add(
      `Rehearsal: fail back to ${primary}`,
      [`npm run runbook -- failover --stack ${stack} --to ${primary}${setFlags(args.set)}`],
      [`This was a rehearsal: run the failback runbook to make ${primary} the primary again, and record the timings of each switchover.`],
    );
  }
  const diff = comparePlans(before, after, triggers);
  const findings = [
    diff.replaced.length === 0 && diff.statefulAtRisk.length === 0
      ? "CHECK OK: reordering regions replaces nothing and puts no stateful resource at risk."
      : `CHECK FAILED: reordering regions replaces ${diff.replaced.length} resource(s) and puts ${diff.statefulAtRisk.length} stateful resource(s) at risk.`,
  ];
  return {
    summary: `${args.rehearse ? "rehearse a " : ""}failover of ${stack} from ${primary} to ${target}`,
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

async function devToProd(args: Args): Promise<Built> {
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
  const keys = [...configDiff.changed.map((c) => c.key), ...configDiff.onlyIn[fromStack]];
  steps.add(
    `Edit Pulumi.${toStack}.yaml in a branch with the keys you carry over from ${fromStack}`,
    [
      `git switch -c carry-${fromStack}-to-${toStack}`,
      ...(keys.length > 0
        ? keys.map((k) => {
            const value = flattenConfig(fromFile.config, fromFile.project).get(k);
            // A list is written item by item (`--path 'key[i]'`), so it stays a YAML list.
            const target = Array.isArray(value) ? shellQuote(`${k}[<i>]`) : shellQuote(k);
            return `pulumi config set --stack ${toStack} --path ${target} <value>   # ${fromStack} has ${JSON.stringify(value)}`;
          })
        : ["(the two stack files already agree)"]),
    ],
    ["Carry only the keys the change needs: the others are deliberate differences (see the list below)."],
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
    ...configDiff.changed.map((c) => `  ~ ${c.key}: ${show(c.from)} → ${show(c.to)}`),
    ...configDiff.onlyIn[fromStack].map((k) => `  - ${k} only in ${fromStack}`),
    ...configDiff.onlyIn[toStack].map((k) => `  + ${k} only in ${toStack}`),
  ];
  if (findings.length === 1) findings.push("  (none)");
  findings.push(
    "",
    `The diff below compares two stacks (names derived from the stack are matched). A resource "removed" exists only in ${fromStack};`,
    `"added" exists only in ${toStack}. No \`pulumi up\` runs this diff, so it does not STOP on removals; it STOPs when a stateful`,
    `resource's replace-triggering inputs differ, since carrying that key to ${toStack} would rebuild it.`,
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
    stopReasons: (d) => statefulStop({ ...d, statefulAtRisk: d.statefulAtRisk.filter((r) => r.change === "replaced") }),
  };
}

export async function buildRunbook(argv: string[]): Promise<Runbook> {
  const args = parseRunbookArgs(argv);
  const build = { promote, "add-region": addRegion, failover, "dev-to-prod": devToProd }[args.operation];
  const built = await build(args);
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

// ---------------------------------------------------------------------------------------------
// Rendering and the CLI

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

/** Runs the CLI and returns what to print and the exit code (no process side effects). */
export async function runRunbook(argv: string[]): Promise<CliResult> {
  try {
    const args = parseRunbookArgs(argv);
    if (args.help) return { stdout: USAGE + "\n", stderr: "", code: 0 };
    const rb = await buildRunbook(argv);
    const stdout = args.json ? JSON.stringify(runbookJson(rb), null, 2) + "\n" : renderRunbook(rb);
    const stderr = rb.stop ? "runbook: STOP, see the top of the runbook\n" : "";
    return { stdout, stderr, code: rb.stop ? 1 : 0 };
  } catch (err) {
    return cliFailure(err, "runbook", USAGE);
  }
}

if (require.main === module) runMain("runbook", runRunbook);
