/**
 * Cross-check of the offline runner against the real thing: the pack (`policies/index.ts`) is
 * started as the Pulumi CLI starts it (a child process serving the Analyzer gRPC API), and the
 * engine's calls are replayed over a captured plan: `configure` with the pack config, `analyze`
 * for each resource, `analyzeStack` once. The violations must be the ones tools/policyRunner.ts
 * reports for the same plan and config.
 */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { aliasUrns, type Capture, type ResourceRecord } from "../tools/capture";
import { loadPackConfig, PackConfig, runPolicies } from "../tools/policyRunner";
import { policies } from "../policies/rules";
import { plan, RUN_TS } from "./helpers";

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require("@grpc/grpc-js");
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const structPb = require("google-protobuf/google/protobuf/struct_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const ROOT = path.resolve(__dirname, "..");
const LEVELS: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
const LEVEL_NAMES = ["advisory", "mandatory", "disabled", "remediate"];

function startPack(): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...RUN_TS, "index.ts"], {
      cwd: path.join(ROOT, "policies"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr!.on("data", (d) => (err += d));
    child.on("exit", (code) => reject(new Error(`policy pack exited (${code}) before serving: ${err}`)));
  });
}

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

const struct = (v: Record<string, unknown>) => structPb.Struct.fromJavaScript(JSON.parse(JSON.stringify(v ?? {})));

function providerOf(capture: Capture, r: ResourceRecord) {
  if (!r.provider) return undefined;
  const urn = r.provider.split("::").slice(0, -1).join("::");
  const p = capture.resources.find((x) => x.urn === urn);
  if (!p) return undefined;
  const pr = new analyzerPb.AnalyzerProviderResource();
  pr.setType(p.type);
  pr.setProperties(struct(p.inputs));
  pr.setUrn(p.urn);
  pr.setName(p.name);
  return pr;
}

/** What the engine would get back from the pack for this plan: "level policy urn" lines. */
async function viaEngineApi(client: any, capture: Capture, config: PackConfig): Promise<string[]> {
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

  const lines: string[] = [];
  // The engine attributes a resource policy's diagnostic to the resource analyzed.
  const collect = (res: any, urn = "") => {
    for (const d of res.getDiagnosticsList())
      lines.push(`${LEVEL_NAMES[d.getEnforcementlevel()]} ${d.getPolicyname()} ${d.getUrn() || urn}`);
  };
  for (const r of capture.resources) {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(r.type);
    req.setProperties(struct(r.inputs));
    req.setUrn(r.urn);
    req.setName(r.name);
    req.setOptions(optionsOf(r));
    const provider = providerOf(capture, r);
    if (provider) req.setProvider(provider);
    collect(await call(client, "analyze", req), r.urn);
  }
  const stack = new analyzerPb.AnalyzeStackRequest();
  stack.setResourcesList(
    capture.resources.map((r) => {
      const ar = new analyzerPb.AnalyzerResource();
      ar.setType(r.type);
      ar.setProperties(struct(r.inputs));
      ar.setUrn(r.urn);
      ar.setName(r.name);
      ar.setOptions(optionsOf(r));
      const provider = providerOf(capture, r);
      if (provider) ar.setProvider(provider);
      if (r.parent) ar.setParent(r.parent);
      ar.setDependenciesList(r.dependencies);
      return ar;
    }),
  );
  collect(await call(client, "analyzeStack", stack));
  return [...new Set(lines)].sort();
}

async function viaRunner(capture: Capture, config: PackConfig): Promise<string[]> {
  const run = await runPolicies(capture, policies, config);
  // One line per policy and resource: offline, stateful-protect-retain also sees retainOnDelete,
  // which the engine's PolicyResourceOptions lacks, so it may report a resource twice.
  return [...new Set(run.violations.map((v) => `${v.enforcementLevel} ${v.policyName} ${v.urn ?? ""}`))].sort();
}

describe("policy runner vs the pack served over the engine's Analyzer API", function () {
  this.timeout(120_000);
  let child: ChildProcess | undefined;
  let client: any;

  before(async () => {
    const started = await startPack();
    child = started.child;
    client = new analyzerGrpc.AnalyzerClient(`127.0.0.1:${started.port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client?.close();
    if (child?.pid && child.exitCode === null) process.kill(child.pid);
  });

  const cases: {
    title: string;
    selection: Parameters<typeof plan>[0];
    config: () => PackConfig;
    /** Degrades the captured plan (returns the records to keep); must change something. */
    edit?: (resources: ResourceRecord[]) => ResourceRecord[];
  }[] = [
    { title: "dev stage 4 without a reader", selection: { stack: "dev", stage: 4, set: ["database.readers=0"] }, config: () => ({}) },
    {
      title: "dev stage 3 under prod's pack config (minimumStage 4)",
      selection: { stack: "dev", stage: 3 },
      config: () => loadPackConfig("prod").config,
    },
    { title: "dev stage 6", selection: { stack: "dev", stage: 6 }, config: () => ({}) },
    {
      title: "dev stage 5 without the web tier's scale-in policy and CPU-low alarm",
      selection: { stack: "dev", stage: 5 },
      config: () => ({}),
      edit: (resources) => resources.filter((r) => !/web-scale-in|web-cpu-low/.test(r.name)),
    },
    {
      title: "dev stage 6 with the web ASG in no target group",
      selection: { stack: "dev", stage: 6 },
      config: () => ({}),
      edit: (resources) =>
        resources.map((r) =>
          r.type === "aws:autoscaling/group:Group" && r.name.includes("web") ? { ...r, inputs: { ...r.inputs, targetGroupArns: [] } } : r,
        ),
    },
  ];
  for (const c of cases) {
    it(`reports the same violations for ${c.title}`, async () => {
      const planned = await plan(c.selection);
      const capture: Capture = c.edit ? { ...planned, resources: c.edit(structuredClone(planned.resources)) } : planned;
      if (c.edit) assert.notDeepEqual(capture.resources, planned.resources, "the edit changed nothing");
      const [engine, offline] = [await viaEngineApi(client, capture, c.config()), await viaRunner(capture, c.config())];
      assert.ok(engine.length > 0, "the case should produce violations");
      assert.deepEqual(offline, engine);
    });
  }
});
