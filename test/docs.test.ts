import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { README, withStageSection } from "../tools/docs";

describe("README", () => {
  const readme = fs.readFileSync(README, "utf8");

  it("carries the stage section generated from the stage table (run `npm run docs` if this fails)", () => {
    assert.equal(withStageSection(readme), readme);
  });

  // The journey's stages as SPEC names them, and one thing SPEC says each promotion brings.
  const SPEC_STAGES = [
    "Prelaunch",
    "Launch",
    "Ten users",
    "Thousand users",
    "Ten thousand users",
    "Half a million users",
    "Ten million users",
  ];
  const SPEC_STEP_ADDS = [/VPC/, /Aurora/, /ALB/, /Redis/, /dynamodb|DynamoDB/, /global database/];
  const rows = (from: string) => readme.split("\n").filter((l) => l.startsWith(from));

  it("lists every stage SPEC names, in order, in the committed README", () => {
    SPEC_STAGES.forEach((name, i) => assert.equal(rows(`| ${i + 1} | ${name} |`).length, 1, `stage ${i + 1} ${name}`));
  });

  it("has one promotion row per step, naming what SPEC says the step brings", () => {
    SPEC_STEP_ADDS.forEach((adds, i) => {
      const row = rows(`| ${i + 1} → ${i + 2} |`);
      assert.equal(row.length, 1, `${i + 1} → ${i + 2}`);
      assert.match(row[0].split("|")[2], adds, `${i + 1} → ${i + 2}`);
    });
    assert.equal(readme.split("\n").filter((l) => /^\| \d+ → \d+ \|/.test(l)).length, SPEC_STEP_ADDS.length);
  });

  it("opens with the offline plan and the test command", () => {
    const firstBlock = readme.slice(0, readme.indexOf("##"));
    assert.match(firstBlock, /npm ci && npm run plan/);
    assert.match(firstBlock, /npm test/);
  });
});
