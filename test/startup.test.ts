/**
 * What every command pays before it does anything: TypeScript is transpiled once (tools/register.js
 * keeps the JavaScript, keyed by the source), and `--help` or a usage error loads neither the
 * Pulumi nor the AWS SDK. Each case runs in a fresh child process: this process has long since
 * loaded both SDKs.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RUN_TS } from "./helpers";

const ROOT = path.resolve(__dirname, "..");

describe("startup", () => {
  describe("tools/register.js", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "register-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const cacheDir = () => path.join(dir, "cache");
    const source = () => path.join(dir, "answer.ts");
    const load = () =>
      execFileSync(process.execPath, [...RUN_TS, "-e", `console.log(JSON.stringify(require(${JSON.stringify(source())})))`], {
        env: { ...process.env, TS_REGISTER_CACHE: cacheDir() },
        encoding: "utf8",
      }).trim();
    const cached = () => (fs.existsSync(cacheDir()) ? fs.readdirSync(cacheDir()).sort() : []);

    it("transpiles a source once, and again only when it changes", () => {
      fs.writeFileSync(source(), 'const answer: number = 41;\nexport const value = { answer, enum: "x" as string };\n');
      assert.equal(load(), '{"value":{"answer":41,"enum":"x"}}');
      const first = cached();
      assert.equal(first.length, 1, "one cached transpile");

      fs.writeFileSync(path.join(cacheDir(), first[0]), 'exports.value = "served from the cache";\n');
      assert.equal(load(), '{"value":"served from the cache"}', "an unchanged source is not transpiled again");

      fs.writeFileSync(source(), "const answer: number = 42;\nexport const value = { answer };\n");
      assert.equal(load(), '{"value":{"answer":42}}', "a changed source is transpiled again, never served stale");
      assert.equal(cached().length, 2);
    });
  });

  describe("--help and usage errors load no SDK", () => {
    /** Runs a CLI's main function in a fresh process; returns its exit code and the @pulumi packages loaded. */
    const run = (module: string, fn: string, argv: string[]) => {
      const script = `
        require(${JSON.stringify(path.join(ROOT, module))}).${fn}(${JSON.stringify(argv)}).then((r) => {
          const sdks = Object.keys(require.cache).filter((f) => /node_modules[\\\\/]@pulumi[\\\\/]/.test(f));
          console.log(JSON.stringify({ code: r.code, usage: /usage: npm run/.test(r.stdout + r.stderr), sdks }));
        });`;
      return JSON.parse(execFileSync(process.execPath, [...RUN_TS, "-e", script], { cwd: ROOT, encoding: "utf8" })) as {
        code: number;
        usage: boolean;
        sdks: string[];
      };
    };
    const cases: [string, string, string[], number][] = [
      ["tools/plan.ts", "runPlan", ["--help"], 0],
      ["tools/plan.ts", "runPlan", ["--stage"], 1],
      ["tools/plan.ts", "runPlan", ["--json", "--mermaid"], 1],
      ["tools/runbook.ts", "runRunbookCli", ["--help"], 0],
      ["tools/runbook.ts", "runRunbookCli", ["explode"], 1],
    ];
    for (const [module, fn, argv, code] of cases) {
      it(`${module} ${argv.join(" ")}`, () => {
        const result = run(module, fn, argv);
        assert.equal(result.code, code);
        assert.ok(result.usage, "prints the usage");
        assert.deepEqual(result.sdks, []);
      });
    }

    it("a plan does load them (the check above can see an SDK)", function () {
      this.timeout(120_000);
      const result = run("tools/plan.ts", "runPlan", ["--stack", "dev", "--stage", "1", "--json"]);
      assert.equal(result.code, 0);
      assert.ok(result.sdks.some((f) => f.includes(`${path.sep}@pulumi${path.sep}aws${path.sep}`)));
    });
  });
});
