/**
 * What every command pays before it does anything: TypeScript is transpiled once (tools/register.js
 * keeps the JavaScript, keyed by the source); `--help` and a usage error load neither the Pulumi
 * nor the AWS SDK, nor does a config error in plan or policy (a runbook's still loads them: it is
 * found when the runbook captures its first plan). The SDK cases run in a fresh child process: this process has long
 * since loaded both SDKs.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RUN_TS, runInBackground } from "./children";
import { ROOT } from "../tools/stackConfig";

const USAGE = /usage: npm run/;

describe("startup", () => {
  describe("tools/register.js", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "register-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const cacheDir = () => path.join(dir, "cache");
    const source = () => path.join(dir, "answer.ts");
    // This process's own hook (mocha loads tools/register.js), pointed at a scratch cache; the
    // module is dropped from require's cache each time, so each load goes through the hook.
    const load = () => {
      const previous = process.env.TS_REGISTER_CACHE;
      process.env.TS_REGISTER_CACHE = cacheDir();
      try {
        delete require.cache[source()];
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return JSON.stringify(require(source()));
      } finally {
        if (previous === undefined) delete process.env.TS_REGISTER_CACHE;
        else process.env.TS_REGISTER_CACHE = previous;
        delete require.cache[source()];
      }
    };
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

  describe("--help, usage errors and config errors load no SDK", function () {
    this.timeout(120_000);
    // [module, function, argv, exit code, what it prints: the usage, or the config problem]
    const cases: [string, string, string[], number, RegExp][] = [
      ["tools/plan.ts", "runPlan", ["--help"], 0, USAGE],
      ["tools/plan.ts", "runPlan", ["--stage"], 1, USAGE],
      ["tools/plan.ts", "runPlan", ["--json", "--mermaid"], 1, USAGE],
      ["tools/plan.ts", "runPlan", ["--compare", "3", "--view", "everything"], 1, USAGE],
      ["tools/policy.ts", "runPolicyCli", ["--help"], 0, USAGE],
      ["tools/policy.ts", "runPolicyCli", ["--view", "everything"], 1, USAGE],
      ["tools/policy.ts", "runPolicyCli", ["--stage", "three"], 1, USAGE],
      ["tools/runbook.ts", "runRunbookCli", ["--help"], 0, USAGE],
      ["tools/runbook.ts", "runRunbookCli", ["explode"], 1, USAGE],
      ["tools/runbook.ts", "runRunbookCli", ["promote", "--to", "3"], 1, USAGE],
      ["tools/runbook.ts", "runRunbookCli", ["promote", "--stack", "dev", "--to", "9"], 1, USAGE],
      ["tools/runbook.ts", "runRunbookCli", ["add-region", "--stack", "dev"], 1, USAGE],
      ["tools/runbook.ts", "runRunbookCli", ["failover", "--to", "eu-west-1"], 1, USAGE],
      ["tools/runbook.ts", "runRunbookCli", ["add-domain", "--stack", "dev"], 1, USAGE],
      ["tools/runbook.ts", "runRunbookCli", ["dev-to-prod", "--from", "prod"], 1, USAGE],
      ["tools/runbook.ts", "runRunbookCli", ["dev-to-prod", "--stage", "0"], 1, USAGE],
      // Config the program would reject (exit 2) is checked with the program's own pure steps
      // (components/plan.ts planFromConfig) before the program and the SDK load.
      ["tools/plan.ts", "runPlan", ["--stack", "dev", "--set", "stage=9"], 2, /stage: must be a whole number from 1 to 7/],
      ["tools/plan.ts", "runPlan", ["--stack", "dev", "--set", "bogusKey=1"], 2, /bogusKey: is not a known key/],
      [
        "tools/plan.ts",
        "runPlan",
        ["--stack", "dev", "--stage", "4", "--compare", "9"],
        2,
        /stage: must be a whole number from 1 to 7 .*got 9/,
      ],
      [
        "tools/plan.ts",
        "runPlan",
        ["--stack", "prod", "--set", 'aws:regoin="us-east-1"'],
        2,
        /aws:regoin: is not a key the AWS provider reads/,
      ],
      [
        "tools/policy.ts",
        "runPolicyCli",
        ["--stack", "dev", "--set", "network.cidr=10.0.0.0/8"],
        2,
        /network\.cidr: must be an IPv4 CIDR block/,
      ],
    ];
    // The control: a command that gets past its checks loads the SDK, so the check can see one.
    // The policy check loads it for its pack config's error class (PolicyConfigError lives in
    // tools/policyRunner.ts, which imports the capture harness) and stops at the missing file,
    // exit 2: a plan captured for nothing would cost this process a second.
    const control: [string, string, string[], number] = [
      "tools/policy.ts",
      "runPolicyCli",
      ["--stack", "dev", "--config", "no-such-pack-config.json"],
      2,
    ];

    /**
     * Runs every case in order in one fresh process (this one has long since loaded both SDKs),
     * recording after each its exit code, what it printed, and the @pulumi packages loaded so
     * far: a case that loads an SDK shows it from that case on.
     */
    const script = `
      (async () => {
        const out = [];
        for (const [module, fn, argv] of ${JSON.stringify([...cases.map(([m, f, a]) => [m, f, a]), control])}) {
          const r = await require(require("node:path").join(${JSON.stringify(ROOT)}, module))[fn](argv);
          // An SDK is any @pulumi module but @pulumi/aws's enum tables (plain data: the config
          // check reads the Region names from them).
          const sdks = Object.keys(require.cache).filter(
            (f) => /node_modules[\\/]@pulumi[\\/]/.test(f) && !/@pulumi[\\/]aws[\\/]types[\\/]enums[\\/]/.test(f),
          );
          const deferred = Object.keys(require.cache).filter((f) => /node_modules[\\/](typescript|@npmcli[\\/]arborist)[\\/]/.test(f));
          out.push({ code: r.code, printed: r.code === 0 ? r.stdout.slice(0, 2000) : r.stderr, sdks, deferred });
        }
        console.log(JSON.stringify(out));
      })();`;
    // Queued when this file loads (test/children.ts): it loads both SDKs, beside the other tests.
    const child = runInBackground(process.execPath, [...RUN_TS, "-e", script]);
    let results: { code: number; printed: string; sdks: string[]; deferred: string[] }[];
    before(async () => {
      const run = await child;
      assert.equal(run.code, 0, run.stderr);
      results = JSON.parse(run.stdout);
    });

    cases.forEach(([module, , argv, code, printed], i) => {
      it(`${module} ${argv.join(" ")}`, () => {
        assert.equal(results[i].code, code, results[i].printed);
        assert.match(results[i].printed, printed);
        assert.deepEqual(results[i].sdks, []);
      });
    });

    it("a command past its checks does load them (the checks above can see an SDK)", () => {
      const result = results[cases.length];
      assert.equal(result.code, control[3], result.printed);
      assert.match(result.printed, /no-such-pack-config\.json/);
      assert.ok(result.sdks.some((f) => f.includes(`${path.sep}@pulumi${path.sep}pulumi${path.sep}`)));
      // tools/deferredModules.js: the SDK modules that require them loaded, the modules they
      // require for closure serialization did not.
      for (const sdkModule of ["typescript-shim.js", path.join("runtime", "closure", "codePaths.js")])
        assert.ok(
          result.sdks.some((f) => f.endsWith(`${path.sep}@pulumi${path.sep}pulumi${path.sep}${sdkModule}`)),
          sdkModule,
        );
      assert.deepEqual(result.deferred, []);
    });
  });

  describe("the SDK's closure-serialization modules, loaded when first used (tools/deferredModules.js)", function () {
    this.timeout(120_000);
    const argv = ["--stack", "dev", "--stage", "1", "--json"];
    // The same plan in a process that loads both modules with the SDK, before the hook exists:
    // stage 1's site is a dynamic provider's resource, whose provider the SDK serializes.
    const eager = runInBackground(process.execPath, [
      "-r",
      "@pulumi/pulumi/typescript-shim",
      "-r",
      "@pulumi/pulumi/runtime/closure/codePaths",
      ...RUN_TS,
      "-e",
      `require(${JSON.stringify(path.join(ROOT, "tools", "plan.ts"))}).runPlan(${JSON.stringify(argv)}).then((r) => process.stdout.write(r.stdout))`,
    ]);

    it("plans what the SDK loaded whole plans: a stage-1 plan, its serialized provider included", async () => {
      const { runPlan } = await import("../tools/plan");
      const deferred = await runPlan(argv);
      const whole = await eager;
      assert.equal(whole.code, 0, whole.stderr);
      assert.equal(deferred.code, 0, deferred.stderr);
      assert.match(deferred.stdout, /__provider/, "the plan holds a serialized provider");
      assert.equal(deferred.stdout, whole.stdout);
    });

    it("gives the SDK a stand-in that answers as the module once used (the control above shows it unused)", () => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      // This process's tools/register.js (mocha's `require`) has set the deferral up.
      assert.notEqual(require("@pulumi/pulumi/typescript-shim"), require("typescript"));
      const Module = require("node:module") as {
        new (id: string): { filename: string; paths: string[] };
        _load(request: string, parent: unknown, isMain: boolean): any;
        _nodeModulePaths(dir: string): string[];
      };
      const { DEFERRED } = require("../tools/deferredModules") as { DEFERRED: { request: string; from: string }[] };
      /* eslint-enable @typescript-eslint/no-require-imports */
      for (const { request, from } of DEFERRED) {
        const real = Module._load(request, module, false);
        // A module at the SDK's path, as the SDK's own module is when it requires it.
        const sdkModule = new Module(path.join(ROOT, "node_modules", from));
        sdkModule.filename = path.join(ROOT, "node_modules", from);
        sdkModule.paths = Module._nodeModulePaths(path.dirname(sdkModule.filename));
        const standIn = Module._load(request, sdkModule, false);
        assert.notEqual(standIn, real, `${request}: the SDK's module gets a stand-in`);
        assert.deepEqual(Reflect.ownKeys(standIn), Reflect.ownKeys(real));
        for (const key of Object.keys(real).slice(0, 50)) assert.equal(standIn[key], real[key], `${request}.${key}`);
        assert.equal(typeof standIn[request === "typescript" ? "createSourceFile" : "Arborist"], "function");
      }
    });
  });
});
