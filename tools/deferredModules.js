/**
 * Two modules the Pulumi SDK loads whenever it loads, for closure serialization only, are loaded
 * here when first used instead: TypeScript's compiler (`typescript-shim.js`, which parses a
 * function's source) and npm's arborist (`runtime/closure/codePaths.js`, which finds the packages
 * a serialized function needs). A plan under mocks serializes a function only for a dynamic
 * provider's resource (the stage-1 site), and never computes code paths; loading them took half of
 * `require("@pulumi/pulumi")` (about 0.6 s of 1.1 s here, and 50 MB).
 *
 * Each is replaced, for the one SDK module that requires it, by a proxy that loads the real module
 * on its first use (a property read, `in`, or listing its keys) and from then on answers as it
 * does. Both SDK modules only keep the module object at load and read its members when they run;
 * arborist's is wrapped in `__importStar`, which returns a module marked `__esModule` as it is, so
 * the proxy says it is one until it loads (arborist's own exports say nothing about it).
 *
 * Loaded by tools/register.js, so it applies wherever this repo's tools and tests run; the Pulumi
 * CLI (`pulumi up`, `pulumi preview --policy-pack`) loads neither, and runs the SDK as it is.
 * test/startup.test.ts checks that a plan loads neither module, and that each proxy answers as the
 * real module once used.
 */
"use strict";
const Module = require("node:module");

/**
 * A module request, the SDK module (by path ending) whose request for it is deferred, and whether
 * that module wraps it in `__importStar` (which would list its keys, and so load it, unless it is
 * marked `__esModule`).
 */
const DEFERRED = [
  { request: "typescript", from: "/@pulumi/pulumi/typescript-shim.js", importStar: false },
  { request: "@npmcli/arborist", from: "/@pulumi/pulumi/runtime/closure/codePaths.js", importStar: true },
];

function deferred(load, importStar) {
  let real;
  const module = () => (real ??= load());
  return new Proxy(
    {},
    {
      get: (_, key) => (importStar && key === "__esModule" && real === undefined ? true : Reflect.get(module(), key)),
      has: (_, key) => Reflect.has(module(), key),
      ownKeys: () => Reflect.ownKeys(module()),
      getOwnPropertyDescriptor: (_, key) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(module(), key);
        // A proxy may not report a property non-configurable that its (empty) target lacks.
        if (descriptor) descriptor.configurable = true;
        return descriptor;
      },
      set: (_, key, value) => Reflect.set(module(), key, value),
      defineProperty: (_, key, descriptor) => Reflect.defineProperty(module(), key, descriptor),
      deleteProperty: (_, key) => Reflect.deleteProperty(module(), key),
    },
  );
}

const resolves = (request, parent) => {
  try {
    Module._resolveFilename(request, parent, false);
    return true;
  } catch {
    return false;
  }
};

const load = Module._load;
Module._load = function loadDeferring(request, parent, isMain) {
  const match = parent?.filename && DEFERRED.find((d) => d.request === request && parent.filename.replaceAll("\\", "/").endsWith(d.from));
  // Only a module that resolves: the shim falls back to a bundled TypeScript when the require throws.
  if (match && resolves(request, parent)) return deferred(() => load.call(Module, request, parent, isMain), match.importStar);
  return load.call(this, request, parent, isMain);
};

module.exports = { DEFERRED };
