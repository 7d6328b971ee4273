/**
 * High-availability rules. Each one applies from the first stage whose row in the stage table
 * (components/stages.ts) asks for it, with the thresholds of that row: nothing here compares
 * stage numbers by hand.
 */
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import {
  asArray,
  dependenciesOf,
  dependentsOf,
  findStageMarkers,
  ofType,
  peek,
  regionOf,
  StackStage,
  stackStage,
  stageConfigSchema,
  requireTrue,
  T,
} from "./support";
import { isStageNumber } from "../components/stages";

type Check = (resources: PolicyResource[], s: StackStage, report: ReportViolation) => void;

/** A stack policy whose check runs with the stack's effective stage. */
function stagePolicy(name: string, description: string, check: Check): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    configSchema: stageConfigSchema,
    validateStack: (args: StackValidationArgs, report: ReportViolation) => check(args.resources, stackStage(args), report),
  };
}

const label = (s: StackStage) => `stage ${s.stage} (${s.definition.name})`;

export const stageMarker: StackValidationPolicy = stagePolicy(
  "stage-marker",
  "The stack must carry exactly one stage-marker SSM parameter (tag scaling:role=stage-marker, value = the stage number), which the program writes in components/platform.ts. Without it the pack cannot tell which HA rules apply: run the real program, do not remove the parameter.",
  (resources, _s, report) => {
    const markers = findStageMarkers(resources);
    if (markers.length === 0) report("no stage-marker parameter in the stack");
    if (markers.length > 1) report(`${markers.length} stage-marker parameters; there must be one`, markers[1].urn);
    for (const m of markers) {
      const value = peek(() => m.props.value);
      if (value !== undefined && !(/^\d+$/.test(String(value)) && isStageNumber(Number(value))))
        report(`stage marker value ${JSON.stringify(value)} is not a stage number`, m.urn);
    }
  },
);

export const auroraReaders: StackValidationPolicy = stagePolicy(
  "aurora-reader-in-another-az",
  "From the stage that requires DB followers, every Aurora cluster needs at least the stage's minimum of readers (minimums.dbReaders) and an instance in an AZ other than the writer's, so that Aurora can fail over when an AZ goes down. Fix: raise `database.readers` and place readers with `availabilityZone` in another AZ.",
  (resources, s, report) => {
    const needed = s.definition.minimums.dbReaders;
    if (needed === 0) return;
    for (const cluster of ofType(resources, T.cluster)) {
      const instances = dependentsOf(resources, cluster, T.clusterInstance);
      const readers = instances.length - 1;
      if (readers < needed) {
        report(`${label(s)} needs ${needed} Aurora reader(s) per cluster; ${cluster.name} has ${Math.max(readers, 0)}`, cluster.urn);
        continue;
      }
      // A present-but-unknown AZ (preview) can't be judged; a missing one is left to AWS: flag it.
      if (instances.some((i) => "availabilityZone" in i.props && peek(() => i.props.availabilityZone) === undefined)) continue;
      const placed = instances.map((i) => i.props.availabilityZone).filter((az): az is string => typeof az === "string");
      if (placed.length < instances.length) {
        report(
          `instances of ${cluster.name} must set availabilityZone so a reader is known to be in another AZ than the writer`,
          cluster.urn,
        );
      } else if (new Set(placed).size < 2) {
        report(`every instance of ${cluster.name} is in ${placed[0]}: put a reader in another AZ than the writer`, cluster.urn);
      }
    }
  },
);

/** Subnets (or AZs) an Auto Scaling group spans. */
function asgZoneCount(asg: PolicyResource): number | undefined {
  const ids = peek(() => asArray(asg.props.vpcZoneIdentifiers));
  const azs = peek(() => asArray(asg.props.availabilityZones));
  if (ids === undefined) return dependenciesOf(asg, T.subnet).length || undefined;
  return Math.max(ids.length, azs?.length ?? 0);
}

/** The AZ of each subnet an ASG is in, when the subnets are in the graph. */
function asgAzs(asg: PolicyResource): Set<string> | undefined {
  const subnets = dependenciesOf(asg, T.subnet);
  const azs = subnets.map((s) => peek(() => s.props.availabilityZone)).filter((a): a is string => typeof a === "string");
  return subnets.length > 0 && azs.length === subnets.length ? new Set(azs) : undefined;
}

export const asgMultiAz: StackValidationPolicy = stagePolicy(
  "asg-multi-az-elb-health",
  "From the stage with a load-balanced web tier, every Auto Scaling group must span the stage's minimum of AZs (minimums.azs: one subnet per AZ in vpcZoneIdentifiers), use ELB health checks (healthCheckType \"ELB\") so that instances failing the load balancer's check are replaced, and keep at least minimums.webInstances instances (minSize). Fix: raise `network.azs` and `compute.minSize` (or the service's minSize), and set healthCheckType to ELB.",
  (resources, s, report) => {
    if (!s.definition.capabilities.loadBalancedWebTier) return;
    const { azs, webInstances } = s.definition.minimums;
    const groups = ofType(resources, T.asg);
    if (groups.length === 0) report(`${label(s)} runs the web tier in an Auto Scaling group; the stack has none`, s.markerUrn);
    for (const asg of groups) {
      const zones = asgZoneCount(asg);
      const distinct = asgAzs(asg);
      if (zones !== undefined && zones < azs) report(`${asg.name} spans ${zones} subnet(s); ${label(s)} needs ${azs} AZs`, asg.urn);
      else if (distinct && distinct.size < azs)
        report(`${asg.name}'s subnets are in ${distinct.size} AZ(s); ${label(s)} needs ${azs}`, asg.urn);
      const hc = peek(() => asg.props.healthCheckType);
      const unknownHc = "healthCheckType" in asg.props && hc === undefined;
      if (!unknownHc && hc !== "ELB")
        report(`${asg.name} uses ${hc ?? "EC2 (default)"} health checks; set healthCheckType to "ELB"`, asg.urn);
      const min = peek(() => asg.props.minSize);
      if (typeof min === "number" && min < webInstances)
        report(`${asg.name} has minSize ${min}; ${label(s)} needs at least ${webInstances}`, asg.urn);
    }
  },
);

export const loadBalancerSubnets: StackValidationPolicy = stagePolicy(
  "load-balancer-multi-az",
  "Every load balancer must sit in at least two subnets (and in as many AZs as the stage's minimums.azs), so that losing one AZ leaves it serving. From the stage with a load-balanced web tier the stack must have one. Fix: pass one subnet per AZ in `subnets` or `subnetMappings`.",
  (resources, s, report) => {
    const lbs = ofType(resources, T.lb);
    if (s.definition.capabilities.loadBalancedWebTier && lbs.length === 0)
      report(`${label(s)} puts an Application Load Balancer in front of the web tier; the stack has none`, s.markerUrn);
    const needed = Math.max(2, s.definition.minimums.azs);
    for (const lb of lbs) {
      const subnets = peek(() => asArray(lb.props.subnets));
      const mappings = peek(() => asArray(lb.props.subnetMappings));
      const count =
        subnets === undefined || mappings === undefined ? dependenciesOf(lb, T.subnet).length : Math.max(subnets.length, mappings.length);
      if (count < needed) report(`${lb.name} is in ${count} subnet(s); it needs ${needed}`, lb.urn);
    }
  },
);

/** Nodes of a replication group: numCacheClusters, or shards × (replicas + 1). */
function cacheNodes(rg: PolicyResource): number | undefined {
  const n = peek(() => rg.props.numCacheClusters);
  if (typeof n === "number") return n;
  const groups = peek(() => rg.props.numNodeGroups);
  const replicas = peek(() => rg.props.replicasPerNodeGroup);
  if (typeof replicas === "number") return (typeof groups === "number" ? groups : 1) * (replicas + 1);
  return undefined;
}

export const cacheMultiAz: StackValidationPolicy = stagePolicy(
  "cache-multi-az-failover",
  "From the stage with a cache, the stack has an ElastiCache replication group with multiAzEnabled and automaticFailoverEnabled, and at least the stage's minimums.cacheNodes nodes (primary + replicas) in different AZs. Fix: set numCacheClusters (or replicasPerNodeGroup) and turn both flags on.",
  (resources, s, report) => {
    if (!s.definition.capabilities.cache) return;
    const groups = ofType(resources, T.cache);
    if (groups.length === 0)
      report(`${label(s)} keeps sessions and popular reads in a Redis replication group; the stack has none`, s.markerUrn);
    for (const rg of groups) {
      requireTrue(rg.props, ["multiAzEnabled"], `${rg.name}: set multiAzEnabled: true`, (m) => report(m, rg.urn));
      requireTrue(rg.props, ["automaticFailoverEnabled"], `${rg.name}: set automaticFailoverEnabled: true`, (m) => report(m, rg.urn));
      const nodes = cacheNodes(rg) ?? 1;
      if (nodes < s.definition.minimums.cacheNodes)
        report(`${rg.name} has ${nodes} node(s); ${label(s)} needs ${s.definition.minimums.cacheNodes}`, rg.urn);
    }
  },
);

/**
 * Whether `alarm` fires scaling policy `p`: the engine says which resources each input depends on
 * (propertyDependencies.alarmActions); without that, the alarm depends on the policy and has actions.
 */
function firesPolicy(alarm: PolicyResource, p: PolicyResource): boolean {
  const byProperty = alarm.propertyDependencies?.alarmActions;
  if (byProperty) return byProperty.some((d) => d.urn === p.urn);
  const actions = peek(() => asArray(alarm.props.alarmActions));
  return alarm.dependencies.some((d) => d.urn === p.urn) && (actions === undefined || actions.length > 0);
}

export const alarmScaling: StackValidationPolicy = stagePolicy(
  "asg-alarm-driven-scaling",
  "From the stage that scales on alarms, every Auto Scaling group has scaling policies fired by CloudWatch alarms: step or simple policies listed in a MetricAlarm's alarmActions, or target tracking (whose alarms AWS creates). Fix: add CPU-high/CPU-low alarms whose alarmActions are the ASG's step-scaling policy ARNs.",
  (resources, s, report) => {
    if (!s.definition.capabilities.alarmScaling) return;
    const alarms = ofType(resources, T.alarm);
    for (const asg of ofType(resources, T.asg)) {
      const asgName = peek(() => asg.props.name);
      const policies = ofType(resources, T.scalingPolicy).filter(
        (p) =>
          p.dependencies.some((d) => d.urn === asg.urn) || (asgName !== undefined && peek(() => p.props.autoscalingGroupName) === asgName),
      );
      if (policies.length === 0) {
        report(`${asg.name} has no scaling policy`, asg.urn);
        continue;
      }
      let driven = 0;
      for (const p of policies) {
        const type = peek(() => p.props.policyType) ?? "SimpleScaling";
        if (type === "TargetTrackingScaling") {
          driven++;
          continue;
        }
        if (type === "PredictiveScaling") continue;
        const fired = alarms.some((a) => firesPolicy(a, p));
        if (fired) driven++;
        else report(`scaling policy ${p.name} of ${asg.name} is not in any CloudWatch alarm's alarmActions`, p.urn);
      }
      if (driven === 0) report(`no CloudWatch alarm fires a scaling policy of ${asg.name}`, asg.urn);
    }
  },
);

export const natPerAz: StackValidationPolicy = stagePolicy(
  "nat-gateway-per-az",
  "When the stage asks for one NAT gateway per AZ, each VPC has a NAT gateway in every AZ it uses (at least minimums.azs), and every private route to a NAT gateway goes to the one in the subnet's own AZ, so losing an AZ cuts no other AZ off. Fix: create a NAT gateway per public subnet and one route table per AZ.",
  (resources, s, report) => {
    if (s.definition.capabilities.nat !== "perAz") return;
    const azOf = (subnet: PolicyResource | undefined) => (subnet ? peek(() => subnet.props.availabilityZone) : undefined);
    for (const vpc of ofType(resources, T.vpc)) {
      const nats = dependentsOf(resources, vpc, T.natGateway).concat(
        ofType(resources, T.natGateway).filter((n) =>
          dependenciesOf(n, T.subnet).some((sub) => sub.dependencies.some((d) => d.urn === vpc.urn)),
        ),
      );
      const unique = [...new Map(nats.map((n) => [n.urn, n])).values()];
      const natAzs = new Set(unique.map((n) => azOf(dependenciesOf(n, T.subnet)[0])).filter((a) => a !== undefined));
      if (natAzs.size < s.definition.minimums.azs)
        report(
          `${vpc.name} has NAT gateways in ${natAzs.size} AZ(s); ${label(s)} needs one in each of ${s.definition.minimums.azs}`,
          vpc.urn,
        );
    }
    for (const route of ofType(resources, T.route)) {
      const nat = dependenciesOf(route, T.natGateway)[0];
      if (!nat) continue;
      const natAz = azOf(dependenciesOf(nat, T.subnet)[0]);
      const table = route.dependencies.find((d) => d.type === "aws:ec2/routeTable:RouteTable");
      if (!table || natAz === undefined) continue;
      const subnets = dependentsOf(resources, table, T.routeTableAssociation).flatMap((a) => dependenciesOf(a, T.subnet));
      for (const subnet of subnets) {
        const az = azOf(subnet);
        if (az !== undefined && az !== natAz)
          report(`${subnet.name} (${az}) reaches the internet through ${nat.name} in ${natAz}`, route.urn);
      }
    }
  },
);

export const multiRegion: StackValidationPolicy = stagePolicy(
  "multi-region-global-data",
  "When the stage runs in several regions, the full regional stack (a VPC) is in at least minimums.regions regions, every Aurora cluster belongs to an Aurora Global Database, and every DynamoDB table is a global table (replicas in the other regions). Fix: list a second region in `regions`; the program joins clusters and tables to global ones.",
  (resources, s, report) => {
    if (!s.definition.capabilities.multiRegion) return;
    const needed = s.definition.minimums.regions;
    const regions = new Set(
      ofType(resources, T.vpc)
        .map(regionOf)
        .filter((r) => r !== undefined),
    );
    if (regions.size < needed)
      report(`the regional stack runs in ${regions.size} region(s) (${[...regions].join(", ")}); ${label(s)} needs ${needed}`, s.markerUrn);
    const globals = ofType(resources, T.globalCluster);
    const clusters = ofType(resources, T.cluster);
    if (clusters.length > 0 && globals.length === 0)
      report(`${label(s)} joins the regions with an Aurora Global Database; the stack has none`, s.markerUrn);
    for (const cluster of clusters) {
      const member =
        peek(() => cluster.props.globalClusterIdentifier) !== undefined ||
        dependenciesOf(cluster, T.globalCluster).length > 0 ||
        globals.some((g) => g.dependencies.some((d) => d.urn === cluster.urn));
      if (!member) report(`${cluster.name} is not part of an Aurora Global Database`, cluster.urn);
    }
    for (const table of ofType(resources, T.table)) {
      const replicas = peek(() => asArray(table.props.replicas));
      if (replicas !== undefined && replicas.length < needed - 1)
        report(`${table.name} has ${replicas.length} replica(s); a global table across ${needed} regions needs ${needed - 1}`, table.urn);
    }
  },
);

export const haPolicies: StackValidationPolicy[] = [
  stageMarker,
  auroraReaders,
  asgMultiAz,
  loadBalancerSubnets,
  cacheMultiAz,
  alarmScaling,
  natPerAz,
  multiRegion,
];
