/**
 * `npm run runbook`: printed, ordered runbooks, each followed by the offline diff of what
 * `pulumi up` will change. The operations live in `tools/runbook/` (one file each); this is the
 * command's entry point.
 *
 *   npm run runbook -- promote            --stack S --to N [--from M]
 *   npm run runbook -- add-region         --stack S --region R
 *   npm run runbook -- failover           --stack S --to R [--rehearse | --unplanned]
 *   npm run runbook -- dev-to-prod        --from dev --to prod [--stage N]
 *   npm run runbook -- retire-host-volume --stack S
 *   npm run runbook -- add-domain         --stack S --domain D
 *   (every operation also takes [--set key.path=value]... and [--json])
 */
import { cliFailure, CliResult, runMain } from "./cli";
import { parseRunbookArgs, USAGE } from "./runbook/args";

/**
 * `--help` and usage errors are answered by the argument parser alone: the runbooks (and the
 * Pulumi and AWS SDKs they load) are loaded only for an operation to run. Import the runbooks
 * themselves from `./runbook/index`.
 */
export async function runRunbookCli(argv: string[]): Promise<CliResult> {
  try {
    if (parseRunbookArgs(argv).help) return { stdout: USAGE + "\n", stderr: "", code: 0 };
  } catch (err) {
    return cliFailure(err, "runbook", USAGE);
  }
  const { runRunbook } = await import("./runbook/index");
  return runRunbook(argv);
}

if (require.main === module) runMain("runbook", runRunbookCli);
