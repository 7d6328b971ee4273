/**
 * Require hook for this repo's TypeScript (`node -r ./tools/register.js tools/plan.ts`, mocha's
 * `require`): each `.ts` source is transpiled once by sucrase (types stripped, imports turned into
 * CommonJS, line numbers kept, so stack traces point at the right lines without source maps) and
 * the JavaScript is kept in `node_modules/.cache/ts-register/`, keyed by a hash of the source, its
 * path and the transpiler's options and version. A changed source gets a new key, so the cache
 * never serves stale code; an unchanged one costs a file read, not a transpile. Type checking is
 * `npm run typecheck`'s job, as it was with ts-node's transpile-only mode.
 *
 * It also defers two modules the Pulumi SDK loads for closure serialization only
 * (tools/deferredModules.js).
 *
 * Plain JavaScript on purpose: it has to load before anything can transpile TypeScript. The
 * Pulumi CLI does not use it (`pulumi up` runs index.ts through its own ts-node).
 */
"use strict";
require("./deferredModules");
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

// ES syntax Node 20 runs (`?.`, `??`, class fields) is left as written, as tsc does for ES2022.
const OPTIONS = { transforms: ["imports", "typescript"], disableESTransforms: true };
const DEFAULT_CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "ts-register");
// Read on each use, so that a test can point this process's hook at a scratch directory.
const cacheDir = () => process.env.TS_REGISTER_CACHE || DEFAULT_CACHE_DIR;
const KEY_PREFIX = `sucrase ${require("sucrase/package.json").version} ${JSON.stringify(OPTIONS)}\n`;

let transform;

function transpile(source, filename) {
  const key = crypto.createHash("sha256").update(KEY_PREFIX).update(filename).update("\n").update(source).digest("hex");
  const dir = cacheDir();
  const cached = path.join(dir, `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    // Not cached yet: transpile, then store atomically (parallel test workers may race).
  }
  transform ??= require("sucrase").transform;
  const { code } = transform(source, { ...OPTIONS, filePath: filename });
  try {
    fs.mkdirSync(dir, { recursive: true });
    const temporary = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, code);
    fs.renameSync(temporary, cached);
  } catch {
    // A read-only checkout still runs, it only transpiles every time.
  }
  return code;
}

Module._extensions[".ts"] = function loadTypeScript(module, filename) {
  module._compile(transpile(fs.readFileSync(filename, "utf8"), filename), filename);
};
