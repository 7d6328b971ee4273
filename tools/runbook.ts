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
import { runMain } from "./cli";
import { runRunbook } from "./runbook/index";

export * from "./runbook/index";

if (require.main === module) runMain("runbook", runRunbook);
