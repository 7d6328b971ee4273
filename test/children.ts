/**
 * The child processes the tests need (the real CLIs, npm, the policy pack's server), run beside
 * the in-process tests. A test file queues its children when mocha loads it, before any test
 * runs, and its tests await the results; mocha runs the files that queue children after all the
 * others (.mocharc.json `spec`; test/layout.test.ts keeps the list true), so by then the children
 * have finished on the other core. Waiting for a child at its test instead left a core idle for
 * every spawn (about a third of `npm test`).
 *
 * Children run one fewer at a time than the machine has cores (at least one), so this process
 * keeps a core for the in-process tests; a server gives its slot back once it serves. After the
 * last test, children still running or queued (a run with `--grep`) are stopped. A run whose
 * grep selects no test (or a `--dry-run`) runs no hooks: it waits for its queued children to
 * finish, but not for a server, which no longer holds this process once it serves and is stopped
 * when this process exits.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../tools/stackConfig";

/** Node arguments that run a TypeScript entry point the way the npm scripts do (tools/register.js). */
export const RUN_TS = ["-r", path.join(ROOT, "tools", "register.js")];

export interface ChildRun {
  /** The exit code; -1 if the child could not start or was killed (stderr says which). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface ChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the child if it runs longer (milliseconds; default two minutes). */
  timeout?: number;
}

const SLOTS = Math.max(1, os.availableParallelism() - 1);
const waiting: (() => void)[] = [];
const running = new Set<ChildProcess>();
let free = SLOTS;
let stopped = false;

function pump(): void {
  while (free > 0 && waiting.length > 0) {
    free--;
    waiting.shift()!();
  }
}

/** A slot given back once, however often it is called. */
function releaser(): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    free++;
    pump();
  };
}

/** Runs `start` when a slot is free; `start` calls its `release` when its child is done with the slot. */
function whenFree(start: (release: () => void) => void): void {
  waiting.push(() => start(releaser()));
  pump();
}

// A root hook: runs once, after every test of the run.
after(() => {
  stopped = true;
  waiting.length = 0;
  running.forEach((child) => child.kill());
});
// A run that runs no hooks (a grep that selects nothing, `--dry-run`) still stops its children
// when it exits: a server no longer holds this process once it serves, and would outlive it.
process.once("exit", () => running.forEach((child) => child.kill()));

/** Spawns a child with piped output, tracked until it closes; the error if it cannot. */
function spawnChild(command: string, args: readonly string[], options: ChildOptions): ChildProcess | Error {
  if (stopped) return new Error("not started: the test run had ended");
  try {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    running.add(child);
    child.once("close", () => running.delete(child));
    return child;
  } catch (e) {
    return e as Error;
  }
}

/** Queues `command args`; resolves when it has exited (never rejects). */
export function runInBackground(command: string, args: readonly string[], options: ChildOptions = {}): Promise<ChildRun> {
  return new Promise((resolve) =>
    whenFree((release) => {
      const child = spawnChild(command, args, options);
      if (child instanceof Error) {
        release();
        return resolve({ code: -1, stdout: "", stderr: child.message });
      }
      let [stdout, stderr, failed] = ["", "", false];
      const timeout = options.timeout ?? 120_000;
      const timer = setTimeout(() => {
        stderr += `\nkilled after ${timeout} ms`;
        child.kill();
      }, timeout);
      child.stdout!.on("data", (d: string) => (stdout += d));
      child.stderr!.on("data", (d: string) => (stderr += d));
      child.once("error", (e) => {
        failed = true;
        stderr += `${e.message}\n`;
      });
      child.once("close", (code) => {
        clearTimeout(timer);
        release();
        resolve({ code: failed || code === null ? -1 : code, stdout, stderr });
      });
    }),
  );
}

/**
 * An npm script of this repo (`plan`, `runbook`…) queued as {@link runInBackground}: its command
 * from package.json, node flags included, with `args` after it, as `npm run script -- args` runs
 * it but without npm's own process.
 */
export function runScriptInBackground(script: string, args: readonly string[], options: Omit<ChildOptions, "cwd"> = {}): Promise<ChildRun> {
  const scripts: Record<string, string> = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;
  const [command, ...scriptArgs] = (scripts[script] ?? "").split(/\s+/);
  if (command !== "node") throw new Error(`npm script ${script} is not a node command: ${scripts[script]}`);
  // npm runs a script from the package root: its paths are relative to it.
  return runInBackground(process.execPath, [...scriptArgs, ...args], { ...options, cwd: ROOT });
}

/**
 * Queues a server: resolves with the child and the match once `ready` matches its stdout (its
 * slot is then given back: a waiting server uses no core), and rejects if it exits first or does
 * not serve within `startTimeout`. Once it serves it runs until the caller stops it or the run
 * ends, and it no longer keeps this process alive (a run whose grep selects no test runs no
 * root hook to stop it).
 */
export function serveInBackground(
  command: string,
  args: readonly string[],
  ready: RegExp,
  options: Omit<ChildOptions, "timeout"> & { startTimeout?: number } = {},
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  return new Promise((resolve, reject) =>
    whenFree((release) => {
      const child = spawnChild(command, args, options);
      if (child instanceof Error) {
        release();
        return reject(child);
      }
      let [stdout, stderr, serving] = ["", "", false];
      const startTimeout = options.startTimeout ?? 120_000;
      const timer = setTimeout(() => {
        stderr += `\nkilled: not serving after ${startTimeout} ms`;
        child.kill();
      }, startTimeout);
      child.stdout!.on("data", (d: string) => {
        stdout += d;
        const match = serving ? null : ready.exec(stdout);
        if (match) {
          serving = true;
          clearTimeout(timer);
          for (const handle of [child, child.stdout, child.stderr]) (handle as { unref?: () => void } | null)?.unref?.();
          resolve({ child, match });
          release();
        }
      });
      child.stderr!.on("data", (d: string) => (stderr += d));
      child.once("error", (e) => (stderr += `${e.message}\n`));
      child.once("close", (code) => {
        clearTimeout(timer);
        release();
        reject(new Error(`${path.basename(args[args.length - 1] ?? command)} exited (${code}) before serving: ${stderr}`));
      });
    }),
  );
}
