/** `promote`: change a stack's stage, with the operator steps of every one-stage step it crosses. */
import { GLOBAL_DATABASE_CLASS_FAMILIES } from "../../components/awsFacts";
import { READINESS_PATH } from "../../components/appPaths";
import { parameterPath } from "../../components/region";
import { isStageNumber, STAGE_NUMBERS, stageDefinition, StageNumber } from "../../components/stages";
import { Capture, CaptureOptions } from "../capture";
import { wholeNumber } from "../cli";
import { loadStackConfig, UsageError } from "../stackConfig";
import { Args, required } from "./args";
import { delegationSteps } from "./domain";
import { hostVolumeOf, retirementNote, retirementSteps } from "./hostVolume";
import { OperatorStep, OperatorStepId, operatorStepsFor, stagesBetween } from "./operatorSteps";
import { capture, configuredRegions, configuredStage, custom, homeRegionOf, nameTag, rawConfig } from "./stack";
import { Built, clusterIdLookup, previewCommand, setFlags, snapshotStep, Steps, upCommand, verifyStep } from "./steps";

interface Context {
  stack: string;
  home: string;
  before: Capture;
  after: Capture;
  afterOptions: CaptureOptions;
  appConfig: string;
}

/** A step's commands and notes, and any steps that follow it. */
interface Detail {
  commands?: string[];
  notes?: string[];
  then?: { title: string; commands: string[]; notes?: string[] }[];
}

const clusterTags = (c: Capture) => custom(c, "aws:rds/cluster:Cluster").map(nameTag);

/** The commands the runbook knows for an operator step (the README prints only its text). */
const DETAILS: Partial<Record<OperatorStepId, (ctx: Context) => Detail>> = {
  "point-users": ({ stack }) => ({
    commands: [`pulumi stack output appUrl --stack ${stack}`],
    notes: ["Publish this address (or a CNAME to it) where users find the product."],
  }),
  "move-database": ({ home, before, appConfig }) => {
    const host = custom(before, "aws:ec2/instance:Instance")[0];
    const target = host ? `--targets Key=tag:Name,Values=${nameTag(host)}` : "--instance-ids <host instance id>";
    return {
      commands: [
        `aws ssm send-command --region ${home} --document-name AWS-RunShellScript ${target} --parameters 'commands=["systemctl stop scaling-app","sudo -u postgres pg_dump -Fc app > /tmp/app.dump","ls -l /tmp/app.dump"]'`,
        `aws ssm start-session --region ${home} --target <host instance id>   # interactive alternative`,
      ],
      notes: [
        "First, dump the host's PostgreSQL (the app is stopped so nothing writes). The host keeps PostgreSQL and its data volume at this stage exactly for this dump.",
      ],
      then: [
        {
          title: "Restore into the Aurora writer with the credentials from Secrets Manager",
          commands: [
            `aws ssm get-parameter --region ${home} --name ${appConfig} --query Parameter.Value --output text   # writer endpoint and secretArn`,
            `aws ssm send-command --region ${home} --document-name AWS-RunShellScript ${target} --parameters 'commands=["export PGPASSWORD=$(aws secretsmanager get-secret-value --region ${home} --secret-id <secretArn> --query SecretString --output text | jq -r .password)","pg_restore -h <writer endpoint> -U app_admin -d app --no-owner /tmp/app.dump"]'`,
          ],
        },
        {
          title: "Restart the app (it re-reads its config and now uses Aurora)",
          commands: [
            `aws ssm send-command --region ${home} --document-name AWS-RunShellScript ${target} --parameters 'commands=["systemctl restart scaling-app"]'`,
          ],
        },
      ],
    };
  },
  "lower-dns-ttl": ({ home, before, after }) => {
    const kept = new Set(custom(after, "aws:ec2/eip:Eip").map((r) => r.urn));
    const eips = custom(before, "aws:ec2/eip:Eip").filter((r) => !kept.has(r.urn));
    return {
      notes: [
        "Lower the TTL of any record outside this stack that names the host's IP a TTL ahead of time, so clients follow within minutes.",
      ],
      then: [
        {
          title: "The host's Elastic IP is released",
          commands: [
            `aws ec2 describe-addresses --region ${home} --filters Name=tag:Name,Values=${eips.map(nameTag).join(",") || "<host EIP>"}`,
          ],
          notes: [
            `\`pulumi up\` deletes ${eips.map((e) => e.name).join(", ") || "the host's Elastic IP"}: the address goes back to AWS. Anything outside this stack that names it (allow-lists, external DNS) must already point at the load balancer; after the up, the command above must return nothing.`,
          ],
        },
      ],
    };
  },
  "static-assets": ({ home, after }) => {
    const bucket = custom(after, "aws:s3/bucket:Bucket").find((b) => b.inputs.tags?.["scaling:data"] === "static-assets");
    const tag = bucket ? nameTag(bucket) : "<static bucket>";
    return {
      commands: [
        `BUCKET=$(aws resourcegroupstaggingapi get-resources --region ${home} --resource-type-filters s3 --tag-filters Key=Name,Values=${tag} --query 'ResourceTagMappingList[0].ResourceARN' --output text | cut -d: -f6)`,
        `aws s3 sync <your built static assets> "s3://$BUCKET/static/"`,
        `curl -fsSI "https://$(pulumi stack output cdnDomain)/static/<a file you uploaded>"`,
      ],
      notes: ["CloudFront serves `/static/*` from this bucket; everything else goes to the load balancer."],
    };
  },
  "deploy-services": ({ stack }) => ({
    commands: [`pulumi stack output internalLoadBalancerDns --stack ${stack}   # the web tier reaches the services here`],
    notes: ["Each service's instances serve its `path` on its `port`; until its code is deployed, its target group reports unhealthy."],
  }),
  "global-instance-class": ({ after, afterOptions }) => {
    const instanceClass = after.resources.find((r) => r.type === "aws:rds/clusterInstance:ClusterInstance")?.inputs.instanceClass;
    const secondaries = configuredRegions(afterOptions).slice(1);
    // The plan itself refuses a class outside GLOBAL_DATABASE_CLASS_FAMILIES (data/aurora-global.json)
    // with exit 2 and the key to set, so a target plan that got here already has an accepted class.
    return {
      commands: [],
      notes: [
        `Aurora Global Database takes only memory-optimised classes (${GLOBAL_DATABASE_CLASS_FAMILIES.join(", ")}); the target plan uses ${instanceClass ?? "the stage default"}.`,
      ],
      then: [
        {
          title: "Regions after the first become active: check their quotas",
          commands: secondaries.map(
            (r) =>
              `aws service-quotas get-service-quota --region ${r} --service-code ec2 --quota-code L-1216C47A   # running on-demand standard vCPUs; also VPCs, EIPs/NAT gateways, Aurora clusters`,
          ),
          notes: [
            secondaries.length > 0
              ? `${secondaries.join(", ")} will get the full regional stack and join the global databases and tables.`
              : "`regions` lists only one region: nothing becomes active elsewhere (add one with `npm run runbook -- add-region`).",
          ],
        },
      ],
    };
  },
  "master-password": ({ stack, home, before, after }) => {
    // The clusters that had an AWS-managed password before and a program-managed one after.
    const managedBefore = new Set(
      custom(before, "aws:rds/cluster:Cluster")
        .filter((c) => c.inputs.manageMasterUserPassword === true)
        .map(nameTag),
    );
    const moved = custom(after, "aws:rds/cluster:Cluster").filter(
      (c) => managedBefore.has(nameTag(c)) && c.inputs.manageMasterUserPassword !== true,
    );
    const tags = moved.length > 0 ? moved.map(nameTag) : clusterTags(after).filter((t) => t.startsWith(`${home}-`));
    return {
      commands: [
        ...tags.map(
          (tag) =>
            `aws rds describe-db-clusters --region ${home} --db-cluster-identifier "$(${clusterIdLookup(home, tag)})" --query 'DBClusters[0].MasterUserSecret'   # ${tag}: must print null (AWS no longer manages it)`,
        ),
        ...tags.map(
          (tag) =>
            `aws secretsmanager describe-secret --region ${home} --secret-id "$(pulumi stack output databaseEndpoints --stack ${stack} --json | jq -r '.[] | select(.name == "${tag.slice(home.length + 1)}") | .secretArn' | head -1)" --query '{Name: Name, Replicas: ReplicationStatus}'`,
        ),
        `curl -fsS "$(pulumi stack output appUrl --stack ${stack})${READINESS_PATH}"`,
      ],
      notes: [
        "AWS cannot manage the master password of a cluster in an Aurora Global Database, so the up turns `manageMasterUserPassword` off and sets the program's password (`masterPasswordWo`); AWS then deletes the secret it managed (`rds!cluster-…`).",
        "(ModifyDBCluster, ManageMasterUserPassword: https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html: when management is turned off, RDS deletes the secret and uses the new password.)",
        "Anything that cached the old password (a client outside this stack, a connection pool) must re-read the secret named in the app's config; the app reads its config at start: restart it if `/ready` fails.",
      ],
    };
  },
};

function addOperatorStep(steps: Steps, step: OperatorStep, ctx: Context): void {
  const detail = DETAILS[step.id]?.(ctx) ?? {};
  steps.add(step.text, detail.commands ?? [], detail.notes ?? []);
  for (const t of detail.then ?? []) steps.add(t.title, t.commands, t.notes ?? []);
}

export async function promote(args: Args): Promise<Built> {
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
  const home = homeRegionOf(afterOptions);
  const ctx: Context = {
    stack,
    home,
    before,
    after,
    afterOptions,
    appConfig: `${parameterPath({ project: after.project, stack })}/app/config`,
  };
  const steps = new Steps();
  const findings: string[] = [];

  const crossed = stagesBetween(from as StageNumber, to as StageNumber);
  if (crossed.length === 0) findings.push(`This goes DOWN the stage table (${from} → ${to}): expect removals; read the diff.`);
  if (crossed.length > 1) {
    findings.push(
      `WARNING: this jumps ${crossed.length} stages (${from} → ${to}). Promotion goes one stage at a time: run \`npm run runbook -- promote --stack ${stack} --to ${crossed[0][1].stage}\` and apply it, then the next. The steps of each one-stage promotion:`,
      ...crossed.flatMap(([a, b]) => {
        const own = operatorStepsFor(a, b);
        return [
          `  ${a.stage} → ${b.stage} (${b.name}):`,
          ...(own.length > 0 ? own.map((o) => `    - ${o.text}`) : ["    - (no operator step)"]),
        ];
      }),
    );
  }
  // Every operator step of every one-stage promotion crossed, once, in the list's order.
  const seen = new Set<OperatorStepId>();
  const operatorSteps = crossed.flatMap(([a, b]) => operatorStepsFor(a, b)).filter((o) => !seen.has(o.id) && seen.add(o.id));

  steps.add(
    `Run the policy pack on the target (stage ${to}, ${toStage.name})`,
    [`npm run policy -- --stack ${stack} --stage ${to}${setFlags(args.set)}`],
    [`Mandatory violations must be fixed in Pulumi.${stack}.yaml before going on.`],
  );
  snapshotStep(steps, before, `pre-stage-${to}`);
  for (const o of operatorSteps.filter((s) => s.phase === "before")) addOperatorStep(steps, o, ctx);
  steps.add(`Set the stage`, [`pulumi config set --stack ${stack} stage ${to}`]);
  steps.add("Preview with the policy pack", [previewCommand(stack)], ["The preview must match the diff below."]);
  steps.add("Apply", [upCommand(stack)]);
  // A domain whose zone is not delegated yet: the up above created the zone without waiting for
  // certificates; delegate it now (the order of `npm run runbook -- add-domain`).
  const domain = rawConfig(afterOptions, "domain");
  if (typeof domain === "string" && rawConfig(afterOptions, "domainDelegated") !== true) {
    for (const s of delegationSteps(stack, domain)) steps.add(s.title, s.commands, s.notes);
  }
  for (const o of operatorSteps.filter((s) => s.phase === "after")) addOperatorStep(steps, o, ctx);
  const kept = args.set.filter((s) => !s.startsWith("stage="));
  verifyStep(steps, stack, kept);
  if (hostVolumeOf(before) && hostVolumeOf(after) && !toStage.capabilities.hostDatabase) {
    steps.add(
      "Later, once the restored data is verified: retire the host's data volume",
      [`npm run runbook -- retire-host-volume --stack ${stack}${setFlags(kept)}`],
      [retirementNote(after), "The steps it prints at this stage follow."],
    );
    retirementSteps(steps, stack, after, "Later: ");
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
