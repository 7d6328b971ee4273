/**
 * A smoke test against a real AWS account, for a user with credentials and the Pulumi CLI:
 *
 *   npm run smoke -- --stack NAME [--stage N] [--from dev] [--up]
 *
 * Selects the stack NAME, or creates it with the config of `--from` (default dev); sets the
 * stage when given; runs `pulumi preview --policy-pack policies`. With `--up` it then deploys,
 * checks what the stack serves (`/health` and `/ready` on appUrl, DNS delegation when a domain
 * is set, Aurora Global Database membership at the multi-region stage) and destroys the stack
 * again, whatever the checks said. Prints a pass/fail table; exits 1 when any step failed.
 *
 * NAME should be a throwaway stack: `--up` unprotects and destroys everything in it. Resources
 * the program marks `retainOnDelete` (databases, tables, buckets, volumes, the zone) are left in
 * the account by `pulumi destroy`; the table lists them so they can be deleted by hand.
 */
import { spawnSync } from "node:child_process";
import { promises as dns } from "node:dns";
import * as fs from "node:fs";
import * as path from "node:path";
import { HEALTH_CHECK_PATH, READINESS_PATH } from "../components/appPaths";
import { cliFailure, CliResult, parseCliArgs, runMain, wholeNumber } from "./cli";
import { projectName, ROOT, UsageError } from "./stackConfig";

export const USAGE = `usage: npm run smoke -- --stack NAME [--stage N] [--from STACK] [--up]
  --stack NAME   throwaway stack to select, or create (pulumi stack init) when it does not exist
  --stage N      set the stack's stage before the preview
  --from STACK   stack whose config a new stack copies (default: dev)
  --up           deploy, check /health, /ready, DNS and global-cluster membership, then destroy
  -h, --help     show this text
Needs the Pulumi CLI on PATH, a Pulumi backend login and AWS credentials.`;

export type StepResult = "pass" | "fail" | "skip";
export interface Step {
  name: string;
  result: StepResult;
  detail: string;
}

export interface SmokeArgs {
  stack: string;
  stage?: number;
  from: string;
  up: boolean;
  help: boolean;
}

export function parseSmokeArgs(argv: string[]): SmokeArgs {
  const { values: v } = parseCliArgs(argv, {
    stack: { type: "string" },
    stage: { type: "string" },
    from: { type: "string", default: "dev" },
    up: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  });
  if (!v.help && !v.stack) throw new UsageError("--stack NAME is required (a throwaway stack: --up destroys it)");
  return {
    stack: v.stack ?? "",
    stage: v.stage === undefined ? undefined : wholeNumber("--stage", v.stage),
    from: v.from!,
    up: v.up!,
    help: v.help!,
  };
}

/** How the smoke test reaches the outside world; tests pass a PATH with fake `pulumi` and `curl`. */
export interface SmokeEnv {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Name servers the public DNS returns for a domain. */
  resolveNs: (domain: string) => Promise<string[]>;
}

const defaultEnv: SmokeEnv = { env: process.env, cwd: ROOT, resolveNs: (d) => dns.resolveNs(d) };

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(ctx: SmokeEnv, command: string, args: string[]): Ran {
  const r = spawnSync(command, args, { cwd: ctx.cwd, env: ctx.env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) return { code: 127, stdout: "", stderr: `${command}: ${r.error.message}` };
  return { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** The last non-empty line of a command's error output, for the table. */
const lastLine = (r: Ran) =>
  (r.stderr || r.stdout)
    .trim()
    .split("\n")
    .filter((l) => l.trim())
    .pop() ?? `exit ${r.code}`;

/** `curl` a URL; passes on a 2xx status. */
function httpCheck(ctx: SmokeEnv, name: string, url: string): Step {
  const r = run(ctx, "curl", [
    "--silent",
    "--show-error",
    "--location",
    "--max-time",
    "20",
    "--output",
    "/dev/null",
    "--write-out",
    "%{http_code}",
    url,
  ]);
  const status = r.stdout.trim();
  if (r.code === 0 && /^2\d\d$/.test(status)) return { name, result: "pass", detail: `${url} → ${status}` };
  return { name, result: "fail", detail: `${url} → ${status || lastLine(r)}` };
}

interface StackExport {
  deployment?: { resources?: { type: string; urn: string; outputs?: Record<string, unknown> }[] };
}

/** Every Aurora global cluster has one writer and a member per region of the stack. */
export function globalClusterCheck(exported: StackExport, regions: string[]): Step {
  const name = "global-cluster membership";
  const globals = (exported.deployment?.resources ?? []).filter((r) => r.type === "aws:rds/globalCluster:GlobalCluster");
  if (globals.length === 0) return { name, result: "skip", detail: "no Aurora Global Database at this stage" };
  const problems: string[] = [];
  for (const g of globals) {
    const members = (g.outputs?.globalClusterMembers ?? []) as { dbClusterArn?: string; isWriter?: boolean }[];
    const writers = members.filter((m) => m.isWriter).length;
    const id = String(g.outputs?.id ?? g.urn.split("::").pop());
    if (writers !== 1) problems.push(`${id}: ${writers} writers`);
    if (members.length !== regions.length) problems.push(`${id}: ${members.length} members for ${regions.length} regions`);
  }
  return problems.length
    ? { name, result: "fail", detail: problems.join("; ") }
    : { name, result: "pass", detail: `${globals.length} global cluster(s), one writer and ${regions.length} members each` };
}

async function dnsCheck(ctx: SmokeEnv, outputs: Record<string, unknown>): Promise<Step> {
  const name = "DNS delegation";
  const nameServers = (outputs.nameServers ?? []) as string[];
  const appUrl = typeof outputs.appUrl === "string" ? outputs.appUrl : undefined;
  if (nameServers.length === 0 || !appUrl) return { name, result: "skip", detail: "no domain set: outputs give raw endpoints" };
  const domain = new URL(appUrl).hostname;
  const normalise = (ns: string) => ns.toLowerCase().replace(/\.$/, "");
  try {
    const seen = (await ctx.resolveNs(domain)).map(normalise);
    const missing = nameServers.map(normalise).filter((ns) => !seen.includes(ns));
    return missing.length === 0
      ? { name, result: "pass", detail: `${domain} is delegated to the stack's zone` }
      : {
          name,
          result: "fail",
          detail: `${domain} is not delegated to ${missing.join(", ")}: set the zone's name servers at the registrar`,
        };
  } catch (err) {
    return { name, result: "fail", detail: `${domain}: ${(err as Error).message}` };
  }
}

export function renderTable(title: string, steps: Step[]): string {
  const width = Math.max(...steps.map((s) => s.name.length), 4);
  const lines = [title, `  ${"step".padEnd(width)}  result  detail`];
  for (const s of steps) lines.push(`  ${s.name.padEnd(width)}  ${s.result.padEnd(6)}  ${s.detail}`);
  const count = (r: StepResult) => steps.filter((s) => s.result === r).length;
  lines.push(`${count("pass")} passed, ${count("fail")} failed, ${count("skip")} skipped`);
  return lines.join("\n") + "\n";
}

export async function runSmoke(argv: string[], ctx: SmokeEnv = defaultEnv): Promise<CliResult> {
  let args: SmokeArgs;
  try {
    args = parseSmokeArgs(argv);
  } catch (err) {
    return cliFailure(err, "smoke", USAGE);
  }
  if (args.help) return { stdout: USAGE + "\n", stderr: "", code: 0 };
  const steps: Step[] = [];
  const stack = ["--stack", args.stack];
  const done = () => {
    const title = `smoke test of stack ${args.stack}${args.stage === undefined ? "" : ` at stage ${args.stage}`}${args.up ? " (with --up)" : ""}`;
    return { stdout: renderTable(title, steps), stderr: "", code: steps.some((s) => s.result === "fail") ? 1 : 0 };
  };
  /** Runs a pulumi command as a step; returns whether it passed. */
  const pulumiStep = (name: string, pulumiArgs: string[], detail: (r: Ran) => string = () => "ok"): Ran | undefined => {
    const r = run(ctx, "pulumi", [...pulumiArgs, "--non-interactive"]);
    steps.push(r.code === 0 ? { name, result: "pass", detail: detail(r) } : { name, result: "fail", detail: lastLine(r) });
    return r.code === 0 ? r : undefined;
  };

  const version = run(ctx, "pulumi", ["version"]);
  if (version.code !== 0) {
    steps.push({
      name: "pulumi CLI",
      result: "fail",
      detail: `not usable: ${lastLine(version)} (install it: https://www.pulumi.com/docs/install/)`,
    });
    return done();
  }
  steps.push({ name: "pulumi CLI", result: "pass", detail: version.stdout.trim() });

  const selected = run(ctx, "pulumi", ["stack", "select", args.stack, "--non-interactive"]);
  if (selected.code === 0) {
    steps.push({ name: "stack", result: "pass", detail: `selected existing stack ${args.stack}` });
  } else if (
    !pulumiStep(
      "stack",
      ["stack", "init", args.stack, "--copy-config-from", args.from],
      () => `created ${args.stack} with the config of ${args.from}`,
    )
  ) {
    return done();
  }
  if (args.stage !== undefined) {
    const key = `${projectName(ctx.cwd)}:stage`;
    if (!pulumiStep("stage", ["config", "set", ...stack, key, String(args.stage)], () => `${key} = ${args.stage}`)) return done();
  }

  const packConfig = path.join("policies", "config", `${args.from}.json`);
  const policyArgs = [
    "--policy-pack",
    "policies",
    ...(fs.existsSync(path.join(ctx.cwd, packConfig)) ? ["--policy-pack-config", packConfig] : []),
  ];
  const previewed = pulumiStep("preview --policy-pack policies", ["preview", ...stack, ...policyArgs, "--diff"]);
  if (!previewed || !args.up) return done();

  const deployed = pulumiStep("up", ["up", ...stack, ...policyArgs, "--yes", "--skip-preview"]);
  if (deployed) {
    const out = pulumiStep("stack outputs", ["stack", "output", ...stack, "--json"], () => "read");
    const outputs = out ? (JSON.parse(out.stdout || "{}") as Record<string, unknown>) : {};
    if (out) {
      const appUrl = typeof outputs.appUrl === "string" ? outputs.appUrl.replace(/\/$/, "") : undefined;
      if (appUrl) {
        steps.push(httpCheck(ctx, HEALTH_CHECK_PATH, `${appUrl}${HEALTH_CHECK_PATH}`));
        steps.push(httpCheck(ctx, READINESS_PATH, `${appUrl}${READINESS_PATH}`));
      } else if (typeof outputs.siteUrl === "string") {
        steps.push(httpCheck(ctx, "launch page", outputs.siteUrl));
      }
      steps.push(await dnsCheck(ctx, outputs));
      const exported = run(ctx, "pulumi", ["stack", "export", ...stack, "--non-interactive"]);
      if (exported.code === 0)
        steps.push(globalClusterCheck(JSON.parse(exported.stdout) as StackExport, (outputs.regions ?? []) as string[]));
      else steps.push({ name: "global-cluster membership", result: "fail", detail: `pulumi stack export: ${lastLine(exported)}` });
    }
  }
  // Always tear down what `up` may have created, even after a failed check.
  pulumiStep("unprotect", ["state", "unprotect", ...stack, "--all", "--yes"]);
  pulumiStep("destroy", ["destroy", ...stack, "--yes", "--skip-preview"], (r) => {
    const retained = (r.stdout.match(/retain/gi) ?? []).length;
    return retained ? "done; resources marked retainOnDelete stay in the account: delete them by hand" : "done";
  });
  return done();
}

if (require.main === module) runMain("smoke", (argv) => runSmoke(argv));
