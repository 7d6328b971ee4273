/**
 * The VPC address plan, as pure functions. Every tier reserves ADDRESS_PLAN_AZ_SLOTS subnets, so a
 * subnet's CIDR depends only on its tier and AZ index, never on how many AZs are in use: raising
 * the AZ count only adds subnets. A /16 gives /20 subnets (4,091 usable addresses each).
 */
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

/** How many AZs each tier spans for a given web-tier AZ count. */
export function tierAzCounts(azs: number): Record<SubnetTier, number> {
  return { public: azs, app: azs, data: Math.max(azs, MIN_DATA_AZS) };
}
