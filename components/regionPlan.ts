/**
 * Each active Region's network plan, as a pure function of config and the data files: its VPC
 * block (keyed by Region name), the zone IDs its subnet slots use, and how many zones its data tier
 * spans. Every problem is returned, for one ConfigError (exit 2) before anything is registered.
 */
import { dataTierAzs, defaultRegionCidr, MIN_DB_SUBNET_GROUP_AZS, overlappingRegions, regionCidrs, usableZoneIds } from "./addressing";
import { regionFacts, REGION_FACTS } from "./awsFacts";
import { ConfigProblem } from "./config";
import { StageDefinition } from "./stages";

export interface RegionNetworkPlan {
  cidr: string;
  /** Zone ID of each subnet slot in use (slot i → zoneIds[i]): web tier and data tier. */
  zoneIds: string[];
  /** AZs the data tier spans: 3, or 2 in a two-zone Region. DB instance i sits in slot i mod this. */
  dataAzs: number;
}

export interface RegionNetworkArgs {
  stage: StageDefinition;
  /** The Regions that get a VPC now. */
  regions: readonly string[];
  homeRegion: string;
  homeCidr: string;
  /** Web-tier AZs (`network.azs` or the stage default). */
  azs: number;
  regionCidrs?: Readonly<Partial<Record<string, string>>>;
  zoneIds?: Readonly<Partial<Record<string, string[]>>>;
}

const FREE_DEFAULT_HINT = (region: string) => {
  const d = defaultRegionCidr(region);
  return d ? ` (this region's default is ${d})` : "";
};

export function planRegionNetworks(args: RegionNetworkArgs): { networks: Record<string, RegionNetworkPlan>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const networks: Record<string, RegionNetworkPlan> = {};
  const unknown = args.regions.filter((r) => !regionFacts(r) && !(args.zoneIds?.[r] && (r === args.homeRegion || args.regionCidrs?.[r])));
  for (const region of unknown) {
    problems.push({
      key: "regions",
      value: region,
      message: `has no Availability Zone data in data/regions.json (known: ${Object.keys(REGION_FACTS).join(", ")}); add the region from AWS's AZ ID table, or set network.zoneIds.${region}${region === args.homeRegion ? "" : ` and network.regionCidrs.${region}`}`,
    });
  }
  if (unknown.length > 0) return { networks, problems };

  const overrides = Object.fromEntries(Object.entries(args.regionCidrs ?? {}).filter((e): e is [string, string] => e[1] !== undefined));
  const homeOverride = overrides[args.homeRegion];
  if (homeOverride !== undefined && homeOverride !== args.homeCidr) {
    problems.push({
      key: `network.regionCidrs.${args.homeRegion}`,
      value: homeOverride,
      message: `must not be set for the home region (aws:region): it uses network.cidr (${args.homeCidr}), so its VPC is never replaced`,
    });
  }
  const cidrs = regionCidrs({ regions: args.regions, homeRegion: args.homeRegion, homeCidr: args.homeCidr, overrides });
  for (const [a, b] of overlappingRegions(cidrs)) {
    const other = a === args.homeRegion ? b : a;
    problems.push({
      key: `network.regionCidrs.${other}`,
      value: cidrs[other],
      message: `overlaps ${a === other ? b : a}'s ${cidrs[a === other ? b : a]}: ${a} (${cidrs[a]}) and ${b} (${cidrs[b]}) need separate address plans; set network.regionCidrs.${other} to a free block${FREE_DEFAULT_HINT(other)}`,
    });
  }

  const floor = Math.max(args.stage.minimums.azs, args.azs);
  for (const region of args.regions) {
    const override = args.zoneIds?.[region];
    const usable = usableZoneIds(region, override) ?? [];
    const key = override ? `network.zoneIds.${region}` : "regions";
    if (usable.length < floor) {
      problems.push({
        key,
        value: override ?? region,
        message:
          `${region} has ${usable.length} usable Availability Zone${usable.length === 1 ? "" : "s"} (${usable.join(", ")}); ` +
          `stage ${args.stage.stage} (${args.stage.name}) needs ${floor} (minimums.azs ${args.stage.minimums.azs}, network.azs ${args.azs}). ` +
          "Choose a region with more zones, or a stage that needs fewer.",
      });
      continue;
    }
    if (usable.length < MIN_DB_SUBNET_GROUP_AZS) {
      problems.push({
        key,
        value: override ?? region,
        message: `must give ${region} at least ${MIN_DB_SUBNET_GROUP_AZS} zones: the data subnets (an RDS DB subnet group) must cover two AZs`,
      });
      continue;
    }
    const dataAzs = dataTierAzs(usable.length);
    networks[region] = { cidr: cidrs[region], zoneIds: usable.slice(0, Math.max(args.azs, dataAzs)), dataAzs };
  }
  return { networks, problems };
}

/**
 * The error when zones chosen for the web tier do not offer its instance type (the answer of
 * `ec2:DescribeInstanceTypeOfferings` by zone ID), naming the override that fixes it.
 */
export function offeringProblem(
  region: string,
  instanceType: string,
  wanted: readonly string[],
  offered: readonly string[],
): string | undefined {
  const missing = wanted.filter((id) => !offered.includes(id));
  if (missing.length === 0) return undefined;
  return (
    `${instanceType} is not offered in ${missing.join(", ")} (${region}); pin zones that offer it with network.zoneIds.${region} ` +
    "(the zones in use now first, so no subnet moves), or choose another compute.instanceType"
  );
}
