/**
 * The CrossGuard pack: `pulumi preview --policy-pack policies [--policy-pack-config policies/config/prod.json]`.
 * Only constructs the pack; the policies live in rules.ts.
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./rules";

new PolicyPack(PACK_NAME, {
  policies,
  description: "HA rules of each stage of the scaling journey (from components/stages.ts), the data-protection and security baseline.",
  provider: "aws",
  tags: ["aws", "high-availability", "security", "data-protection"],
});
