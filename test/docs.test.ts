import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { STAGES } from "../components/stages";
import { README, renderStageSection, withStageSection } from "../tools/docs";

describe("README", () => {
  const readme = fs.readFileSync(README, "utf8");

  it("carries the stage section generated from the stage table (run `npm run docs` if this fails)", () => {
    assert.equal(withStageSection(readme), readme);
  });

  it("lists every stage of the table in that section", () => {
    const section = renderStageSection();
    for (const s of STAGES) assert.ok(section.includes(`| ${s.stage} | ${s.name} |`), `stage ${s.stage} missing`);
  });

  it("opens with the offline plan and the test command", () => {
    const firstBlock = readme.slice(0, readme.indexOf("##"));
    assert.match(firstBlock, /npm ci && npm run plan/);
    assert.match(firstBlock, /npm test/);
  });
});
