/** The capture harness as a process that plans many times uses it (the tests, the bench). */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { captureFresh, captureProgram, PROGRAM, trackedPromise } from "../tools/capture";
import { ROOT, loadStackConfig } from "../tools/stackConfig";
import { RUN_TS, runInBackground } from "./children";
import "./helpers"; // shares captures, as every test file does

// Read when this file loads, when no capture runs: protobuf's own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const protobufFromJavaScript = Struct.fromJavaScript;

describe("capture harness", () => {
  const options = () => ({ ...loadStackConfig({ stack: "dev", stage: 1 }), preview: false });

  it("shares one capture per distinct config, and a fresh run is a new one", async () => {
    const shared = await captureProgram(options());
    assert.equal(await captureProgram(options()), shared, "the same options give the same capture");
    const { preview, ...withoutPreview } = options();
    assert.equal(preview, false);
    assert.equal(await captureProgram(withoutPreview), shared, "preview unset is a normal run");
    const fresh = await captureFresh(options());
    assert.notEqual(fresh, shared);
    assert.deepEqual(fresh.resources, shared.resources);
  });

  it("keeps no earlier run's program module reachable (each holds that run's whole resource graph)", async () => {
    await captureFresh(options());
    const earlier = require.cache[PROGRAM];
    assert.ok(earlier, "the program module of the first run");
    await captureFresh(options());
    const harness = require.cache[path.resolve(__dirname, "..", "tools", "capture.ts")];
    assert.ok(harness, "the harness module is loaded");
    assert.ok(harness.children.filter((m) => m.id === PROGRAM).length <= 1, "module.children lists the program once at most");
    // Components keep the run that first loaded them as their module.parent: that run is emptied.
    assert.notEqual(require.cache[PROGRAM], earlier);
    assert.deepEqual(Object.keys(earlier.exports), [], "the earlier run's exports (its stack outputs) are dropped");
    assert.deepEqual(earlier.children, []);
  });

  // Stage 5 (caches, CDN, autoscaling): a change in when the runtime's promises settle shows
  // here as resources registered in another order (a preview settles them the same way).
  it("runs without the SDK's debugging aids (stack traces, source positions) and reads requests and responses from the objects their Structs were made from, and records the same, in the same order; it puts everything back", async () => {
    const stage5 = { ...loadStackConfig({ stack: "dev", stage: 5 }), preview: false };
    const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };
    const lean = await captureProgram(stage5);
    assert.equal(resourceClass.callsites.name, "callsites", "outside a capture, the SDK's own");
    assert.equal(Struct.fromJavaScript, protobufFromJavaScript, "outside a capture, protobuf's own");
    process.env.PLAN_STACK_TRACES = "1";
    try {
      const traced = await captureFresh(stage5);
      assert.deepEqual(
        traced.resources.map((r) => r.urn),
        lean.resources.map((r) => r.urn),
      );
      // As JSON text: the same values with their keys in the same order (deepEqual ignores order).
      assert.equal(JSON.stringify(lean.resources), JSON.stringify(traced.resources));
      assert.equal(JSON.stringify(lean.outputs), JSON.stringify(traced.outputs));
    } finally {
      delete process.env.PLAN_STACK_TRACES;
    }
  });

  describe("the SDK's check for promises left pending at exit", () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const debuggable = require("@pulumi/pulumi/runtime/debuggable");
    const runtimeState = require("@pulumi/pulumi/runtime/state");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const candidates = (): Set<Promise<unknown>> => runtimeState.getStore().leakCandidates;

    // A fresh process (this one has long since scheduled the check): one capture, then a promise
    // tracked as a capture tracks one, left pending. Queued when this file loads (test/children.ts).
    const leaking = runInBackground(process.execPath, [
      ...RUN_TS,
      "-e",
      `const { captureProgram, trackedPromise } = require(${JSON.stringify(path.join(ROOT, "tools", "capture.ts"))});
       const { loadStackConfig } = require(${JSON.stringify(path.join(ROOT, "tools", "stackConfig.ts"))});
       captureProgram({ ...loadStackConfig({ stack: "dev", stage: 1 }), preview: false }).then(() => {
         trackedPromise(new Promise(() => undefined), "left pending");
       });`,
    ]);

    it("is scheduled by a capture and reports a promise left pending, as the SDK does (exit 1)", async () => {
      const run = await leaking;
      assert.match(run.stderr, /The Pulumi runtime detected that 1 promise was still active/, run.stderr);
      assert.equal(run.code, 1, run.stderr);
    });

    it("a capture leaves no promise pending and puts the SDK's own tracking back", async () => {
      await captureFresh(options());
      assert.notEqual(debuggable.debuggablePromise, trackedPromise, "outside a capture, the SDK's own");
      assert.equal(debuggable.debuggablePromise.name, "debuggablePromise");
      assert.equal(debuggable.leakedPromises()[0].size, 0);
    });

    it("still sees a promise that never settles; a settled one is dropped, a rejection keeps its promise", async () => {
      let resolve!: (v: number) => void;
      const pending = new Promise<number>((r) => (resolve = r));
      const tracked = trackedPromise(pending, "test");
      assert.ok(candidates().has(pending), "a pending promise is a leak candidate");
      resolve(7);
      assert.equal(await tracked, 7);
      assert.ok(!candidates().has(pending), "settled, it is not");

      const failing = Promise.reject(new Error("boom"));
      const error = await trackedPromise(failing, "test").catch((e: Error & { promise?: unknown }) => e);
      assert.equal((error as Error & { promise?: unknown }).promise, failing);
      assert.ok(!candidates().has(failing));
    });
  });
});
