/**
 * The views the policy pack can be run in (SPEC invariant 8; tools/policyRunner.ts runs them).
 * A module of its own, with no imports, so that `npm run policy` and `npm run plan` can parse
 * their arguments and print their usage without loading the runner (and the Pulumi SDK behind it).
 */
export const VIEWS = ["inputs", "preview", "deployed"] as const;
export type View = (typeof VIEWS)[number];

/** What each view shows the policies, as the CLIs print it. */
export const VIEW_TITLES: Record<View, string> = {
  inputs: "the program's inputs",
  preview: "a first pulumi preview, computed values unknown",
  deployed: "outputs as AWS reports them after create",
};
