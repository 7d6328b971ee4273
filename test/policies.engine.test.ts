/**
 * Cross-check of the offline runner against the real thing: the pack (`policies/index.ts`) is
 * started as the Pulumi CLI starts it (a child process serving the Analyzer gRPC API), and the
 * engine's calls are replayed over a captured plan: `configure` with the pack config, `analyze`
 * for each resource, `analyzeStack` once. The violations must be the ones tools/policyRunner.ts
 * reports for the same plan and config, in each of the three views, and so must each
 * not-applicable outcome (the runner skips the calls a validation's declared types rule out).
 *
 * What is sent is what pulumi/pulumi's engine sends (at 1b5949891b3c, read 2026-11-30):
 * - `analyze`: the resource's checked inputs (pkg/resource/deploy/step_generator.go `analyzeAll`,
 *   lines 3461-3475), unknowns as the sentinel string (sdk/go/common/resource/plugin/
 *   analyzer_plugin.go lines 305-306 `KeepUnknowns: true`; rpc.go lines 190-200 and 290-297:
 *   a computed value is marshalled as `UnknownStringValue` "04da6b54-…" and its typed siblings);
 * - `analyzeStack`: each resource's *outputs* (step_generator.go `AnalyzeResources`, lines
 *   3513-3533: "AnalyzeStack is called on the final outputs of each resource"), its parent,
 *   dependencies and non-empty propertyDependencies (analyzer_plugin.go lines 360-387);
 * - options: protect, ignoreChanges, deleteBeforeReplace(+Defined), aliases, customTimeouts,
 *   parent; no retainOnDelete (`marshalResourceOptions`, analyzer_plugin.go lines 736-761);
 * - provider: the provider's inputs (step_generator.go lines 3476-3483 and 3568-3573).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { aliasUrns, type Capture, type ResourceRecord } from "../tools/capture";
import { loadPackConfig, PackConfig, runPolicies, View, VIEWS } from "../tools/policyRunner";
import { policies } from "../policies/rules";
import { UNKNOWN } from "../tools/mocks";
import { RUN_TS, serveInBackground } from "./children";
import { ROOT } from "../tools/stackConfig";
import { plan, previewPlan } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require("@grpc/grpc-js");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const structPb = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const LEVELS: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
const LEVEL_NAMES = ["advisory", "mandatory", "disabled", "remediate"];

/**
 * The pack as the CLI starts it: it prints the port it serves on. Queued when this file loads
 * (test/children.ts), so that it starts beside the other tests; a failure to start is the
 * `before` hook's to report.
 */
const pack = serveInBackground(process.execPath, [...RUN_TS, "index.ts"], /^(\d+)\s*$/m, { cwd: path.join(ROOT, "policies") });
pack.catch(() => undefined);
let client: any;

const call = <T>(client: any, method: string, req: unknown): Promise<T> =>
  new Promise((resolve, reject) => client[method](req, (e: Error | null, res: T) => (e ? reject(e) : resolve(res))));

function optionsOf(r: ResourceRecord) {
  const o = new analyzerPb.AnalyzerResourceOptions();
  o.setProtect(r.protect);
  o.setIgnorechangesList(r.ignoreChanges);
  o.setDeletebeforereplace(r.deleteBeforeReplace);
  o.setDeletebeforereplacedefined(true);
  o.setAliasesList(aliasUrns(r));
  if (r.parent) o.setParent(r.parent);
  return o;
}

/** `o` without `key`: what the program registers when it leaves an argument unset. */
const without = <V>(o: Record<string, V>, key: string): Record<string, V> =>
  Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));

const struct = (v: Record<string, unknown>) => structPb.Struct.fromJavaScript(JSON.parse(JSON.stringify(v ?? {})));

function providerOf(capture: Capture, providerRef: string) {
  const urn = providerRef.split("::").slice(0, -1).join("::");
  const p = capture.resources.find((x) => x.urn === urn);
  if (!p) return undefined;
  const pr = new analyzerPb.AnalyzerProviderResource();
  pr.setType(p.type);
  pr.setProperties(struct(p.inputs));
  pr.setUrn(p.urn);
  pr.setName(p.name);
  return pr;
}

function propertyDependenciesOf(r: ResourceRecord, map: any): void {
  for (const [key, urns] of Object.entries(r.propertyDependencies)) {
    if (urns.length === 0) continue; // analyzer_plugin.go: "Skip properties that have no dependencies."
    const deps = new analyzerPb.AnalyzerPropertyDependencies();
    deps.setUrnsList(urns);
    map.set(key, deps);
  }
}

/** Sends the pack its config, as the engine does before any analysis. */
async function configurePack(client: any, config: PackConfig): Promise<void> {
  const configure = new analyzerPb.ConfigureAnalyzerRequest();
  const map = configure.getPolicyconfigMap();
  for (const p of policies) {
    const entry = (config[p.name] ?? {}) as Record<string, unknown>;
    const { enforcementLevel, ...properties } = entry;
    const pc = new analyzerPb.PolicyConfig();
    pc.setEnforcementlevel(LEVELS[(enforcementLevel as string) ?? p.enforcementLevel ?? "advisory"]);
    pc.setProperties(struct(properties));
    map.set(p.name, pc);
  }
  await call(client, "configure", configure);
  configured = Buffer.from(configure.serializeBinary()).toString("base64");
}

/** The configure request the pack last took (its answers depend on it and on the request alone). */
let configured = "";

/**
 * The pack's answer to each distinct `analyze` request, under each config: the pack is
 * stateless between calls, so the same bytes under the same config get the same answer. Most
 * requests repeat from one case and view to the next (the inputs and deployed views send the same
 * inputs; a degraded plan differs from its healthy one in a few resources): each distinct one is
 * sent once, which was most of the pack's work.
 */
const analyzeAnswers = new Map<string, Promise<any>>();
function analyze(client: any, req: any): Promise<any> {
  const key = `${configured}\n${Buffer.from(req.serializeBinary()).toString("base64")}`;
  let answer = analyzeAnswers.get(key);
  if (!answer) {
    answer = call(client, "analyze", req);
    analyzeAnswers.set(key, answer);
    answer.catch(() => analyzeAnswers.delete(key));
  }
  return answer;
}

/**
 * What the engine would get back from the pack for this plan: "level policy urn" lines. Every
 * request is sent before this returns, so the pack works on them while this process goes on.
 */
function viaEngineApi(client: any, capture: Capture, view: View): Promise<Verdicts> {
  const lines: string[] = [];
  const notApplicable: string[] = [];
  // The engine attributes a resource policy's diagnostic to the resource analyzed.
  const collect = (res: any, urn = "") => {
    for (const d of res.getDiagnosticsList())
      lines.push(`${LEVEL_NAMES[d.getEnforcementlevel()]} ${d.getPolicyname()} ${d.getUrn() || urn}`);
    for (const n of res.getNotApplicableList()) notApplicable.push(`${n.getPolicyName()}: ${n.getReason()}`);
  };
  // Sent together (the engine sends `analyze` once per step, then `analyzeStack`): each answer
  // depends on its own request only.
  // Each resource's messages are built once and sent in both requests (a message is only read
  // when a request is serialized), and each provider's once for all the resources it serves.
  const providers = new Map<string, ReturnType<typeof providerOf>>();
  const provider = (r: ResourceRecord) => {
    if (!r.provider) return undefined;
    if (!providers.has(r.provider)) providers.set(r.provider, providerOf(capture, r.provider));
    return providers.get(r.provider);
  };
  const sent = capture.resources.map((r) => ({ inputs: struct(r.inputs), options: optionsOf(r), provider: provider(r) }));
  const analyzed = capture.resources.map((r, i) => {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(r.type);
    req.setProperties(sent[i].inputs);
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setOptions(sent[i].options);
    if (sent[i].provider) req.setProvider(sent[i].provider);
    return analyze(client, req);
  });
  const stack = new analyzerPb.AnalyzeStackRequest();
  stack.setResourcesList(
    capture.resources.map((r, i) => {
      const ar = new analyzerPb.AnalyzerResource();
      ar.setType(r.type);
      // The inputs view is the offline one (the program's inputs everywhere); the engine's are outputs.
      ar.setProperties(view === "inputs" ? sent[i].inputs : struct(r.outputs!));
      ar.setUrn(r.urn);
      ar.setName(r.name);
      ar.setOptions(sent[i].options);
      if (sent[i].provider) ar.setProvider(sent[i].provider);
      if (r.parent) ar.setParent(r.parent);
      ar.setDependenciesList(r.dependencies);
      propertyDependenciesOf(r, ar.getPropertydependenciesMap());
      return ar;
    }),
  );
  const stackAnalyzed = call(client, "analyzeStack", stack);
  return Promise.all([Promise.all(analyzed), stackAnalyzed]).then(([resources, stackResult]) => {
    resources.forEach((res, i) => collect(res, capture.resources[i].urn));
    collect(stackResult);
    return { violations: [...new Set(lines)].sort(), notApplicable: notApplicable.sort() };
  });
}

/**
 * A run's violations as "level policy urn" lines (each once), and every not-applicable outcome
 * as "policy: reason" (one per call, so that a policy skipped too often or too rarely shows).
 */
interface Verdicts {
  violations: string[];
  notApplicable: string[];
}

async function viaRunner(capture: Capture, config: PackConfig, view: View): Promise<Verdicts> {
  const run = await runPolicies(capture, policies, config, view);
  return {
    violations: [...new Set(run.violations.map((v) => `${v.enforcementLevel} ${v.policyName} ${v.urn ?? ""}`))].sort(),
    notApplicable: run.notApplicable.map((n) => `${n.policyName}: ${n.reason ?? ""}`).sort(),
  };
}

const CASES: {
  title: string;
  selection: Parameters<typeof plan>[0];
  config: () => PackConfig;
  /** Degrades the captured plan (returns the records to keep); must change something. */
  edit?: (resources: ResourceRecord[], view: View) => ResourceRecord[];
  /**
   * "level policy urn-fragment" lines the engine must report in every view; with no mandatory
   * line among them, the engine must report no mandatory violation at all.
   */
  expect: string[];
  /** The views the case runs in (default: all three). */
  views?: View[];
}[] = [
  {
    title: "dev stage 4 without a reader",
    selection: { stack: "dev", stage: 4, set: ["database.readers=0"] },
    config: () => ({}),
    expect: ["mandatory aurora-reader-in-another-az aws:rds/cluster:Cluster::us-east-1-db"],
  },
  {
    title: "dev stage 3 under prod's pack config (minimumStage 4)",
    selection: { stack: "dev", stage: 3 },
    config: () => loadPackConfig("prod").config,
    expect: [
      "mandatory aurora-reader-in-another-az aws:rds/cluster:Cluster::us-east-1-db",
      "mandatory data-final-snapshot aws:rds/cluster:Cluster::us-east-1-db",
    ],
  },
  { title: "dev stage 6", selection: { stack: "dev", stage: 6 }, config: () => ({}), expect: [] },
  {
    title: "dev stage 5 without the web tier's scale-in policy and CPU-low alarm",
    selection: { stack: "dev", stage: 5 },
    config: () => ({}),
    edit: (resources) => resources.filter((r) => !/web-scale-in|web-cpu-low/.test(r.name)),
    expect: ["mandatory asg-alarm-driven-scaling aws:autoscaling/group:Group::us-east-1-web-asg"],
  },
  {
    title: "dev stage 6 with the web ASG in no target group",
    selection: { stack: "dev", stage: 6 },
    config: () => ({}),
    edit: (resources) =>
      resources.map((r) =>
        r.type === "aws:autoscaling/group:Group" && r.name.includes("web")
          ? { ...r, inputs: { ...r.inputs, targetGroupArns: [] }, outputs: { ...r.outputs, targetGroupArns: [] } }
          : r,
      ),
    expect: ["mandatory asg-multi-az-elb-health aws:autoscaling/group:Group::us-east-1-web-asg"],
  },
  {
    // Only what AWS reported changed: a stack policy must see it, so outputs are what is sent.
    title: "dev stage 6 whose web ASG AWS reports in no target group (outputs only)",
    selection: { stack: "dev", stage: 6 },
    config: () => ({}),
    edit: (resources) =>
      resources.map((r) =>
        r.type === "aws:autoscaling/group:Group" && r.name.includes("web") ? { ...r, outputs: { ...r.outputs, targetGroupArns: [] } } : r,
      ),
    expect: ["mandatory asg-multi-az-elb-health aws:autoscaling/group:Group::us-east-1-web-asg"],
    views: ["deployed"],
  },
  // The cases below set what the provider plans or reports themselves, from its schema (cited),
  // not from tools/mocks.ts: a wrong mock model can't hide a policy that skips an unknown.
  {
    // rds/cluster_instance.go: availability_zone Optional+Computed. Unset, it is absent from the
    // inputs, unknown in the planned state of a first preview, and AWS's pick once deployed.
    title: "dev stage 4 whose reader leaves its AZ to AWS",
    selection: { stack: "dev", stage: 4 },
    config: () => ({}),
    edit: (resources, view) =>
      resources.map((r) => {
        if (r.type !== "aws:rds/clusterInstance:ClusterInstance") return r;
        const writer = resources.find((w) => w.type === r.type && w.name.endsWith("-0"))!;
        if (!r.name.endsWith("-1")) return r;
        const az = view === "preview" ? UNKNOWN : writer.outputs!.availabilityZone;
        const [inputs, propertyDependencies] = [without(r.inputs, "availabilityZone"), without(r.propertyDependencies, "availabilityZone")];
        return { ...r, inputs, outputs: { ...r.outputs, availabilityZone: az }, propertyDependencies };
      }),
    expect: ["mandatory aurora-reader-in-another-az aws:rds/cluster:Cluster::us-east-1-db"],
  },
  {
    // Placed from a resource not yet created: unknown, with a property dependency. The engine
    // reports that it can't run the policy (server.js makeAnalyzeStackRpcFun), advisory.
    title: "dev stage 4 whose reader is placed from a subnet not yet created",
    selection: { stack: "dev", stage: 4 },
    config: () => ({}),
    edit: (resources) => {
      const subnet = resources.find((s) => s.type === "aws:ec2/subnet:Subnet" && s.name.includes("data-1"))!;
      return resources.map((r) =>
        r.type === "aws:rds/clusterInstance:ClusterInstance" && r.name.endsWith("-1")
          ? {
              ...r,
              inputs: { ...r.inputs, availabilityZone: UNKNOWN },
              outputs: { ...r.outputs, availabilityZone: UNKNOWN },
              dependencies: [...r.dependencies, subnet.urn],
              propertyDependencies: { ...r.propertyDependencies, availabilityZone: [subnet.urn] },
            }
          : r,
      );
    },
    expect: ["advisory aurora-reader-in-another-az "],
    views: ["preview"],
  },
  {
    // ec2/vpc_subnet.go: availability_zone Optional+Computed; the program gives the zone ID, so a
    // first preview plans the AZ name unknown. The AZ rules must judge by the zone ID.
    title: "dev stage 6 whose second app subnet is moved into the first one's AZ, AZ names planned unknown",
    selection: { stack: "dev", stage: 6 },
    config: () => ({}),
    edit: (resources) => {
      const first = resources.find((s) => s.type === "aws:ec2/subnet:Subnet" && s.name.endsWith("app-0"))!.inputs.availabilityZoneId;
      return resources.map((r) => {
        if (r.type !== "aws:ec2/subnet:Subnet") return r;
        const zone = r.name.endsWith("app-1") ? { availabilityZoneId: first } : {};
        return { ...r, inputs: { ...r.inputs, ...zone }, outputs: { ...r.outputs, ...zone, availabilityZone: UNKNOWN } };
      });
    },
    expect: [
      "mandatory asg-multi-az-elb-health aws:autoscaling/group:Group::us-east-1-web-asg",
      "mandatory nat-gateway-per-az aws:ec2/route:Route::us-east-1-app-1-default-v4",
    ],
    views: ["preview"],
  },
  {
    // autoscaling/group.go: health_check_type Optional+Computed: planned unknown, then "EC2".
    title: "dev stage 6 whose web ASG leaves healthCheckType unset",
    selection: { stack: "dev", stage: 6 },
    config: () => ({}),
    edit: (resources, view) =>
      resources.map((r) => {
        if (!(r.type === "aws:autoscaling/group:Group" && r.name.includes("web"))) return r;
        const inputs = without(r.inputs, "healthCheckType");
        return { ...r, inputs, outputs: { ...r.outputs, healthCheckType: view === "preview" ? UNKNOWN : "EC2" } };
      }),
    expect: ["mandatory asg-multi-az-elb-health aws:autoscaling/group:Group::us-east-1-web-asg"],
  },
  // Issue 9, security rules: a value taken from a resource not yet created is the sentinel in a
  // first preview (rpc.go), with its property dependency. The pack must judge what is known and
  // say, advisory, that it can't run on the rest; the SDK keeps what was reported before
  // (server.js makeAnalyzeRpcFun / makeAnalyzeStackRpcFun push to the same list).
  {
    title: "dev stage 6 whose database rule's CIDR, launch template's httpTokens and health check flag come from resources not yet created",
    selection: { stack: "dev", stage: 6 },
    config: () => ({}),
    edit: (resources) => {
      const vpc = resources.find((r) => r.type === "aws:ec2/vpc:Vpc")!;
      const unknownFrom = (r: ResourceRecord, path: string[]) => {
        for (const props of [r.inputs, r.outputs!]) {
          let node: any = props;
          for (const key of path.slice(0, -1)) node = node[key];
          node[path[path.length - 1]] = UNKNOWN;
        }
        r.propertyDependencies[path[0]] = [vpc.urn];
      };
      for (const r of resources) {
        if (r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" && r.name.endsWith("db-from-web")) {
          delete r.inputs.referencedSecurityGroupId;
          unknownFrom(r, ["cidrIpv4"]);
        }
        if (r.type === "aws:ec2/launchTemplate:LaunchTemplate" && r.name.includes("web")) unknownFrom(r, ["metadataOptions", "httpTokens"]);
        if (r.type === "aws:lb/targetGroup:TargetGroup" && r.name.includes("web")) unknownFrom(r, ["healthCheck", "enabled"]);
      }
      return resources;
    },
    expect: [
      "advisory no-admin-ports-from-internet aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::us-east-1-db-from-web",
      "advisory imdsv2-required aws:ec2/launchTemplate:LaunchTemplate::us-east-1-web-lt",
      "advisory target-group-health-checks aws:lb/targetGroup:TargetGroup::us-east-1-web-tg",
    ],
    views: ["preview"],
  },
  {
    title: "dev stage 2 whose host's root volume comes from a resource not yet created, beside an unencrypted data volume",
    selection: { stack: "dev", stage: 2 },
    config: () => ({}),
    edit: (resources) => {
      const vpc = resources.find((r) => r.type === "aws:ec2/vpc:Vpc")!;
      return resources.map((r) =>
        r.type === "aws:ec2/instance:Instance"
          ? {
              ...r,
              inputs: { ...r.inputs, rootBlockDevice: UNKNOWN, ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }] },
              outputs: { ...r.outputs, rootBlockDevice: UNKNOWN, ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }] },
              propertyDependencies: { ...r.propertyDependencies, rootBlockDevice: [vpc.urn] },
            }
          : r,
      );
    },
    expect: [
      "mandatory encryption-at-rest aws:ec2/instance:Instance::us-east-1-host-arm64",
      "advisory encryption-at-rest aws:ec2/instance:Instance::us-east-1-host-arm64",
    ],
    views: ["preview"],
  },
  {
    title: "dev stage 5 whose first public access block takes a flag from its bucket and whose second turns one off",
    selection: { stack: "dev", stage: 5 },
    config: () => ({}),
    edit: (resources) => {
      const blocks = resources.filter((r) => r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
      const bucket = resources.find((r) => r.type === "aws:s3/bucket:Bucket")!;
      return resources.map((r) => {
        if (r === blocks[0])
          return {
            ...r,
            inputs: { ...r.inputs, blockPublicAcls: UNKNOWN },
            outputs: { ...r.outputs, blockPublicAcls: UNKNOWN },
            propertyDependencies: { ...r.propertyDependencies, blockPublicAcls: [bucket.urn] },
          };
        if (r === blocks[1])
          return { ...r, inputs: { ...r.inputs, restrictPublicBuckets: false }, outputs: { ...r.outputs, restrictPublicBuckets: false } };
        return r;
      });
    },
    expect: [
      "advisory s3-public-access-blocked ",
      "mandatory s3-public-access-blocked aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock::us-east-1-access-logs",
    ],
    views: ["preview"],
  },
];

/** Each case in each of its views, in order. */
const RUNS = CASES.flatMap((c) => (c.views ?? VIEWS).map((view) => ({ c, view })));

interface EngineSide {
  planned: Capture;
  capture: Capture;
  served: Verdicts;
}

/**
 * The engine's side of every run, asked of the pack from the start of the test run (a root hook:
 * it runs once before the first test, and not in a run that runs no test), one run after another
 * (the pack keeps the last config it took, and a config sent while it still answers another run's
 * requests would change their verdicts): the pack answers while this process runs the other files'
 * tests, and each test here only runs the offline side and compares. Each run waits for its plan
 * in this process's queue of captures, like every test's.
 */
const engineSides: Promise<EngineSide>[] = [];
before(() => {
  let previous: Promise<unknown> = pack.then((started) => {
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${started.match[1]}`, grpc.credentials.createInsecure());
  });
  for (const { c, view } of RUNS) {
    const side = previous.then(async (): Promise<EngineSide> => {
      const planned = view === "preview" ? await previewPlan(c.selection) : await plan(c.selection);
      const capture: Capture = c.edit ? { ...planned, resources: c.edit(structuredClone(planned.resources), view) } : planned;
      await configurePack(client, c.config());
      return { planned, capture, served: await viaEngineApi(client, capture, view) };
    });
    side.catch(() => undefined); // its test reports it
    engineSides.push(side);
    previous = side;
  }
  // Once every run is answered (or one failed), the client is closed; the test run's end stops the pack.
  void previous.catch(() => undefined).finally(() => client?.close());
});

describe("policy runner vs the pack served over the engine's Analyzer API", function () {
  this.timeout(120_000);

  after(async () => {
    await Promise.allSettled(engineSides);
    const started = await pack.catch(() => undefined);
    if (started?.child.pid && started.child.exitCode === null) process.kill(started.child.pid);
  });

  RUNS.forEach(({ c, view }, i) => {
    it(`reports the same violations for ${c.title}, ${view} view`, async () => {
      const { planned, capture, served } = await engineSides[i];
      if (c.edit) assert.notDeepEqual(capture.resources, planned.resources, "the edit changed nothing");
      const offline = await viaRunner(capture, c.config(), view);
      const engine = served.violations;
      const mandatory = engine.filter((l) => l.startsWith("mandatory "));
      for (const e of c.expect) {
        const [level, policy, urn] = e.split(" ");
        assert.ok(
          engine.some((l) => l.startsWith(`${level} ${policy} `) && l.endsWith(urn)),
          `the engine should report ${e}; got ${JSON.stringify(engine)}`,
        );
      }
      if (!c.expect.some((e) => e.startsWith("mandatory "))) assert.deepEqual(mandatory, [], "no mandatory violation");
      if (view === "preview" && c.selection.stage === 6 && !c.edit)
        assert.ok(
          engine.some((l) => l.startsWith("advisory iam-least-privilege ")),
          "unknowns reach the pack: an ARN-built IAM document can't be read in a first preview",
        );
      assert.deepEqual(offline.violations, engine);
      assert.ok(served.notApplicable.length > 0, "the pack reports the resources its policies do not apply to");
      assert.deepEqual(offline.notApplicable, served.notApplicable, "the same not-applicable outcomes");
    });
  });
});
