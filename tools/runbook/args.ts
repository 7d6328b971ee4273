/** The runbook CLI's operations, usage text and flags. */
import { isStageNumber, STAGE_NUMBERS } from "../../components/stages";
import { parseCliArgs, wholeNumber } from "../cli";
import { UsageError } from "../cli";

export const OPERATIONS = ["promote", "add-region", "failover", "dev-to-prod", "retire-host-volume", "add-domain"] as const;
export type Operation = (typeof OPERATIONS)[number];

export const USAGE = `usage: npm run runbook -- <operation> [options]
  promote     --stack S --to N [--from M]    raise (or change) the stage; --from defaults to the stack file's stage
  add-region  --stack S --region R           append R to \`regions\`
  failover    --stack S --to R [--rehearse]  managed Aurora switchover to R, then make R the first of \`regions\`
  failover    --stack S --to R --unplanned   the primary region is down: Aurora global failover (allow data loss) to R
  dev-to-prod [--from dev] [--to prod] [--stage N]
                                             diff the two stacks' plans at one stage (default: the --to stack's) and their config
  retire-host-volume --stack S               delete the stage-2 data volume from the stack (unprotect first when protected)
  add-domain  --stack S --domain D           set \`domain\`: create the zone, delegate it, then validate certificates
common options:
  --set K=V   override a config key of the stack(s) before and after (as in npm run plan); repeatable
  --json      print {operation, stack, steps: [{n, title, commands}], diff} as one JSON object
  -h, --help  show this text
exit codes: 0 ok, 1 the diff puts stateful data at risk (STOP), a usage error or any other error, 2 bad config`;

export interface Args {
  operation: Operation;
  stack?: string;
  from?: string;
  to?: string;
  region?: string;
  domain?: string;
  stage?: number;
  set: string[];
  rehearse: boolean;
  unplanned: boolean;
  json: boolean;
  help: boolean;
}

type Flag = "stack" | "from" | "to" | "region" | "domain" | "stage" | "rehearse" | "unplanned";

const ALLOWED: Record<Operation, Flag[]> = {
  promote: ["stack", "to", "from"],
  "add-region": ["stack", "region"],
  failover: ["stack", "to", "rehearse", "unplanned"],
  "dev-to-prod": ["from", "to", "stage"],
  "retire-host-volume": ["stack"],
  "add-domain": ["stack", "domain"],
};

/**
 * The flags each operation cannot run without. Checked with the arguments, so that a usage error
 * is answered before the runbooks (and the Pulumi and AWS SDKs they load) are loaded.
 */
const REQUIRED: Record<Operation, Flag[]> = {
  promote: ["stack", "to"],
  "add-region": ["stack", "region"],
  failover: ["stack", "to"],
  "dev-to-prod": [],
  "retire-host-volume": ["stack"],
  "add-domain": ["stack", "domain"],
};

/** A stage flag's value, which must be a stage of the table. */
function stageFlag(flag: string, raw: string): number {
  const n = wholeNumber(flag, raw);
  if (!isStageNumber(n)) throw new UsageError(`${flag} ${n} is not a stage of the table (${STAGE_NUMBERS.join(", ")})`);
  return n;
}

export function parseRunbookArgs(argv: string[]): Args {
  const parsed = parseCliArgs(
    argv,
    {
      stack: { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      region: { type: "string" },
      domain: { type: "string" },
      stage: { type: "string" },
      set: { type: "string", multiple: true, default: [] },
      rehearse: { type: "boolean", default: false },
      unplanned: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    true,
  );
  const v = parsed.values;
  if (v.help) return { operation: "promote", set: [], rehearse: false, unplanned: false, json: false, help: true };
  if (parsed.positionals.length !== 1) throw new UsageError(`expected one operation (${OPERATIONS.join(", ")})`);
  const operation = parsed.positionals[0] as Operation;
  if (!OPERATIONS.includes(operation)) throw new UsageError(`unknown operation "${operation}" (one of ${OPERATIONS.join(", ")})`);
  for (const flag of ["stack", "from", "to", "region", "domain", "stage", "rehearse", "unplanned"] as const) {
    const given = flag === "rehearse" || flag === "unplanned" ? v[flag] : v[flag] !== undefined;
    if (given && !ALLOWED[operation].includes(flag)) throw new UsageError(`${operation} does not take --${flag}`);
  }
  if (v.rehearse && v.unplanned)
    throw new UsageError("failover takes --rehearse or --unplanned, not both (rehearse with the planned switchover)");
  for (const flag of REQUIRED[operation]) required(v[flag], flag, operation);
  if (operation === "promote") {
    const to = stageFlag("--to", v.to!);
    if (v.from !== undefined && stageFlag("--from", v.from) === to)
      throw new UsageError(`--from and --to are both stage ${to}: nothing to promote`);
  }
  if (operation === "dev-to-prod" && (v.from ?? "dev") === (v.to ?? "prod"))
    throw new UsageError(`--from and --to are both ${v.to ?? "prod"}`);
  return {
    operation,
    stack: v.stack,
    from: v.from,
    to: v.to,
    region: v.region,
    domain: v.domain,
    stage: v.stage === undefined ? undefined : stageFlag("--stage", v.stage),
    set: v.set ?? [],
    rehearse: v.rehearse ?? false,
    unplanned: v.unplanned ?? false,
    json: v.json ?? false,
    help: false,
  };
}

export function required<T>(value: T | undefined, flag: string, operation: string): T {
  if (value === undefined) throw new UsageError(`${operation} needs --${flag}`);
  return value;
}
