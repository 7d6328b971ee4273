// Mocha's spec reporter, plus the closing line CI reads: "N passed, N failed". With
// TEST_TIMINGS_FILE set (npm run bench does), also writes every test's duration there as JSON.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const Mocha = require("mocha");

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const timings = [];
    runner.on(Mocha.Runner.constants.EVENT_TEST_END, (test) => {
      if (test.duration === undefined) return;
      timings.push({ title: test.fullTitle(), file: test.file ? path.relative(process.cwd(), test.file) : "", ms: test.duration });
    });
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      if (process.env.TEST_TIMINGS_FILE) fs.writeFileSync(process.env.TEST_TIMINGS_FILE, JSON.stringify(timings));
      // Printed after the spec summary, so that it is the last line of `npm test`.
      process.on("exit", () => console.log(`${runner.stats.passes} passed, ${runner.stats.failures} failed`));
    });
  }
}

module.exports = SpecWithSummary;
