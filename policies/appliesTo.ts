/**
 * What a resource policy may declare about itself: the resource types it judges, and the reason it
 * gives every other type when it calls `notApplicable`. The pack's own `resourcePolicy`
 * (security.ts) builds both the declaration and its check from one list, so they cannot disagree.
 *
 * The engine and @pulumi/policy ignore it (a symbol key: invisible to the SDK's serialisation of a
 * policy): they call the policy for every resource, and it reports itself not applicable. The
 * offline runner (tools/policyRunner.ts) reads it to record the same not-applicable outcome
 * without the call: a policy run saw ten resource policies throw for nine resources in ten, and the
 * throws were a third of its time. test/policies.test.ts checks that a run with the declarations
 * and a run without them give the same result.
 */
import type { Policy } from "@pulumi/policy";

export const APPLIES_TO: unique symbol = Symbol("aws-scaling-journey: resource types a policy applies to");

export interface AppliesTo {
  readonly types: readonly string[];
  /** The text the policy passes to `notApplicable` for any other type. */
  readonly reason: string;
}

/** The declaration of `policy`, if it has one. */
export const appliesTo = (policy: Policy): AppliesTo | undefined => (policy as { [APPLIES_TO]?: AppliesTo })[APPLIES_TO];
