/**
 * What a resource validation may declare about itself: the resource types it judges, and the
 * reason it gives every other type when it calls `notApplicable`. The pack's own
 * `resourcePolicy` (security.ts) builds the function and its declaration from one object, so
 * they cannot disagree; the declaration sits on the function it describes (as the SDK puts
 * `__pulumiType` on a resource class), so a copy of the policy with another function drops it.
 *
 * The engine and @pulumi/policy ignore it (a symbol key on a function): they call the function
 * for every resource, and it reports itself not applicable. The offline runner
 * (tools/policyRunner.ts) reads it to record the same not-applicable outcome without the call: a
 * policy run saw nine resource policies throw for nine resources in ten, and the throws were a
 * third of its time. test/policies.runner.test.ts checks that runs with and without the declarations
 * agree; test/policies.engine.test.ts, that the runner's not-applicable outcomes are the served
 * pack's.
 */
import type { ResourceValidation } from "@pulumi/policy";

const APPLIES_TO: unique symbol = Symbol("aws-scaling-journey: resource types a validation applies to");

export interface AppliesTo {
  readonly types: readonly string[];
  /** The text the validation passes to `notApplicable` for any other type. */
  readonly reason: string;
}

/** `validate` with its declaration attached. */
export const declareTypes = <V extends ResourceValidation>(validate: V, declared: AppliesTo): V =>
  Object.assign(validate, { [APPLIES_TO]: declared });

/** The declaration of `validate`, if it has one. */
export const appliesTo = (validate: ResourceValidation): AppliesTo | undefined => (validate as { [APPLIES_TO]?: AppliesTo })[APPLIES_TO];
