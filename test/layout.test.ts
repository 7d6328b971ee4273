/**
 * The order mocha runs the test files in (.mocharc.json `spec`): the files whose tests wait for
 * child processes (test/children.ts queues them when the files load) come last, so the children
 * run on the other core while the in-process tests run and are done when their tests come.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../tools/stackConfig";

const spec: string[] = JSON.parse(fs.readFileSync(path.join(ROOT, ".mocharc.json"), "utf8")).spec;
const QUEUES_CHILDREN = /\b(runInBackground|runScriptInBackground|serveInBackground)\(/;

describe("test file order (.mocharc.json)", () => {
  it("runs every file that queues a child process after all the others, and every file once", () => {
    const names = (pattern: RegExp) =>
      spec
        .map((s) => pattern.exec(s)?.[1])
        .find((list) => list !== undefined)
        ?.split("|") ?? [];
    const excludedFirst = names(/^test\/!\(([^)]*)\)\.test\.ts$/);
    const last = names(/^test\/@\(([^)]*)\)\.test\.ts$/);
    assert.equal(spec.length, 2, JSON.stringify(spec));
    assert.match(spec[0], /^test\/!\(/, "the others first");
    assert.deepEqual(excludedFirst, last, "the first pattern leaves out exactly the files the second runs");
    const queuing = fs
      .readdirSync(path.join(ROOT, "test"))
      .filter((f) => f.endsWith(".test.ts") && QUEUES_CHILDREN.test(fs.readFileSync(path.join(ROOT, "test", f), "utf8")))
      .map((f) => f.replace(/\.test\.ts$/, ""))
      .sort();
    assert.deepEqual([...last].sort(), queuing, "the files run last are the ones that queue children");
  });
});
