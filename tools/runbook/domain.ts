/**
 * Setting `domain` in the right order. ACM DNS validation of a new zone waits until the zone is
 * delegated at the registrar (the provider waits up to 75 minutes: terraform-provider-aws
 * acm/certificate_validation.go, `Timeouts: Create: schema.DefaultTimeout(75 * time.Minute)`, read
 * 2026-11-30 in lonegunmanb/terraform-provider-aws-index), so the program creates the
 * zone and does not wait for validation until `domainDelegated` is true: set the domain (and
 * `domainDelegated` false), `up`,
 * delegate the zone's name servers, check them with `dig`, then set `domainDelegated` and `up`.
 */
import { HEALTH_CHECK_PATH } from "../../components/appPaths";
import { configSchema } from "../../components/config";
import { loadStackConfig, UsageError } from "../stackConfig";
import { Args, required } from "./args";
import { capture, rawConfig } from "./stack";
import { Built, previewCommand, Steps, upCommand, verifyStep } from "./steps";

/**
 * Whether the program's config schema has `domainDelegated` yet (it arrives with the change that
 * makes the program wait for it, and is then required with `domain`): the plan of the first step
 * sets it to false only when the program knows it. The printed steps always set it.
 */
const DELEGATION_KEY = "domainDelegated";
const programKnowsDelegation = DELEGATION_KEY in configSchema.shape;

export interface StepSpec {
  title: string;
  commands: string[];
  notes: string[];
}

/** The steps after the `up` that created the zone: delegate, check, then let certificates validate. */
export function delegationSteps(stack: string, domain: string): StepSpec[] {
  return [
    {
      title: `Delegate ${domain} to the zone's name servers at your registrar`,
      commands: [`pulumi stack output nameServers --stack ${stack}`],
      notes: [
        `Set exactly these NS records for ${domain} at the registrar (or in the parent zone). Until then the certificates of ${domain} cannot validate, and the program does not wait for them.`,
      ],
    },
    {
      title: "Check the delegation from the public DNS",
      commands: [`dig +short NS ${domain}`, `dig +short NS ${domain} @8.8.8.8`],
      notes: ["Both must list the same name servers as `nameServers` (the parent zone's TTL can delay this by hours)."],
    },
    {
      title: "Tell the program the zone is delegated, then apply: ACM validates the certificates",
      commands: [`pulumi config set --stack ${stack} ${DELEGATION_KEY} true`, previewCommand(stack), upCommand(stack)],
      notes: ["With the zone delegated, validation takes minutes; HTTPS listeners and the domain's aliases come with this up."],
    },
  ];
}

export async function addDomain(args: Args): Promise<Built> {
  const stack = required(args.stack, "stack", "add-domain");
  const domain = required(args.domain, "domain", "add-domain");
  const current = loadStackConfig({ stack, set: args.set });
  const existing = rawConfig(current, "domain");
  if (existing === domain) throw new UsageError(`${stack} already has domain ${domain}`);
  const before = await capture(current);
  // The domain goes through the program's own validation: a bad name is a ConfigError (exit 2).
  const firstUp = [`domain=${domain}`, ...(programKnowsDelegation ? [`${DELEGATION_KEY}=false`] : [])];
  const after = await capture(loadStackConfig({ stack, set: [...args.set, ...firstUp] }));
  const steps = new Steps();
  steps.add(
    `Set the domain, not delegated yet, and apply: the zone is created, no certificate is awaited`,
    [
      `pulumi config set --stack ${stack} domain ${domain}`,
      `pulumi config set --stack ${stack} ${DELEGATION_KEY} false`,
      previewCommand(stack),
      upCommand(stack),
    ],
    [
      `With \`${DELEGATION_KEY}\` false the program creates the Route 53 zone and does not block on certificate validation of a zone nobody can resolve yet; the stack keeps serving on its raw endpoints.`,
    ],
  );
  for (const s of delegationSteps(stack, domain)) steps.add(s.title, s.commands, s.notes);
  verifyStep(steps, stack, args.set, [`curl -fsS "https://${domain}${HEALTH_CHECK_PATH}"`]);
  return {
    summary: `set ${stack}'s domain to ${domain}${typeof existing === "string" ? ` (was ${existing})` : ""}, in delegation order`,
    stack,
    steps,
    before,
    after,
    fromLabel: `${stack} ${typeof existing === "string" ? existing : "without a domain"}`,
    toLabel: `${stack} domain ${domain}`,
    findings: [],
  };
}
