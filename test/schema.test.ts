import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { parse } from "yaml";
import { renderSchema, runSchema, SCHEMA_FILE } from "../tools/schema";
import { availableStacks, projectName, ROOT } from "../tools/stackConfig";

const committed = () => JSON.parse(fs.readFileSync(path.join(ROOT, SCHEMA_FILE), "utf8"));
// Compiled once (validation keeps no state between documents; compiling is most of this file's time).
let compiled: ReturnType<Ajv2020["compile"]> | undefined;
const validator = () => (compiled ??= new Ajv2020({ allErrors: true, strict: false }).compile(committed()));
const stackFile = (stack: string) => parse(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));

describe("stack config JSON Schema", () => {
  it("is committed and matches what the zod schema generates (npm run schema)", () => {
    assert.equal(
      fs.readFileSync(path.join(ROOT, SCHEMA_FILE), "utf8"),
      renderSchema(projectName()),
      `${SCHEMA_FILE} is stale: run npm run schema`,
    );
  });

  it("`npm run schema -- --check` fails on a stale file and passes on a fresh one", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "schema-"));
    try {
      fs.writeFileSync(path.join(root, "Pulumi.yaml"), "name: aws-scaling-journey\nruntime: nodejs\n");
      fs.writeFileSync(path.join(root, SCHEMA_FILE), "{}\n");
      assert.equal((await runSchema(["--check"], root)).code, 1);
      assert.equal((await runSchema([], root)).code, 0);
      assert.equal((await runSchema(["--check"], root)).code, 0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  for (const stack of ["dev", "prod"]) {
    it(`validates Pulumi.${stack}.yaml`, () => {
      const validate = validator();
      assert.ok(validate(stackFile(stack)), JSON.stringify(validate.errors, null, 2));
    });
  }

  it("every stack file asks editors to validate it against the schema", () => {
    for (const stack of availableStacks()) {
      const first = fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8").split("\n")[0];
      assert.equal(first, `# yaml-language-server: $schema=./${SCHEMA_FILE}`, `Pulumi.${stack}.yaml`);
    }
  });

  const rejects: [string, (config: Record<string, unknown>) => void][] = [
    ["a misspelled project key", (c) => (c["aws-scaling-journey:regoins"] = ["us-east-1"])],
    ["a misspelled namespace of a project key", (c) => (c["aws-scaling-jouney:domain"] = "example.com")],
    ["an unknown aws: key", (c) => (c["aws:regoin"] = "us-east-1")],
    ["a bad aws:region", (c) => (c["aws:region"] = "us-est-1")],
    ["a stage out of range", (c) => (c["aws-scaling-journey:stage"] = 8)],
    ["an instance type AWS does not offer", (c) => (c["aws-scaling-journey:compute"] = { instanceType: "t4g.nope" })],
    ["an unknown nested key", (c) => (c["aws-scaling-journey:compute"] = { instanceTyp: "t4g.small" })],
    ["a missing stage", (c) => delete c["aws-scaling-journey:stage"]],
  ];
  for (const [what, mutate] of rejects) {
    it(`rejects ${what}`, () => {
      const doc = stackFile("dev");
      mutate(doc.config);
      assert.equal(validator()(doc), false);
    });
  }

  it("accepts a stage written as a string, as `pulumi config set stage 5` stores it, and other tools' namespaces", () => {
    const doc = stackFile("dev");
    doc.config["aws-scaling-journey:stage"] = "5";
    doc.config["other-tool:setting"] = "x";
    const validate = validator();
    assert.ok(validate(doc), JSON.stringify(validate.errors));
  });
});
