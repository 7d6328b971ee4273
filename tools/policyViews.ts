/**
 * The views the policy pack can be run in (SPEC invariant 8; tools/policyRunner.ts runs them).
 * A module of its own, with no imports, so that `npm run policy -- --help` and its usage errors
 * can name the views without loading the runner (and the Pulumi SDK behind it).
 */
export const VIEWS = ["inputs", "preview", "deployed"] as const;
export type View = (typeof VIEWS)[number];
