// The whole program: read and validate config, build the stage plan, instantiate the platform.
// Bad config throws a ConfigError listing every problem before any resource is registered.
import * as pulumi from "@pulumi/pulumi";
import { planFromConfig } from "./components/plan";
import { Platform } from "./components/platform";

const plan = planFromConfig(pulumi.runtime.allConfig(), { project: pulumi.getProject(), stack: pulumi.getStack() });
plan.warnings.forEach((w) => pulumi.log.warn(w));

const platform = new Platform("platform", { plan });

export const stage = plan.stage.stage;
export const regions = plan.activeRegions;
export const siteUrl = platform.siteUrl;
export const apiUrl = platform.apiUrl;
export const appUrl = platform.appUrl;
export const hostPublicIp = platform.hostPublicIp;
export const databaseEndpoints = platform.databaseEndpoints;
export const loadBalancerDns = platform.loadBalancerDns;
export const cdnDomain = platform.cdnDomain;
export const nameServers = platform.nameServers;
export const shardMap = platform.shardMap;
export const cacheEndpoint = platform.cacheEndpoint;
export const sessionsTable = platform.sessionsTable;
export const internalLoadBalancerDns = platform.internalLoadBalancerDns;
