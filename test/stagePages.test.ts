import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { STAGES } from "../components/stages";
import { README } from "../tools/docs";
import { pageFile, renderStagePages, STAGE_PAGES_DIR } from "../tools/stagePages";
import { plan } from "./helpers";

describe("stage pages (docs/stages)", () => {
  let pages: Map<string, string>;
  before(async () => {
    pages = await renderStagePages(plan);
  });

  it("the committed pages match the program (run `npm run docs` if this fails)", () => {
    assert.deepEqual(fs.readdirSync(STAGE_PAGES_DIR).sort(), [...pages.keys()].sort());
    for (const [file, text] of pages) assert.equal(fs.readFileSync(path.join(STAGE_PAGES_DIR, file), "utf8"), text, `${file} is stale`);
  });

  it("has one page per stage of the table, each with its diagram, what it adds, the promotion and the cost", () => {
    assert.equal(pages.size, STAGES.length);
    for (const s of STAGES) {
      const page = pages.get(pageFile(s.stage))!;
      assert.ok(page.includes(`# Stage ${s.stage}: ${s.name}`));
      assert.ok(page.includes(s.adds), `stage ${s.stage} says what it adds`);
      assert.match(page, /```mermaid\nflowchart /);
      assert.match(page, /## What the promotion changes/);
      assert.match(page, /\*\*\$\d+\.\d\d a month\*\*/);
    }
    assert.match(pages.get(pageFile(2))!, /\d+ to add, \d+ to update, \d+ to replace, \d+ to delete/);
    // the multi-region form appears on the stage that switches it on
    const last = STAGES.find((s) => s.capabilities.multiRegion)!;
    assert.match(pages.get(pageFile(last.stage))!, /global database/);
  });

  it("the README links every page under the stage's name", () => {
    const readme = fs.readFileSync(README, "utf8");
    for (const s of STAGES) assert.ok(readme.includes(`[${s.stage} ${s.name}](docs/stages/${pageFile(s.stage)})`), `stage ${s.stage}`);
  });
});
