/** The capture harness as a process that plans many times uses it (the tests, the bench). */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { captureFresh, captureProgram, PROGRAM } from "../tools/capture";
import { loadStackConfig } from "../tools/stackConfig";
import "./helpers"; // shares captures, as every test file does

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
});
