/**
 * The `npm run plan` CLI contract (SPEC §Interfaces). `runPlan` is the whole CLI but for
 * printing and exiting, so most runs call it in-process (sharing the plans other tests capture);
 * what only a real process shows (the exit code `runMain` sets, a check failing outside the
 * promise chain) is spawned: each spawn loads the SDKs, so those are queued when this file loads
 * and run beside the other tests (test/children.ts).
 */
import { strict as assert } from "node:assert";
import { runPlan } from "../tools/plan";
import type { PlanDiff } from "../tools/compare";
import { renderDiff, renderMermaid, shortPair } from "../tools/render";
import { ChildRun as Run, runScriptInBackground } from "./children";
import { plan } from "./helpers";

const RUNS = {
  tree: ["--stack", "dev"],
  json1: ["--stack", "dev", "--stage", "1", "--json"],
  // dev's burstable DB class is a config error at the multi-region stage: set a global-database class.
  json7: [
    "--stack",
    "dev",
    "--stage",
    "7",
    "--set",
    "compute.instanceType=t4g.medium",
    "--set",
    "database.instanceClass=db.r6g.large",
    "--json",
  ],
  badConfig: ["--stack", "dev", "--stage", "8", "--set", "network.cidr=10.0.0.0/8", "--set", "bogusKey=1"],
  unknownStack: ["--stack", "no-such-stack"],
  // A check inside an output (the zone offering check) fails outside the CLI's promise chain.
  zoneNotOffered: ["--stack", "dev", "--stage", "4", "--set", 'network.zoneIds={"us-east-1":["use1-az3","use1-az1","use1-az2"]}'],
  compare: ["--stack", "dev", "--stage", "2", "--compare", "3", "--json"],
} as const;

/** The runs that go through a real process (a successful --json one: stdout is nothing but the JSON); the others call `runPlan` in-process. */
const SPAWNED: ReadonlySet<keyof typeof RUNS> = new Set(["json1", "badConfig", "zoneNotOffered"] as const);
const spawnedRuns = new Map([...SPAWNED].map((key) => [key, runScriptInBackground("plan", RUNS[key])]));

const DOCUMENTED_FIELDS = [
  "urn",
  "type",
  "name",
  "parent",
  "dependencies",
  "provider",
  "region",
  "custom",
  "protect",
  "retainOnDelete",
  "inputs",
];

const noStackTrace = (text: string) => !/^\s+at /m.test(text);

describe("npm run plan (CLI)", function () {
  this.timeout(180_000);
  const runs = {} as Record<keyof typeof RUNS, Run>;

  before(async () => {
    for (const [key, args] of Object.entries(RUNS) as [keyof typeof RUNS, readonly string[]][])
      runs[key] = await (spawnedRuns.get(key) ?? runPlan([...args]));
  });

  it("prints the tree by default: stack, stage, regions, and counts that match the capture", async () => {
    const run = runs.tree;
    assert.equal(run.code, 0, run.stderr);
    const capture = await plan({ stack: "dev" });
    const stage = capture.outputs.stage as number;
    assert.match(run.stdout, /stack dev/);
    assert.match(run.stdout, new RegExp(`stage ${stage}\\b`));
    const total = /^Total: (\d+) resources \((\d+) custom resources, (\d+) components\)/m.exec(run.stdout);
    assert.ok(total, run.stdout);
    assert.equal(Number(total[1]), capture.resources.length);
    assert.equal(Number(total[2]), capture.resources.filter((r) => r.custom).length);
    assert.equal(Number(total[3]), capture.resources.filter((r) => !r.custom).length);
    // Per-region totals add up to the custom resources.
    const regionSection = run.stdout.split("Totals by region\n")[1].split("\n\n")[0];
    const perRegion = regionSection
      .split("\n")
      .filter(Boolean)
      .map((l) => Number(l.trim().split(/\s+/)[0]));
    assert.equal(
      perRegion.reduce((a, b) => a + b, 0),
      Number(total[2]),
    );
    for (const region of capture.outputs.regions as string[]) assert.ok(run.stdout.includes(region));
  });

  it("--json prints one object with every documented field, for --stage 1", () => {
    const run = runs.json1;
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.stack, "dev");
    assert.equal(typeof doc.project, "string");
    assert.equal(doc.stage, 1);
    assert.ok(Array.isArray(doc.regions) && doc.regions.length > 0);
    assert.ok(doc.resources.length > 0);
    for (const r of doc.resources) {
      for (const field of DOCUMENTED_FIELDS) assert.ok(field in r, `${r.urn} lacks ${field}`);
      assert.ok(Array.isArray(r.dependencies));
      assert.equal(typeof r.inputs, "object");
      assert.equal(typeof r.custom, "boolean");
    }
  });

  it("--json honours --stage 7 and applies --set", () => {
    const run = runs.json7;
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.stage, 7);
    const withType = doc.resources.filter((r: { inputs: Record<string, unknown> }) => "instanceType" in r.inputs);
    assert.ok(withType.length > 0, "some resource takes an instance type");
    for (const r of withType) assert.equal(r.inputs.instanceType, "t4g.medium", r.urn);
  });

  it("bad config exits 2, names every bad key, prints no stack trace", () => {
    const run = runs.badConfig;
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /invalid stack config/);
    for (const key of ["stage", "network.cidr", "bogusKey"]) assert.match(run.stderr, new RegExp(`- ${key.replace(".", "\\.")}:`));
    assert.ok(noStackTrace(run.stderr), run.stderr);
    assert.equal(run.stdout, "");
  });

  it("a check that fails inside an output exits 1 with its message once, unwrapped, and no stack trace", () => {
    const run = runs.zoneNotOffered;
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr.match(/^plan failed: /gm)?.length, 1, run.stderr);
    assert.match(run.stderr, /^plan failed: t4g\.small is not offered in use1-az3 \(us-east-1\); .*network\.zoneIds\.us-east-1/m);
    assert.doesNotMatch(run.stderr, /error serializing property|Circular/);
    assert.ok(noStackTrace(run.stderr), run.stderr);
  });

  it("an unknown stack exits 1 with the usage text and no stack trace", () => {
    const run = runs.unknownStack;
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no-such-stack/);
    assert.match(run.stderr, /usage: npm run plan/);
    assert.ok(noStackTrace(run.stderr), run.stderr);
  });

  it("--compare N --json diffs the selection (from) against stage N (to)", async () => {
    const run = runs.compare;
    assert.equal(run.code, 0, run.stderr);
    const doc = JSON.parse(run.stdout);
    assert.equal(doc.from.stage, 2);
    assert.equal(doc.to.stage, 3);
    const [from, to] = [await plan({ stack: "dev", stage: 2 }), await plan({ stack: "dev", stage: 3 })];
    const c = doc.counts;
    assert.equal(c.added + c.updated + c.replaced + c.unchanged, to.resources.length);
    assert.equal(c.removed + c.updated + c.replaced + c.unchanged, from.resources.length);
    for (const key of ["added", "removed", "updated", "replaced", "statefulAtRisk"]) assert.ok(Array.isArray(doc[key]), key);
  });

  it("rejects unknown flags and conflicting formats with exit 1 and the usage", async () => {
    for (const args of [["--frob"], ["--json", "--mermaid"], ["--stage", "three"], ["positional"]]) {
      const result = await runPlan(args);
      assert.equal(result.code, 1, args.join(" "));
      assert.match(result.stderr, /usage: npm run plan/);
      assert.equal(result.stdout, "");
    }
  });

  it("--mermaid draws a flowchart with a subgraph per region and every component", async () => {
    const capture = await plan({ stack: "dev" });
    const chart = renderMermaid(capture);
    assert.match(chart, /^flowchart /);
    for (const region of capture.outputs.regions as string[]) assert.ok(chart.includes(`["${region}"]`), region);
    for (const c of capture.resources.filter((r) => !r.custom)) assert.ok(chart.includes(`${c.name}<br/>`), c.name);
    assert.equal((chart.match(/^\s*subgraph /gm) ?? []).length, (chart.match(/^\s*end$/gm) ?? []).length);
  });

  it("--compare shows old → new values; --to-set overrides the target side only, so a config change can be diffed", async () => {
    // Pulumi.dev.yaml sets compute.instanceType t4g.small; the target asks for m7g.large and one more reader.
    const run = await runPlan([
      "--stack",
      "dev",
      "--stage",
      "5",
      "--to-set",
      "compute.instanceType=m7g.large",
      "--to-set",
      "database.readers=3",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /instanceType: "t4g\.small" → "m7g\.large"/);
    assert.match(run.stdout, /\+ ClusterInstance\s+\S*db-3 /);
    assert.match(run.stdout, /stage 5 .*→ dev stage 5 .*with compute\.instanceType=m7g\.large database\.readers=3/);
    // --set applies to both sides: the same override on both is no change at all.
    const both = await runPlan([
      "--stack",
      "dev",
      "--stage",
      "5",
      "--set",
      "compute.instanceType=m7g.large",
      "--to-set",
      "compute.instanceType=m7g.large",
    ]);
    assert.match(both.stdout, /0 to add, 0 to update, 0 to replace, 0 unknown, 0 to delete/);
    const json = JSON.parse((await runPlan(["--stack", "dev", "--stage", "5", "--to-set", "database.readers=3", "--json"])).stdout);
    assert.deepEqual(json.to.set, ["database.readers=3"]);
    assert.equal(json.counts.added, 1);
  });

  it("shortens long values around their first difference and hides credentials", () => {
    const long = (middle: string) => `{"prefix":"${"a".repeat(80)}","changed":"${middle}","suffix":"${"z".repeat(80)}"}`;
    const [from, to] = shortPair(long("old"), long("new"), 40);
    assert.ok(from.length <= 42 && to.length <= 42, `${from} / ${to}`);
    assert.ok(from.includes("old") && to.includes("new"), `${from} / ${to}`);
    assert.deepEqual(shortPair("a", "b"), ['"a"', '"b"']);

    const change = (path: string, fromValue: unknown, toValue: unknown, notes: string[] = []) => ({
      urn: `urn:pulumi:s::p::aws:x/y:Y::${path}`,
      type: "aws:x/y:Y",
      name: path,
      region: "us-east-1",
      fromUrn: `urn:pulumi:s::p::aws:x/y:Y::${path}`,
      changedPaths: [path],
      changes: [{ path, from: fromValue, to: toValue }],
      notes,
    });
    const diff: PlanDiff = {
      added: [],
      removed: [],
      updated: [
        change("masterPassword", "hunter2", "hunter3", ["same note"]),
        change("manageMasterUserPassword", true, undefined, ["same note"]),
        change("tier", "Standard", "Advanced", ["own note"]),
      ],
      replaced: [],
      unknown: [],
      unchanged: 0,
      counts: { added: 0, removed: 0, updated: 3, replaced: 0, unknown: 0, unchanged: 0 },
      statefulAtRisk: [],
    };
    const text = renderDiff(diff, "a", "b");
    assert.ok(!text.includes("hunter"), text);
    assert.match(text, /masterPassword: \[secret\] → \[secret\]/);
    assert.match(text, /manageMasterUserPassword: true → \(unset\)/);
    assert.equal(text.split("same note").length - 1, 1, "a note shared by two resources is printed once");
    assert.match(text, /same note {2}\(2 resources\)/);
    assert.match(text, /note: own note/);
  });

  it("--json of a plan carries the stack outputs and the same warnings the tree prints", async () => {
    // A host moved from Graviton to x86 is replaced: the program warns (SPEC stage 2).
    const args = ["--stack", "dev", "--stage", "2", "--set", "compute.instanceType=t3.small"];
    const doc = JSON.parse((await runPlan([...args, "--json"])).stdout);
    const tree = (await runPlan(args)).stdout;
    const printed = tree
      .split("\n")
      .filter((l) => l.startsWith("  ! "))
      .map((l) => l.slice(4));
    assert.ok(printed.length > 0, "the tree prints a warning");
    assert.deepEqual(doc.warnings, printed);
    assert.equal(doc.outputs.stage, 2);
    assert.deepEqual(doc.outputs.regions, ["us-east-1"]);
  });
});
