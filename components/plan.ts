/**
 * The stage plan: validated config merged over the stage table's defaults, resolved into the one
 * typed object every component reads. Pure: no Pulumi resources, no AWS calls.
 */
import { GLOBAL_DATABASE_CLASS_FAMILIES, instanceClassFamily } from "./awsFacts";
import { ConfigError, ConfigProblem, decodeConfigValues, RawConfig, validateConfig } from "./config";
import { derivedNameProblems } from "./names";
import { planRegionNetworks, RegionNetworkPlan } from "./regionPlan";
import { StageCapabilities, StageDefinition, stageDefinition } from "./stages";

export interface PlanContext {
  project: string;
  stack: string;
}

export type CpuArchitecture = "arm64" | "x86_64";

export interface ComputePlan {
  instanceType: string;
  architecture: CpuArchitecture;
  minSize: number;
  maxSize: number;
  cpuHigh: number;
  cpuLow: number;
}

export interface ClusterPlan {
  /** Logical name; the stage-3 cluster keeps `db` for life, so its URN never changes. */
  name: string;
  domain: string;
  shard: number;
}

export interface ServicePlan {
  name: string;
  port: number;
  path: string;
  minSize: number;
  maxSize: number;
}

export interface NoSqlTablePlan {
  name: string;
  hashKey: string;
  rangeKey?: string;
}

export interface PlatformPlan {
  project: string;
  stack: string;
  stage: StageDefinition;
  caps: StageCapabilities;
  production: boolean;
  /** Deletion protection, long backups, final snapshots and retainOnDelete on stateful resources. */
  protectData: boolean;
  /** Every configured region, primary first. */
  regions: string[];
  /** The region that takes writes and, before the multi-region stage, the only one. */
  primaryRegion: string;
  /**
   * `aws:region`: where one-of-a-kind resources live (global database clusters, the master
   * secret, the owners of global tables, the stage marker). A failover reorders `regions` and
   * keeps the home, so it moves nothing.
   */
  homeRegion: string;
  /** The regions that get a regional stack now (only the primary before multi-region stages). */
  activeRegions: string[];
  domain?: string;
  /**
   * The zone of `domain` is delegated (config `domainDelegated`): only then are certificates
   * validated, HTTPS served and records written. Before, the stack creates the zone and serves on
   * its raw endpoints, so that no `up` waits on ACM for a zone nobody can resolve yet.
   */
  domainDelegated: boolean;
  network: {
    /** The home region's VPC block (`network.cidr`). */
    cidr: string;
    azs: number;
    /** Each active region's address plan and zones, keyed by region name (empty before the VPC stage). */
    regions: Record<string, RegionNetworkPlan>;
  };
  compute: ComputePlan;
  /** The stage-2 encrypted EBS data volume still exists (stage 2 on, until retired). */
  hostDataVolume: boolean;
  database: {
    instanceClass: string;
    readers: number;
    domains: { name: string; shards: number }[];
    /** The Aurora clusters of each region (empty before Aurora). */
    clusters: ClusterPlan[];
  };
  services: ServicePlan[];
  serviceTargetCpu: number;
  nosqlTables: NoSqlTablePlan[];
  /** Things a human should know before `pulumi up`; the program logs them as warnings. */
  warnings: string[];
}

export const DEFAULT_CIDR = "10.0.0.0/16";
export const DEFAULT_DOMAINS = [{ name: "app", shards: 1 }];
/**
 * Used when `services` is not set and the stage has microservices: one example API service, as
 * large as the stage's HA floor asks of every fleet.
 */
export function defaultServices(stage: StageDefinition): ServicePlan[] {
  const minSize = stage.minimums.webInstances;
  return [{ name: "api", port: 8080, path: "/api", minSize, maxSize: 3 * minSize }];
}

/**
 * EC2 families with a `g` among the attribute letters after the generation digit are Graviton
 * (t4g, m7g, c7gn, r8gd); the rest are x86_64. Moving a host across architectures replaces it.
 */
export function cpuArchitecture(instanceType: string): CpuArchitecture {
  const family = instanceType.split(".")[0];
  if (family === "a1") return "arm64"; // the first Graviton family has no `g`
  const attributes = family.replace(/^[a-z]+[0-9]+/, "");
  return attributes.includes("g") ? "arm64" : "x86_64";
}

/** Cluster logical names: the first domain's shard 0 is the stage-3 cluster, `db`. */
export function clusterPlans(domains: { name: string; shards: number }[], federated: boolean): ClusterPlan[] {
  const first = domains[0];
  if (!federated) return [{ name: "db", domain: first.name, shard: 0 }];
  return domains.flatMap((domain, d) =>
    Array.from({ length: domain.shards }, (_, shard) => ({
      name: d === 0 && shard === 0 ? "db" : `db-${domain.name}-${shard}`,
      domain: domain.name,
      shard,
    })),
  );
}

/**
 * The program's config, as Pulumi hands it over (every `namespace:key` as a string), decoded,
 * validated and planned: what index.ts runs first. The offline tools run it too, before they
 * load the program and the Pulumi SDK, so a config error is reported at once. Throws a
 * ConfigError listing every problem.
 */
export function planFromConfig(all: Record<string, string>, ctx: PlanContext): PlatformPlan {
  const { values, awsRegion, strayKeys } = decodeConfigValues(all, ctx.project);
  return buildPlan(validateConfig(values, awsRegion, strayKeys), awsRegion, ctx);
}

export function buildPlan(config: RawConfig, awsRegion: string | undefined, ctx: PlanContext): PlatformPlan {
  const stage = stageDefinition(config.stage);
  const caps = stage.capabilities;
  const defaults = stage.defaults;
  const production = config.production ?? false;
  const regions = config.regions ?? [awsRegion as string];
  const hostVolumeRetired = config.database?.hostVolumeRetired ?? false;

  const homeRegion = awsRegion ?? regions[0];
  if (!caps.multiRegion && homeRegion !== regions[0]) {
    throw new ConfigError([
      {
        key: "aws:region",
        value: homeRegion,
        message: `must be the first of \`regions\` (${regions[0]}) before the multi-region stage: it is the one region the stack runs in`,
      },
    ]);
  }
  const compute: ComputePlan = {
    ...defaults.compute,
    ...config.compute,
    architecture: cpuArchitecture(config.compute?.instanceType ?? defaults.compute.instanceType),
  };
  const domains = config.database?.domains ?? DEFAULT_DOMAINS;
  const warnings: string[] = [];
  const problems: ConfigProblem[] = [];
  const instanceClass = config.database?.instanceClass ?? defaults.database.instanceClass;
  if (caps.multiRegion && caps.aurora && !GLOBAL_DATABASE_CLASS_FAMILIES.includes(instanceClassFamily(instanceClass))) {
    problems.push({
      key: "database.instanceClass",
      value: instanceClass,
      message:
        `must be a memory-optimised class at stage ${stage.stage} (${stage.name}): AWS rejects other classes in an Aurora Global Database. ` +
        `Allowed families: ${GLOBAL_DATABASE_CLASS_FAMILIES.join(", ")} (for example ${defaults.database.instanceClass})`,
    });
  }
  const activeRegions = caps.multiRegion ? regions : [regions[0]];
  const azs = caps.network ? (config.network?.azs ?? defaults.azs) : 0;
  const homeCidr = config.network?.cidr ?? DEFAULT_CIDR;
  const networks = caps.network
    ? planRegionNetworks({
        stage,
        regions: activeRegions,
        homeRegion,
        homeCidr,
        azs,
        regionCidrs: config.network?.regionCidrs,
        zoneIds: config.network?.zoneIds,
      })
    : { networks: {}, problems: [] };
  problems.push(...networks.problems);
  if (problems.length > 0) throw new ConfigError(problems);
  if (hostVolumeRetired && caps.hostDatabase) {
    warnings.push(
      `database.hostVolumeRetired is ignored at stage ${stage.stage}: the host's data volume still holds the database. Retire it after the stage that moves the database to Aurora.`,
    );
  }
  if (config.domainDelegated !== undefined && config.domain === undefined) {
    warnings.push("domainDelegated has no effect without domain.");
  }
  const defaultArchitecture = cpuArchitecture(defaults.compute.instanceType);
  if (caps.singleHost && compute.architecture !== defaultArchitecture) {
    warnings.push(
      `compute.instanceType ${compute.instanceType} is ${compute.architecture}; the stage default is ${defaultArchitecture}. ` +
        "The single host is named by its architecture, so moving it between x86_64 and arm64 replaces it (its data volume is kept and re-attached).",
    );
  }

  const plan: PlatformPlan = {
    project: ctx.project,
    stack: ctx.stack,
    stage,
    caps,
    production,
    protectData: stage.minimums.dataProtection || production,
    regions,
    primaryRegion: regions[0],
    homeRegion,
    activeRegions,
    domain: config.domain,
    domainDelegated: config.domain !== undefined && config.domainDelegated === true,
    network: { cidr: homeCidr, azs, regions: networks.networks },
    compute,
    hostDataVolume: caps.network && (caps.hostDatabase || !hostVolumeRetired),
    database: {
      instanceClass,
      readers: config.database?.readers ?? defaults.database.readers,
      domains,
      clusters: caps.aurora ? clusterPlans(domains, caps.federation) : [],
    },
    services: caps.services ? (config.services ?? defaultServices(stage)) : [],
    serviceTargetCpu: defaults.serviceTargetCpu,
    nosqlTables: caps.federation ? (config.nosqlTables ?? []) : [],
    warnings,
  };
  // AWS rejects some names a project or stack name can produce (SSM's reserved `aws`/`ssm`, ids
  // that must start with a letter): refuse them before anything is registered.
  const nameProblems = derivedNameProblems(plan);
  if (nameProblems.length > 0) throw new ConfigError(nameProblems);
  return plan;
}
