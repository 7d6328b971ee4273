// Mocha's spec reporter, plus the closing line CI reads: "N passed, N failed".
"use strict";
const Mocha = require("mocha");

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      // Printed after the spec summary, so that it is the last line of `npm test`.
      process.on("exit", () => console.log(`${runner.stats.passes} passed, ${runner.stats.failures} failed`));
    });
  }
}

module.exports = SpecWithSummary;
