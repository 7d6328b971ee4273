/**
 * The order mocha runs the test files in (.mocharc.json `spec`): the files whose tests wait for
 * child processes (test/children.ts queues them when the files load) come last, so the children
 * run on the other core while the in-process tests run and are done when their tests come.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../tools/stackConfig";

// Mocha's own resolution of a spec pattern (what it runs), relative to the repo.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lookupFiles: (pattern: string, extensions: string[], recursive: boolean) => string[] = require("mocha/lib/cli/lookup-files");
const QUEUES_CHILDREN = /\b(runInBackground|runScriptInBackground|serveInBackground)\(/;

describe("test file order (.mocharc.json)", () => {
  it("runs every test file once, and the files that queue a child process after all the others", () => {
    const spec: string[] = JSON.parse(fs.readFileSync(path.join(ROOT, ".mocharc.json"), "utf8")).spec;
    const resolved = spec.map((pattern) =>
      lookupFiles(path.join(ROOT, pattern), ["ts"], false)
        .map((f) => path.basename(f))
        .sort(),
    );
    const all = fs.readdirSync(path.join(ROOT, "test")).filter((f) => f.endsWith(".test.ts"));
    const queuing = all.filter((f) => QUEUES_CHILDREN.test(fs.readFileSync(path.join(ROOT, "test", f), "utf8"))).sort();
    assert.equal(resolved.length, 2, JSON.stringify(spec));
    assert.deepEqual([...resolved[0], ...resolved[1]].sort(), all.sort(), "every test file, once");
    assert.deepEqual(resolved[1], queuing, "the files run last are the ones that queue children");
  });
});
