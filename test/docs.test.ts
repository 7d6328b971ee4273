import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { STAGES } from "../components/stages";
import { README, renderPromotionSection, renderStageSection, withStageSection } from "../tools/docs";

describe("README", () => {
  const readme = fs.readFileSync(README, "utf8");

  it("carries the stage section generated from the stage table (run `npm run docs` if this fails)", () => {
    assert.equal(withStageSection(readme), readme);
  });

  it("lists every stage of the table in that section", () => {
    const section = renderStageSection();
    for (const s of STAGES) assert.ok(section.includes(`| ${s.stage} | ${s.name} |`), `stage ${s.stage} missing`);
  });

  it("has a promotion row for every step of the table, naming what each step switches on", () => {
    const section = renderPromotionSection();
    for (let i = 1; i < STAGES.length; i++) assert.ok(section.includes(`| ${STAGES[i - 1].stage} → ${STAGES[i].stage} |`));
    assert.match(section, /\| 2 → 3 \| Adds Aurora cluster\./);
  });

  it("opens with the offline plan and the test command", () => {
    const firstBlock = readme.slice(0, readme.indexOf("##"));
    assert.match(firstBlock, /npm ci && npm run plan/);
    assert.match(firstBlock, /npm test/);
  });
});
