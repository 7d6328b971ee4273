/**
 * The VPC address plan, as pure functions. Every tier reserves ADDRESS_PLAN_AZ_SLOTS subnets, so a
 * subnet's CIDR depends only on its tier and AZ index, never on how many AZs are in use: raising
 * the AZ count only adds subnets. A /16 gives /20 subnets (4,091 usable addresses each).
 */
import { EXCLUDED_ZONE_IDS, regionFacts } from "./awsFacts";
import { ADDRESS_PLAN_AZ_SLOTS } from "./stages";

export const SUBNET_TIERS = ["public", "app", "data"] as const;
export type SubnetTier = (typeof SUBNET_TIERS)[number];
/** Subnets are this many bits longer than the VPC prefix: 16 blocks, 3 tiers × 4 slots + 4 spare. */
export const SUBNET_EXTRA_BITS = 4;
/**
 * Data subnets always span three AZs, whatever the web tier uses: Aurora needs two at least, and
 * with three from the start every DB instance gets an AZ that never changes (a DB instance's
 * `availabilityZone` forces a replacement), and the DB subnet group never has to change.
 */
export const MIN_DATA_AZS = 3;
/** RDS refuses a DB subnet group that covers fewer than two AZs (DBSubnetGroupDoesNotCoverEnoughAZs). */
export const MIN_DB_SUBNET_GROUP_AZS = 2;
/** A Region's default VPC block is 10.(DEFAULT_REGION_OCTET_BASE + its fixed cidrIndex).0.0/16. */
export const DEFAULT_REGION_OCTET_BASE = 100;

function ipToInt(ip: string): number {
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export function parseCidr(cidr: string): { base: number; prefix: number } {
  const [ip, prefix] = cidr.split("/");
  const p = Number(prefix);
  const base = ipToInt(ip);
  const size = 2 ** (32 - p);
  if (base % size !== 0) throw new Error(`${cidr} is not aligned to its /${p} prefix`);
  return { base, prefix: p };
}

/** The IPv4 CIDR of the subnet of `tier` in AZ slot `azIndex`. */
export function subnetCidr(vpcCidr: string, tier: SubnetTier, azIndex: number): string {
  if (!Number.isInteger(azIndex) || azIndex < 0 || azIndex >= ADDRESS_PLAN_AZ_SLOTS) {
    throw new Error(`AZ index ${azIndex} is outside the address plan (0..${ADDRESS_PLAN_AZ_SLOTS - 1})`);
  }
  const { base, prefix } = parseCidr(vpcCidr);
  const subnetPrefix = prefix + SUBNET_EXTRA_BITS;
  const block = SUBNET_TIERS.indexOf(tier) * ADDRESS_PLAN_AZ_SLOTS + azIndex;
  return `${intToIp(base + block * 2 ** (32 - subnetPrefix))}/${subnetPrefix}`;
}

/** The /64 of a public subnet inside the VPC's Amazon-provided /56, by the same block index. */
export function ipv6SubnetCidr(vpcIpv6Cidr: string, azIndex: number): string {
  const [address, prefix] = vpcIpv6Cidr.split("/");
  if (prefix !== "56") throw new Error(`expected an Amazon-provided /56, got ${vpcIpv6Cidr}`);
  const groups = address.split("::")[0].split(":");
  while (groups.length < 4) groups.push("0");
  const fourth = parseInt(groups[3], 16) + azIndex;
  return `${groups.slice(0, 3).join(":")}:${fourth.toString(16)}::/64`;
}

/**
 * How many AZs the data tier spans in a Region with `regionZones` usable zones: MIN_DATA_AZS, or
 * every zone of a smaller Region (two in us-west-1). Fixed per Region, so a DB instance's zone
 * (instance index mod this) never moves when the web tier's AZ count changes.
 */
export function dataTierAzs(regionZones: number = MIN_DATA_AZS): number {
  return Math.min(MIN_DATA_AZS, regionZones);
}

/** How many AZs each tier spans for a given web-tier AZ count (and the Region's usable zones). */
export function tierAzCounts(azs: number, regionZones?: number): Record<SubnetTier, number> {
  return { public: azs, app: azs, data: Math.max(azs, dataTierAzs(regionZones)) };
}

/** The default VPC block of a Region, keyed by its name (data/regions.json), never by list position. */
export function defaultRegionCidr(region: string): string | undefined {
  const facts = regionFacts(region);
  return facts ? `10.${DEFAULT_REGION_OCTET_BASE + facts.cidrIndex}.0.0/16` : undefined;
}

export interface RegionCidrArgs {
  regions: readonly string[];
  /** `aws:region`: it keeps `homeCidr` (today's `network.cidr`), so its VPC is never replaced. */
  homeRegion: string;
  homeCidr: string;
  /** `network.regionCidrs`: explicit blocks per Region name. */
  overrides?: Readonly<Record<string, string>>;
}

/** Every Region's VPC block: the home keeps `network.cidr`, the others their override or default. */
export function regionCidrs(args: RegionCidrArgs): Record<string, string> {
  const result: Record<string, string> = {};
  for (const region of args.regions) {
    const cidr = region === args.homeRegion ? args.homeCidr : (args.overrides?.[region] ?? defaultRegionCidr(region));
    if (cidr === undefined) throw new Error(`no address plan for ${region}: set network.regionCidrs.${region}`);
    result[region] = cidr;
  }
  return result;
}

/** Whether two IPv4 blocks share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  const xEnd = x.base + 2 ** (32 - x.prefix);
  const yEnd = y.base + 2 ** (32 - y.prefix);
  return x.base < yEnd && y.base < xEnd;
}

/** Every pair of Regions whose blocks overlap, in the order given. */
export function overlappingRegions(cidrs: Readonly<Record<string, string>>): [string, string][] {
  const regions = Object.keys(cidrs);
  const pairs: [string, string][] = [];
  for (let i = 0; i < regions.length; i++)
    for (let j = i + 1; j < regions.length; j++)
      if (cidrsOverlap(cidrs[regions[i]], cidrs[regions[j]])) pairs.push([regions[i], regions[j]]);
  return pairs;
}

/**
 * The zone IDs a Region's subnets use, in slot order: `network.zoneIds.<region>` when set, else
 * the Region's zones from data/regions.json minus the excluded (constrained) ones. Data and
 * config only, never a live lookup, so a later `up` cannot shift a subnet to another zone.
 */
export function usableZoneIds(region: string, override?: readonly string[]): string[] | undefined {
  if (override) return [...override];
  const facts = regionFacts(region);
  return facts?.zoneIds.filter((id) => !EXCLUDED_ZONE_IDS.includes(id));
}
