/**
 * SPEC invariant 8: the pack gives the same mandatory verdict on the program's inputs, on a first
 * preview (computed values unknown) and on deployed outputs (tools/policyRunner.ts feeds each
 * view what pulumi/pulumi's engine feeds it; tools/mocks.ts models what the provider reports).
 * Degraded stacks are degraded in what the program registers (inputs) and in what the provider
 * then reports (outputs) alike.
 */
import { strict as assert } from "node:assert";
import { STAGE_NUMBERS, stageDefinition, StageNumber, STAGES } from "../components/stages";
import { policies } from "../policies/rules";
import type { ResourceRecord } from "../tools/capture";
import { DEPLOYED_UNSET, PREVIEW_UNSET, UNKNOWN } from "../tools/mocks";
import {
  loadPackConfig,
  mandatoryVerdicts,
  PackConfig,
  PolicyRun,
  runPolicies,
  runViews,
  View,
  VIEWS,
  viewDifferences,
  ViewCaptures,
} from "../tools/policyRunner";
import type { StackSelection } from "../tools/stackConfig";
import { renderViews } from "../tools/policy";
import { plan, previewPlan } from "./helpers";

const captures = async (selection: StackSelection): Promise<ViewCaptures> => ({
  normal: await plan(selection),
  preview: await previewPlan(selection),
});

const firstStage = (pred: (s: (typeof STAGES)[number]) => boolean) => STAGES.find(pred)!.stage;
const HA_STAGE = firstStage((s) => s.minimums.dbReaders > 0);
const ALARM_STAGE = firstStage((s) => s.capabilities.alarmScaling);
const NAT_STAGE = firstStage((s) => s.capabilities.nat === "perAz");
const MULTI_REGION_STAGE = firstStage((s) => s.capabilities.multiRegion);
const PROTECT_STAGE = firstStage((s) => s.minimums.dataProtection);

function devAt(stage: StageNumber): StackSelection {
  const regions = stageDefinition(stage).minimums.regions;
  const extra = ["us-west-2", "eu-west-1", "ap-southeast-2"].slice(0, regions - 1);
  return extra.length > 0 ? { stack: "dev", stage, set: [`regions=${JSON.stringify(["us-east-1", ...extra])}`] } : { stack: "dev", stage };
}

type Edit = (r: ResourceRecord, props: Record<string, any>, where: "inputs" | "outputs", preview: boolean) => void;

/** Both captures, with `edit` applied to the inputs and outputs of every record `match` selects (at least one). */
function degrade(c: ViewCaptures, match: (r: ResourceRecord) => boolean, edit: Edit): ViewCaptures {
  const out = structuredClone(c);
  for (const capture of [out.normal, out.preview]) {
    const hits = capture.resources.filter(match);
    assert.ok(hits.length > 0, "the degradation matched no resource");
    for (const r of hits) {
      edit(r, r.inputs, "inputs", capture.preview ?? false);
      edit(r, r.outputs!, "outputs", capture.preview ?? false);
    }
  }
  return out;
}

/** Unsets `key`: gone from the inputs; in the outputs, what the provider reports for it unset. */
const unset =
  (key: string): Edit =>
  (r, props, where, preview) => {
    delete props[key];
    if (where === "outputs") {
      const model = preview ? PREVIEW_UNSET[r.type]?.[key] : DEPLOYED_UNSET[r.type]?.[key]?.(r.region ?? "us-east-1");
      if (model !== undefined) props[key] = model;
    }
  };

const removed = (c: ViewCaptures, match: (r: ResourceRecord) => boolean): ViewCaptures => {
  assert.ok(c.normal.resources.some(match) && c.preview.resources.some(match), "nothing to remove");
  return {
    normal: { ...c.normal, resources: c.normal.resources.filter((r) => !match(r)) },
    preview: { ...c.preview, resources: c.preview.resources.filter((r) => !match(r)) },
  };
};

const is =
  (type: string, nameIncludes = "") =>
  (r: ResourceRecord) =>
    r.type === type && r.name.includes(nameIncludes);

const byView = async (c: ViewCaptures, config: PackConfig = {}) => (await runViews(c, policies, config)) as Record<View, PolicyRun>;

/** `policy` flags a resource whose URN includes `urnIncludes`, mandatory, in every view, and the views agree. */
async function flaggedInEveryView(c: ViewCaptures, policy: string, urnIncludes: string, config: PackConfig = {}): Promise<void> {
  const runs = await byView(c, config);
  for (const view of VIEWS) {
    const hit = mandatoryVerdicts(runs[view]).filter((v) => v.startsWith(`${policy} `) && v.includes(urnIncludes));
    assert.ok(hit.length > 0, `${view} view: ${policy} should flag *${urnIncludes}*; got ${JSON.stringify(mandatoryVerdicts(runs[view]))}`);
  }
  assert.deepEqual(viewDifferences(runs), []);
}

describe("policy views: inputs, first preview and deployed outputs give the same mandatory verdicts", function () {
  this.timeout(300_000);

  it("the views differ where the engine's do: resource policies see inputs, stack policies outputs and property dependencies, no retainOnDelete", async () => {
    const c = await captures({ stack: "dev", stage: ALARM_STAGE });
    const seen: Record<string, any> = {};
    const probe = [
      {
        name: "probe-resource",
        description: "records what a resource policy sees",
        enforcementLevel: "advisory" as const,
        validateResource: (a: any) => {
          if (a.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && a.name.includes("cpu-high")) seen.resource = a.props;
        },
      },
      {
        name: "probe-stack",
        description: "records what a stack policy sees",
        enforcementLevel: "advisory" as const,
        validateStack: (a: any) => {
          seen.stack = a.resources.find((r: any) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" && r.name.includes("cpu-high"));
        },
      },
    ];
    const alarmIn = (capture: typeof c.normal) => capture.resources.find(is("aws:cloudwatch/metricAlarm:MetricAlarm", "cpu-high"))!;
    // Deployed: the stack policy sees outputs (the ARN AWS computed), the resource policy inputs.
    await runPolicies(c.normal, probe, {}, "deployed");
    assert.equal(seen.stack.props.arn, alarmIn(c.normal).outputs!.arn);
    assert.ok(typeof seen.stack.props.arn === "string" && !("arn" in alarmIn(c.normal).inputs));
    assert.equal(seen.resource.arn, undefined);
    const firedBy = seen.stack.propertyDependencies.alarmActions.map((r: any) => r.type);
    assert.deepEqual([...new Set(firedBy)], ["aws:autoscaling/policy:Policy"]);
    assert.ok(!("retainOnDelete" in seen.stack.opts));
    // Preview: the policy ARNs in alarmActions are unknown, for both kinds.
    await runPolicies(c.preview, probe, {}, "preview");
    assert.throws(() => seen.stack.props.alarmActions[0], /during preview/);
    assert.throws(() => seen.resource.alarmActions[0], /during preview/);
    assert.equal(alarmIn(c.preview).inputs.alarmActions[0], UNKNOWN);
    // The preview view needs a preview capture, and the others a normal one.
    await assert.rejects(runPolicies(c.normal, policies, {}, "preview"), /preview capture/);
    await assert.rejects(runPolicies(c.preview, policies, {}, "deployed"), /normal capture/);
  });

  for (const stage of STAGE_NUMBERS)
    it(`healthy dev stack at stage ${stage}: no mandatory violation in any view`, async () => {
      const runs = await byView(await captures(devAt(stage)));
      for (const view of VIEWS) assert.deepEqual(mandatoryVerdicts(runs[view]), [], `${view} view`);
    });

  it("healthy prod stack under policies/config/prod.json: no mandatory violation in any view", async () => {
    const runs = await byView(await captures({ stack: "prod" }), loadPackConfig("prod").config);
    for (const view of VIEWS) assert.deepEqual(mandatoryVerdicts(runs[view]), [], `${view} view`);
  });

  const degradedByConfig: { title: string; selection: StackSelection; config?: () => PackConfig; policy: string }[] = [
    {
      title: "no reader",
      selection: { stack: "dev", stage: HA_STAGE, set: ["database.readers=0"] },
      policy: "aurora-reader-in-another-az",
    },
    {
      title: "one web instance",
      selection: { stack: "dev", stage: ALARM_STAGE, set: ["compute.minSize=1"] },
      policy: "asg-multi-az-elb-health",
    },
    { title: "two AZs", selection: { stack: "dev", stage: NAT_STAGE, set: ["network.azs=2"] }, policy: "nat-gateway-per-az" },
    { title: "one region", selection: { stack: "dev", stage: MULTI_REGION_STAGE }, policy: "multi-region-global-data" },
    {
      title: "stage 3 under prod's floor",
      selection: { stack: "dev", stage: 3 },
      config: () => loadPackConfig("prod").config,
      policy: "data-deletion-protection",
    },
  ];
  for (const d of degradedByConfig)
    it(`degraded by config (${d.title}): ${d.policy} and every other verdict agree in all views`, async () => {
      await flaggedInEveryView(await captures(d.selection), d.policy, "", d.config?.() ?? {});
    });

  it('alb-https-redirect: an HTTP listener that forwards beside an HTTPS one, in every view (the provider reports no certificate as "")', async () => {
    const c = await captures({ stack: "prod" });
    const redirecting = (r: ResourceRecord) =>
      r.type === "aws:lb/listener:Listener" && r.inputs.protocol === "HTTP" && r.inputs.defaultActions?.[0]?.type === "redirect";
    const forwards = degrade(c, redirecting, (_r, props) => (props.defaultActions = [{ type: "forward", targetGroupArn: "arn:tg" }]));
    await flaggedInEveryView(forwards, "alb-https-redirect", "alb-http");
  });

  it("db-managed-credentials: a plaintext master password in every view; a write-only one passes once deployed (never stored)", async () => {
    const c = await captures({ stack: "dev", stage: 3 });
    const cluster = is("aws:rds/cluster:Cluster");
    await flaggedInEveryView(
      degrade(c, cluster, (_r, props) => (props.masterPassword = "plaintext")),
      "db-managed-credentials",
      "Cluster",
    );
    await flaggedInEveryView(degrade(c, cluster, unset("manageMasterUserPassword")), "db-managed-credentials", "Cluster");
    const prod = await captures({ stack: "prod" });
    const wo = prod.normal.resources.find((r) => r.type === "aws:rds/cluster:Cluster" && r.inputs.masterPasswordWo !== undefined)!;
    assert.equal(wo.outputs!.masterPasswordWo, null, "write-only: never in state");
  });

  it("data-final-snapshot: a cluster without finalSnapshotIdentifier, in every view", async () => {
    const c = await captures(devAt(PROTECT_STAGE));
    await flaggedInEveryView(degrade(c, is("aws:rds/cluster:Cluster"), unset("finalSnapshotIdentifier")), "data-final-snapshot", "Cluster");
  });

  it("multi-region-global-data: a secondary cluster outside the global database, in every view", async () => {
    const c = await captures(devAt(MULTI_REGION_STAGE));
    const secondary = (r: ResourceRecord) => r.type === "aws:rds/cluster:Cluster" && typeof r.inputs.globalClusterIdentifier === "string";
    const outside = degrade(c, secondary, (r, props, where, preview) => {
      unset("globalClusterIdentifier")(r, props, where, preview);
      r.dependencies = r.dependencies.filter((d) => !d.includes("aws:rds/globalCluster:GlobalCluster"));
      delete r.propertyDependencies.globalClusterIdentifier;
    });
    await flaggedInEveryView(outside, "multi-region-global-data", "Cluster");
  });

  it("s3-encryption: a bucket without its encryption configuration, in every view (AWS's default encryption does not count)", async () => {
    const c = await captures({ stack: "dev", stage: ALARM_STAGE });
    const bucket = c.normal.resources.find(is("aws:s3/bucket:Bucket"))!;
    assert.ok(bucket.outputs!.serverSideEncryptionConfiguration, "deployed: AWS reports its default encryption");
    const without = removed(c, (r) => r.type.includes("bucketServerSideEncryptionConfiguration"));
    await flaggedInEveryView(without, "s3-encryption", "Bucket");
  });

  it("asg-alarm-driven-scaling: a CPU-high alarm with no actions, in every view", async () => {
    const c = await captures({ stack: "dev", stage: ALARM_STAGE });
    const silent = degrade(c, is("aws:cloudwatch/metricAlarm:MetricAlarm", "cpu-high"), (r, props) => {
      props.alarmActions = [];
      delete r.propertyDependencies.alarmActions;
    });
    await flaggedInEveryView(silent, "asg-alarm-driven-scaling", "web");
  });

  it("nat-gateway-per-az: a private route to another AZ's NAT gateway, in every view (its NAT id unknown in preview)", async () => {
    const c = await captures({ stack: "dev", stage: NAT_STAGE });
    const nat0 = c.normal.resources.find((r) => r.type === "aws:ec2/natGateway:NatGateway" && r.name.endsWith("nat-0"))!;
    const otherAz = (r: ResourceRecord) =>
      r.type === "aws:ec2/route:Route" &&
      r.dependencies.some((d) => d.includes("aws:ec2/natGateway:NatGateway")) &&
      !r.dependencies.includes(nat0.urn);
    const crossAz = degrade(c, otherAz, (r, props, _where, preview) => {
      r.dependencies = r.dependencies.map((d) => (d.includes("aws:ec2/natGateway:NatGateway") ? nat0.urn : d));
      r.propertyDependencies.natGatewayId = [nat0.urn];
      props.natGatewayId = preview ? UNKNOWN : (nat0.outputs!.id ?? props.natGatewayId);
    });
    await flaggedInEveryView(crossAz, "nat-gateway-per-az", "aws:ec2/route:Route");
  });

  // Every IAM grant the program writes is built from values known in a first preview (names the
  // program or pulumi-aws's auto-naming picks, account, region, partition), except the DB secret
  // grant: an RDS-managed secret's ARN and a KMS key's ARN carry random parts AWS picks at create
  // (policies/README.md, "What each view can judge").
  const ARN_BUILT_GRANTS = ["read-db-secret"];
  const grants = (c: ViewCaptures) => c.preview.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy");
  const star = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });

  const grantSelections: [string, StackSelection][] = [
    ["dev stage 1", { stack: "dev", stage: 1 }],
    [`dev stage ${NAT_STAGE}`, { stack: "dev", stage: NAT_STAGE }],
    ["prod", { stack: "prod" }],
  ];
  for (const [title, selection] of grantSelections)
    it(`iam-least-privilege, ${title}: every grant but the DB secret's is known in a first preview, and Action "*" in it is caught in every view`, async () => {
      const c = await captures(selection);
      const unknown = grants(c).filter((r) => r.inputs.policy === UNKNOWN);
      assert.ok(
        unknown.every((r) => ARN_BUILT_GRANTS.some((g) => r.name.endsWith(`-${g}`))),
        `unknown in a first preview: ${unknown.map((r) => r.name).join(", ")}`,
      );
      const known = grants(c).filter((r) => r.inputs.policy !== UNKNOWN);
      assert.ok(known.length > 0);
      for (const grant of known)
        // Known means the very document `pulumi up` writes: the preview's equals the inputs'.
        assert.equal(grant.inputs.policy, c.normal.resources.find((r) => r.urn === grant.urn)!.inputs.policy, grant.name);
      // Action "*" in every known grant at once (one run per view): each is flagged, in every view.
      const urns = new Set(known.map((r) => r.urn));
      const runs = await byView(
        degrade(
          c,
          (r) => urns.has(r.urn),
          (_r, props) => (props.policy = star),
        ),
      );
      for (const view of VIEWS)
        for (const grant of known)
          assert.ok(
            mandatoryVerdicts(runs[view]).some((v) => v.startsWith("iam-least-privilege ") && v.includes(`::${grant.name}`)),
            `${view} view: ${grant.name} not flagged`,
          );
      assert.deepEqual(viewDifferences(runs), []);
    });

  it('iam-least-privilege: the DB secret grant is unknown in a first preview, which says so (advisory "can\'t run"); inputs and deployed catch Action "*"', async () => {
    const c = await captures({ stack: "dev", stage: NAT_STAGE });
    const secretGrant = is("aws:iam/rolePolicy:RolePolicy", "read-db-secret");
    assert.equal(c.preview.resources.find(secretGrant)!.inputs.policy, UNKNOWN);
    const degraded = degrade(c, secretGrant, (_r, props, _where, preview) => (props.policy = preview ? UNKNOWN : star));
    const runs = await byView(degraded);
    for (const view of ["inputs", "deployed"] as const)
      assert.ok(
        mandatoryVerdicts(runs[view]).some((v) => v.startsWith("iam-least-privilege ") && v.includes("read-db-secret")),
        view,
      );
    const said = runs.preview.violations.filter((v) => v.policyName === "iam-least-privilege" && v.urn?.includes("read-db-secret"));
    assert.deepEqual(
      said.map((v) => [v.enforcementLevel, /can't run policy 'iam-least-privilege' during preview/.test(v.message)]),
      [["advisory", true]],
    );
  });

  // A reader whose availabilityZone the program leaves to AWS: absent from the inputs, planned
  // unknown in a first preview (rds/cluster_instance.go: availability_zone Optional+Computed), the
  // AZ AWS picked once deployed. Killed by reading it with `peek` and skipping the unknown.
  it("aurora-reader-in-another-az: a reader without availabilityZone, in every view (unknown in a first preview, not skipped)", async () => {
    const c = await captures({ stack: "dev", stage: HA_STAGE });
    const reader = (r: ResourceRecord) => r.type === "aws:rds/clusterInstance:ClusterInstance" && r.name.endsWith("-1");
    const unplaced = degrade(c, reader, unset("availabilityZone"));
    assert.equal(unplaced.preview.resources.find(reader)!.outputs!.availabilityZone, UNKNOWN, "planned unknown");
    await flaggedInEveryView(unplaced, "aurora-reader-in-another-az", "Cluster");
  });

  // The one documented difference (policies/README.md): deployed, the rule judges the AZ AWS
  // reports, not whether the program chose it. Killed by judging the deployed AZ as "unset".
  it("aurora-reader-in-another-az: a reader left to AWS that AWS put in another AZ passes only once deployed (documented)", async () => {
    const c = await captures({ stack: "dev", stage: HA_STAGE });
    const reader = (r: ResourceRecord) => r.type === "aws:rds/clusterInstance:ClusterInstance" && r.name.endsWith("-1");
    const writer = c.normal.resources.find((r) => r.type === "aws:rds/clusterInstance:ClusterInstance" && r.name.endsWith("-0"))!;
    const elsewhere = degrade(c, reader, (r, props, where, preview) => {
      unset("availabilityZone")(r, props, where, preview);
      if (where === "outputs" && !preview) props.availabilityZone = `${r.region}b`;
    });
    assert.notEqual(writer.outputs!.availabilityZone, `${writer.region}b`);
    const runs = await byView(elsewhere);
    assert.deepEqual(
      viewDifferences(runs).map((d) => [d.verdict.split(" ")[0], d.in, d.notIn]),
      [["aurora-reader-in-another-az", ["inputs", "preview"], ["deployed"]]],
    );
  });

  // A reader placed from a resource not yet created (its AZ unknown, with a property dependency):
  // the preview can't judge the placement and says so. Killed by skipping the unknown silently.
  it("aurora-reader-in-another-az: a reader placed from a resource not yet created can't be judged in a first preview, and the pack says so", async () => {
    const c = await previewPlan({ stack: "dev", stage: HA_STAGE });
    const changed = structuredClone(c);
    const reader = changed.resources.find((r) => r.type === "aws:rds/clusterInstance:ClusterInstance" && r.name.endsWith("-1"))!;
    const subnet = changed.resources.find((r) => r.type === "aws:ec2/subnet:Subnet" && r.name.includes("data-1"))!;
    reader.inputs.availabilityZone = UNKNOWN;
    reader.outputs!.availabilityZone = UNKNOWN;
    reader.propertyDependencies.availabilityZone = [subnet.urn];
    reader.dependencies = [...new Set([...reader.dependencies, subnet.urn])];
    const run = await runPolicies(changed, policies, {}, "preview");
    assert.deepEqual(mandatoryVerdicts(run), []);
    const said = run.violations.filter((v) => v.policyName === "aurora-reader-in-another-az");
    assert.deepEqual(
      said.map((v) => [v.enforcementLevel, /can't run policy 'aurora-reader-in-another-az' during preview/.test(v.message)]),
      [["advisory", true]],
    );
  });

  // Subnets are placed by zone ID, so a first preview plans their AZ *name* unknown
  // (ec2/vpc_subnet.go: availability_zone and availability_zone_id both Optional+Computed). The AZ
  // checks judge by the known zone ID. Killed by reading `availabilityZone ?? availabilityZoneId`.
  it("nat-gateway-per-az and asg-multi-az-elb-health judge subnets by zone ID while their AZ names are unknown (first preview)", async () => {
    const c = await captures({ stack: "dev", stage: NAT_STAGE });
    const namesUnknown = structuredClone(c);
    for (const r of namesUnknown.preview.resources.filter((x) => x.type === "aws:ec2/subnet:Subnet")) {
      assert.equal(typeof r.inputs.availabilityZoneId, "string", "placed by zone ID");
      r.outputs!.availabilityZone = UNKNOWN;
    }
    const healthy = await byView(namesUnknown);
    for (const view of VIEWS) assert.deepEqual(mandatoryVerdicts(healthy[view]), [], view);
    assert.deepEqual(
      healthy.preview.violations.filter((v) => /can't run/.test(v.message) && v.policyName !== "iam-least-privilege"),
      [],
      "nothing left unjudged",
    );
    // One web subnet moved into another's AZ: still two subnets, one AZ fewer, in every view.
    const web = namesUnknown.normal.resources.find((r) => r.type === "aws:autoscaling/group:Group" && r.name.includes("web"))!;
    const webSubnets = (capture: typeof c.normal) =>
      capture.resources.filter((r) => r.type === "aws:ec2/subnet:Subnet" && web.dependencies.includes(r.urn));
    const [first, second] = webSubnets(namesUnknown.normal).map((s) => s.inputs.availabilityZoneId);
    assert.notEqual(first, second);
    const squeezed = degrade(
      namesUnknown,
      (r) => r.type === "aws:ec2/subnet:Subnet" && r.inputs.availabilityZoneId === second && r.name.includes("app"),
      (_r, props) => (props.availabilityZoneId = first),
    );
    await flaggedInEveryView(squeezed, "asg-multi-az-elb-health", "web-asg");
  });

  // healthCheckType is Optional+Computed (autoscaling/group.go): unset, it is planned unknown in a
  // first preview and AWS reports "EC2" once deployed. Killed by skipping an unknown health check type.
  it('asg-multi-az-elb-health: an ASG without healthCheckType, in every view (unknown in a first preview, "EC2" deployed)', async () => {
    const c = await captures({ stack: "dev", stage: ALARM_STAGE });
    const web = is("aws:autoscaling/group:Group", "web");
    const noHealthCheck = degrade(c, web, unset("healthCheckType"));
    assert.equal(noHealthCheck.preview.resources.find(web)!.outputs!.healthCheckType, UNKNOWN, "planned unknown");
    assert.equal(noHealthCheck.normal.resources.find(web)!.outputs!.healthCheckType, "EC2", "AWS's default");
    await flaggedInEveryView(noHealthCheck, "asg-multi-az-elb-health", "web-asg");
  });

  // The stage marker's value decides every HA floor: unknown, the pack says it can't judge the
  // stage, never falls back to stage 1's empty floor. Killed by reading the marker with `peek`.
  it("an unknown stage marker value: every stage rule says it can't run, none passes at stage 1's floor", async () => {
    const c = await previewPlan({ stack: "dev", stage: HA_STAGE, set: ["database.readers=0"] });
    const changed = structuredClone(c);
    const marker = changed.resources.find(
      (r) => r.type === "aws:ssm/parameter:Parameter" && r.outputs!.tags?.["scaling:role"] === "stage-marker",
    )!;
    marker.outputs!.value = UNKNOWN;
    const run = await runPolicies(changed, policies, {}, "preview");
    const said = run.violations.filter((v) => v.policyName === "aurora-reader-in-another-az");
    assert.deepEqual(
      said.map((v) => [v.enforcementLevel, /can't run policy/.test(v.message)]),
      [["advisory", true]],
    );
  });

  // An unknown that decides a verdict is said, never passed: a flag read by requireTrue, a NAT
  // route's destination. Killed by requireTrue returning on an unknown, or by natRoutesOf counting an
  // unknown destination as a default route.
  it("a required flag or a route destination taken from a resource not yet created: the preview says it can't judge it", async () => {
    const c = await previewPlan({ stack: "dev", stage: NAT_STAGE });
    const from = (r: ResourceRecord, key: string, urn: string, where: ("inputs" | "outputs")[]) => {
      for (const w of where) r[w]![key] = UNKNOWN;
      r.propertyDependencies[key] = [urn];
    };
    const changed = structuredClone(c);
    const cache = changed.resources.find(is("aws:elasticache/replicationGroup:ReplicationGroup"))!;
    const cluster = changed.resources.find(is("aws:rds/cluster:Cluster"))!;
    const route = changed.resources.find((r) => r.type === "aws:ec2/route:Route" && r.name.endsWith("app-0-default-v4"))!;
    const vpc = changed.resources.find(is("aws:ec2/vpc:Vpc"))!;
    from(cache, "multiAzEnabled", vpc.urn, ["inputs", "outputs"]);
    from(cluster, "storageEncrypted", vpc.urn, ["inputs", "outputs"]);
    from(route, "destinationCidrBlock", vpc.urn, ["inputs", "outputs"]);
    const run = await runPolicies(changed, policies, {}, "preview");
    assert.deepEqual(mandatoryVerdicts(run), []);
    const cantRun = (policy: string, urn?: string) =>
      run.violations.some(
        (v) => v.policyName === policy && v.enforcementLevel === "advisory" && /can't run/.test(v.message) && v.urn === urn,
      );
    assert.ok(cantRun("cache-multi-az-failover"), "stack policy: cache flag");
    assert.ok(cantRun("encryption-at-rest", cluster.urn), "resource policy: storageEncrypted");
    assert.ok(cantRun("nat-gateway-per-az"), "stack policy: the only default route's destination");
  });

  it("reports a mandatory verdict on which the views differ, naming the resource and the views", async () => {
    const c = await captures({ stack: "dev", stage: 3 });
    // Only the deployed outputs lose the managed password (as if AWS reported it off): only that view flags it.
    const onlyDeployed = structuredClone(c);
    onlyDeployed.normal.resources.find(is("aws:rds/cluster:Cluster"))!.outputs!.manageMasterUserPassword = false;
    const runs = await byView(onlyDeployed);
    assert.deepEqual(
      viewDifferences(runs).map((d) => [d.verdict.split(" ")[0], d.in, d.notIn]),
      [["db-managed-credentials", ["deployed"], ["inputs", "preview"]]],
    );
    assert.match(
      renderViews(runs, "header"),
      /the views differ on 1 mandatory verdict\(s\):\n {2}db-managed-credentials {2}us-east-1-db \(aws:rds\/cluster:Cluster\): in deployed, not in inputs, preview/,
    );
    assert.match(renderViews(await byView(c), "header"), /the 3 views agree on every mandatory verdict/);
  });

  it('reads an unset attribute the same whether the provider reports it as "", null or not at all', async () => {
    const cases: [ViewCaptures, PackConfig][] = [
      [await captures({ stack: "prod" }), loadPackConfig("prod").config],
      [degrade(await captures(devAt(PROTECT_STAGE)), is("aws:rds/cluster:Cluster"), unset("finalSnapshotIdentifier")), {}],
      [degrade(await captures({ stack: "dev", stage: 3 }), is("aws:rds/cluster:Cluster"), unset("manageMasterUserPassword")), {}],
    ];
    for (const [c, config] of cases) {
      const reference = mandatoryVerdicts(await runPolicies(c.normal, policies, config, "deployed"));
      for (const as of ["null", "absent", "empty"] as const) {
        const changed = structuredClone(c.normal);
        let touched = 0;
        for (const r of changed.resources)
          for (const [key, model] of Object.entries(DEPLOYED_UNSET[r.type] ?? {})) {
            const value = r.outputs![key];
            if (value !== model(r.region ?? "") && !(value === null && model("") === null)) continue;
            if (value !== "" && value !== null) continue;
            touched++;
            if (as === "absent") delete r.outputs![key];
            else r.outputs![key] = as === "null" ? null : "";
          }
        assert.ok(touched > 0);
        assert.deepEqual(mandatoryVerdicts(await runPolicies(changed, policies, config, "deployed")), reference, as);
      }
    }
  });
});
