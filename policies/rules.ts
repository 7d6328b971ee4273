/**
 * Every policy of the pack, in one array. `index.ts` serves it with `new PolicyPack`; the offline
 * runner (tools/policyRunner.ts) and the tests import this array (never the pack itself, whose
 * constructor starts a gRPC server that never exits).
 */
import type { Policies, PolicyConfigSchema } from "@pulumi/policy";
import { haPolicies } from "./ha";
import { securityPolicies } from "./security";

export const PACK_NAME = "aws-scaling-journey";

export const policies: Policies = [...haPolicies, ...securityPolicies];

/** Names of the policies whose config takes `minimumStage` (a stack's config must raise each one). */
export const stageAwarePolicyNames = (): string[] =>
  policies.filter((p) => (p.configSchema as PolicyConfigSchema | undefined)?.properties?.minimumStage !== undefined).map((p) => p.name);
