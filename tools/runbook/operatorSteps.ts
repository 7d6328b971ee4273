/**
 * What an operator does around a promotion, by what the promotion switches on or off: one list,
 * read by the README's promotion table (`tools/docs.ts`) and by `npm run runbook -- promote`,
 * which prints every step's text and adds the commands it knows for it.
 */
import { STAGES, StageCapabilities, StageDefinition, StageNumber } from "../../components/stages";

/** A stage's capabilities and whether the stage protects data: what a step's condition reads. */
export type StageFacts = StageCapabilities & { dataProtection: boolean };

export const factsOf = (s: StageDefinition): StageFacts => ({ ...s.capabilities, dataProtection: s.minimums.dataProtection });

export type OperatorStepId =
  | "point-users"
  | "move-database"
  | "lower-dns-ttl"
  | "data-protection"
  | "static-assets"
  | "sessions-dynamodb"
  | "deploy-services"
  | "global-instance-class"
  | "master-password";

export interface OperatorStep {
  id: OperatorStepId;
  when: (from: StageFacts, to: StageFacts) => boolean;
  /** One sentence: the README's promotion table prints it, and so does the runbook. */
  text: string;
  /** Where the runbook puts it: before the stage is set (prepare) or after `pulumi up` (follow up). */
  phase: "before" | "after";
}

export const OPERATOR_STEPS: readonly OperatorStep[] = [
  {
    id: "point-users",
    when: (a, b) => !a.network && b.network,
    text: "Point users at `appUrl` (or set `domain` and delegate the zone's `nameServers` first: `npm run runbook -- add-domain`).",
    phase: "after",
  },
  {
    id: "move-database",
    when: (a, b) => a.hostDatabase && !b.hostDatabase,
    text: "Dump the host's database and restore it into Aurora, then restart the app; once the restore is verified, retire the host's data volume (`npm run runbook -- retire-host-volume`).",
    phase: "after",
  },
  {
    id: "lower-dns-ttl",
    when: (a, b) => !a.loadBalancedWebTier && b.loadBalancedWebTier,
    text: "Lower the DNS TTL a day before: DNS moves from the host's address to the load balancer, and the host's Elastic IP is released.",
    phase: "before",
  },
  {
    id: "data-protection",
    when: (a, b) => !a.dataProtection && b.dataProtection,
    text: "Data protection turns on: `pulumi up` can no longer delete a stateful resource; retiring one (such as the host's data volume) needs `pulumi state unprotect` with its URN first (`npm run runbook -- retire-host-volume` prints it).",
    phase: "before",
  },
  {
    id: "static-assets",
    when: (a, b) => !a.cdn && b.cdn,
    text: "Upload static assets to the bucket under `static/`.",
    phase: "after",
  },
  {
    id: "sessions-dynamodb",
    when: (a, b) => a.sessions !== b.sessions && b.sessions === "dynamodb",
    text: "Sessions move to DynamoDB: users sign in again once.",
    phase: "after",
  },
  {
    id: "deploy-services",
    when: (a, b) => !a.services && b.services,
    text: "Deploy the services' code (each listens on its `port`).",
    phase: "after",
  },
  {
    id: "global-instance-class",
    when: (a, b) => !a.multiRegion && b.multiRegion,
    text: "Use a memory-optimised `database.instanceClass`; the app reads the shard map.",
    phase: "before",
  },
  {
    id: "master-password",
    when: (a, b) => !a.multiRegion && b.multiRegion,
    text: "The running cluster's master password moves from the AWS-managed secret to a secret the program creates (a new random password, set through write-only inputs): check that the cluster no longer reports a `MasterUserSecret`, that the app's config names the new secret, and that `/ready` passes.",
    phase: "after",
  },
];

/** The operator steps of one promotion, in the list's order. */
export function operatorStepsFor(from: StageDefinition, to: StageDefinition): OperatorStep[] {
  const [a, b] = [factsOf(from), factsOf(to)];
  return OPERATOR_STEPS.filter((o) => o.when(a, b));
}

/** The one-stage steps from `from` up to `to`, in table order (empty when `to` is not above `from`). */
export function stagesBetween(from: StageNumber, to: StageNumber): [StageDefinition, StageDefinition][] {
  const i = STAGES.findIndex((s) => s.stage === from);
  const j = STAGES.findIndex((s) => s.stage === to);
  const out: [StageDefinition, StageDefinition][] = [];
  for (let k = i; k < j; k++) out.push([STAGES[k], STAGES[k + 1]]);
  return out;
}
