/**
 * What every offline command (plan, policy, runbook) shares: the result shape, the SPEC exit
 * codes (0 ok, 2 bad config, 1 anything else) and printing without stack traces, then exiting
 * explicitly because the Pulumi runtime can keep handles open.
 */
import { parseArgs, ParseArgsConfig } from "node:util";
// Types only: `--help` and usage errors must not load the config schema (zod, the AWS SDK's enums).
import type { ConfigError } from "../components/config";

/** A command line the CLI does not understand (exit 1 with the usage text). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** `util.parseArgs`, strict, with its errors turned into usage errors (exit 1 with the usage text). */
export function parseCliArgs<O extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals, options });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A flag's value as a whole number (a stage), or a usage error naming the flag. */
export function wholeNumber(flag: string, raw: string): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`${flag} takes a whole number, got "${raw}"`);
  return Number(raw);
}

/** By name, so that recognising one does not load the config module (nor the SDK behind it). */
export function isConfigError(err: unknown): err is ConfigError {
  return err instanceof Error && err.name === "ConfigError" && Array.isArray((err as ConfigError).problems);
}

export function isUsageError(err: unknown): err is UsageError {
  return err instanceof UsageError || (err instanceof Error && err.name === "UsageError");
}

/** The result for an error: bad config exits 2 with every problem, a usage error 1 with the usage text. */
export function cliFailure(err: unknown, command: string, usage: string): CliResult {
  if (isConfigError(err)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { formatProblem } = require("../components/config") as typeof import("../components/config");
    return { stdout: "", stderr: `invalid stack config:\n${err.problems.map(formatProblem).join("\n")}\n`, code: 2 };
  }
  if (err instanceof Error && err.name === "StackFileError") {
    return { stdout: "", stderr: `invalid stack config: ${err.message}\n`, code: 2 };
  }
  if (isUsageError(err)) return { stdout: "", stderr: `${err.message}\n\n${usage}\n`, code: 1 };
  return { stdout: "", stderr: `${command} failed: ${err instanceof Error ? err.message : String(err)}\n`, code: 1 };
}

function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => (text ? stream.write(text, () => resolve()) : resolve()));
}

/** Every flag the repo's CLIs take (plan, policy, runbook, smoke), for spotting ones npm kept. */
export const CLI_FLAGS = [
  ...["stack", "stage", "set", "json", "mermaid", "resources", "compare", "assume", "config"],
  ...["from", "to", "region", "domain", "rehearse", "unplanned", "up", "check"],
];

/**
 * `npm run plan --stage 4` (no `--`) hands `--stage` to npm, which keeps it as its own config
 * (`npm_config_stage` in the script's environment) and passes the `4` on as a bare argument.
 * Returns what to tell the user (the CLIs exit 2: the config asked for is not the one that would
 * run), or undefined when nothing was swallowed.
 */
export function npmSwallowedFlags(env: NodeJS.ProcessEnv, argv: string[]): string | undefined {
  const command = env.npm_lifecycle_event;
  if (!command) return undefined;
  const swallowed = CLI_FLAGS.filter((flag) => env[`npm_config_${flag}`] !== undefined);
  if (swallowed.length === 0) return undefined;
  const bare = argv.filter((a) => !a.startsWith("-"));
  const example =
    swallowed.length === 1 && bare.length === 1 && env[`npm_config_${swallowed[0]}`] === "true"
      ? `--${swallowed[0]} ${bare[0]}`
      : swallowed.map((f) => `--${f}${env[`npm_config_${f}`] === "true" ? "" : ` ${env[`npm_config_${f}`]}`}`).join(" ");
  return (
    `npm kept ${swallowed.map((f) => `--${f}`).join(", ")} as its own option${swallowed.length > 1 ? "s" : ""}: ` +
    `${command} never saw ${swallowed.length > 1 ? "them" : "it"}` +
    `${bare.length ? ` (only the bare argument${bare.length > 1 ? "s" : ""} ${bare.join(" ")} reached it)` : ""}.\n` +
    `Put \`--\` between the script name and its flags, e.g.: npm run ${command} -- ${example}\n`
  );
}

/** The SDK wraps an error thrown while serializing an input once per nesting level; keep the cause. */
export function innermostMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^(error serializing property "[^"]*": )+/, "");
}

/** Runs a command's main function, prints its result, flushes and exits with its code. */
export function runMain(command: string, main: (argv: string[]) => Promise<CliResult>): void {
  const swallowed = npmSwallowedFlags(process.env, process.argv.slice(2));
  if (swallowed) {
    process.stderr.write(swallowed, () => process.exit(2));
    return;
  }
  // A check the program makes inside an output (an `apply`) rejects outside `main`'s promise chain:
  // print its message, without the serializer's wrapping or a stack trace, and exit 1.
  let failed = false;
  process.on("unhandledRejection", async (err) => {
    if (failed) return; // the same check fails once per resource that reads the output
    failed = true;
    await write(process.stderr, `${command} failed: ${innermostMessage(err)}\n`);
    process.exit(1);
  });
  main(process.argv.slice(2)).then(
    async ({ stdout, stderr, code }) => {
      await write(process.stdout, stdout);
      await write(process.stderr, stderr);
      process.exit(code);
    },
    async (err) => {
      await write(process.stderr, `${command} failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
