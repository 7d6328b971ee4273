/**
 * Facts about AWS the program decides with, read from the dated, sourced data files in `data/`
 * (SPEC invariant 9). Nothing here is invented: each file names the AWS page it was read from.
 */
import regionsData from "../data/regions.json";
import auroraGlobalData from "../data/aurora-global.json";

export interface RegionFacts {
  /** This repo's fixed number for the Region's default address plan; never reused or reordered. */
  cidrIndex: number;
  /** The Region's Availability Zone IDs (no Local Zones), as AWS lists them. */
  zoneIds: string[];
}

export const REGION_FACTS: Readonly<Record<string, RegionFacts>> = regionsData.regions;
/** Zone IDs never chosen by default (constrained zones); `network.zoneIds` may still name them. */
export const EXCLUDED_ZONE_IDS: readonly string[] = regionsData.excludedZoneIds.zones;

export function regionFacts(region: string): RegionFacts | undefined {
  return Object.prototype.hasOwnProperty.call(REGION_FACTS, region) ? REGION_FACTS[region] : undefined;
}

/** Instance class families AWS accepts in an Aurora Global Database (memory-optimised). */
export const GLOBAL_DATABASE_CLASS_FAMILIES: readonly string[] = auroraGlobalData.instanceClasses.memoryOptimisedFamilies;

/** `db.r6g.large` → `db.r6g`. */
export const instanceClassFamily = (instanceClass: string) => instanceClass.split(".").slice(0, 2).join(".");

/** Whether an Aurora PostgreSQL version supports global write forwarding (AWS's version table). */
export function supportsGlobalWriteForwarding(engineVersion: string): boolean {
  const wf = auroraGlobalData.globalWriteForwarding;
  const [major, minor] = engineVersion.split(".").map(Number);
  if (!Number.isInteger(major)) return false;
  if (major >= wf.allMinorsFromMajor) return true;
  const minimum = (wf.minimumMinorByMajor as Record<string, number>)[String(major)];
  return minimum !== undefined && Number.isInteger(minor) && minor >= minimum;
}
