/**
 * High-availability rules. Each one applies from the first stage whose row in the stage table
 * (components/stages.ts) asks for it, with the thresholds of that row: nothing here compares
 * stage numbers by hand.
 */
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import {
  asArray,
  attempt,
  attribute,
  type Attribute,
  dependenciesOf,
  dependentsOf,
  findStageMarkers,
  isOf,
  isSet,
  ofType,
  peek,
  regionOf,
  StackStage,
  stackStage,
  stageConfigSchema,
  requireTrue,
  T,
  Unknowns,
} from "./support";
import { isStageNumber } from "../components/stages";

type Check = (resources: PolicyResource[], s: StackStage, report: ReportViolation, unknowns: Unknowns) => void;

/**
 * A stack policy whose check runs with the stack's effective stage. What the check could not judge
 * because it is unknown (a first preview) is reported once it has judged everything else: the
 * engine then says it can't run the policy (advisory), never passes it silently.
 */
function stagePolicy(name: string, description: string, check: Check): StackValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    configSchema: stageConfigSchema,
    validateStack: (args: StackValidationArgs, report: ReportViolation) => {
      const unknowns = new Unknowns();
      check(args.resources, stackStage(args), report, unknowns);
      unknowns.settle();
    },
  };
}

const label = (s: StackStage) => `stage ${s.stage} (${s.definition.name})`;

export const stageMarker: StackValidationPolicy = stagePolicy(
  "stage-marker",
  "The stack must carry exactly one stage-marker SSM parameter (tag scaling:role=stage-marker, value = the stage number), which the program writes in components/platform.ts. Without it the pack cannot tell which HA rules apply: run the real program, do not remove the parameter.",
  (resources, _s, report, unknowns) => {
    const markers = findStageMarkers(resources);
    if (markers.length === 0) report("no stage-marker parameter in the stack");
    if (markers.length > 1) report(`${markers.length} stage-marker parameters; there must be one`, markers[1].urn);
    for (const m of markers) {
      const value = unknowns.read(() => m.props.value);
      if (value !== undefined && !(/^\d+$/.test(String(value)) && isStageNumber(Number(value))))
        report(`stage marker value ${JSON.stringify(value)} is not a stage number`, m.urn);
    }
  },
);

export const auroraReaders: StackValidationPolicy = stagePolicy(
  "aurora-reader-in-another-az",
  "From the stage that requires DB followers, every Aurora cluster needs at least the stage's minimum of readers (minimums.dbReaders) and an instance in an AZ other than the writer's, so that Aurora can fail over when an AZ goes down. Fix: raise `database.readers` and place readers with `availabilityZone` in another AZ.",
  (resources, s, report, unknowns) => {
    const needed = s.definition.minimums.dbReaders;
    if (needed === 0) return;
    for (const cluster of ofType(resources, T.cluster)) {
      const instances = dependentsOf(resources, cluster, T.clusterInstance);
      const readers = instances.length - 1;
      if (readers < needed) {
        report(`${label(s)} needs ${needed} Aurora reader(s) per cluster; ${cluster.name} has ${Math.max(readers, 0)}`, cluster.urn);
        continue;
      }
      // An AZ left to AWS is flagged: unset in the inputs, planned unknown with no dependency in a
      // first preview (availability_zone is Optional+Computed). One taken from a resource not yet
      // created can't be judged before it exists: noted, never passed.
      const zones = instances.map((i) => attribute(i, "availabilityZone"));
      const unknown = zones.find((z) => z.state === "unknown");
      if (unknown?.state === "unknown") {
        unknowns.note(unknown.error);
        continue;
      }
      const placed = zones.flatMap((z) => (z.state === "set" && typeof z.value === "string" ? [z.value] : []));
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

/** Subnets (or AZs) an Auto Scaling group spans; while its subnet list is unknown, the subnets it depends on. */
function asgZoneCount(asg: PolicyResource, unknowns: Unknowns): number | undefined {
  const ids = attempt(() => asArray(asg.props.vpcZoneIdentifiers));
  const azs = peek(() => asArray(asg.props.availabilityZones)); // Optional+Computed: unknown when unset
  if (!ids.known) {
    const subnets = dependenciesOf(asg, T.subnet).length;
    if (subnets === 0) unknowns.note(ids.error);
    return subnets || undefined;
  }
  return Math.max(ids.value.length, azs?.length ?? 0);
}

/** A subnet's AZ: by zone ID or by name, whichever the program placed it by (the other is planned unknown). */
interface Zone {
  kind: "id" | "name";
  value: string;
  /** Why a name stands in: the zone ID is unknown (a first preview). */
  idUnknown?: Error;
}

/**
 * The AZ of a subnet. A subnet is placed by `availabilityZoneId` or by `availabilityZone` (the
 * program uses IDs); both are Optional+Computed (ec2/vpc_subnet.go), so in a first preview the one
 * not given is unknown. The zone ID is read first (AWS maps names to IDs per account; once
 * deployed the provider reports both), then the name; neither known is noted as unknown.
 */
function subnetZone(subnet: PolicyResource, unknowns: Unknowns): Zone | undefined {
  const id = attempt(() => subnet.props.availabilityZoneId);
  if (id.known && typeof id.value === "string" && id.value !== "") return { kind: "id", value: id.value };
  const name = attempt(() => subnet.props.availabilityZone);
  if (name.known && typeof name.value === "string" && name.value !== "")
    return { kind: "name", value: name.value, idUnknown: id.known ? undefined : id.error };
  const error = !id.known ? id.error : !name.known ? name.error : undefined;
  if (error) unknowns.note(error);
  return undefined;
}

/** Distinct AZs of `subnets`; undefined (noted) when one is unknown or IDs and names can't be compared. */
function distinctZones(subnets: PolicyResource[], unknowns: Unknowns): Set<string> | undefined {
  const zones = subnets.map((s) => subnetZone(s, unknowns));
  if (zones.some((z) => z === undefined)) return undefined;
  // A name can't be compared with another subnet's zone ID while its own ID is unknown.
  const idUnknown = zones.find((z) => z!.idUnknown)?.idUnknown;
  if (idUnknown && zones.some((z) => z!.kind === "id")) {
    unknowns.note(idUnknown);
    return undefined;
  }
  return new Set(zones.map((z) => z!.value));
}

/** The AZs of the subnets an ASG is in, when the subnets are in the graph. */
function asgAzs(asg: PolicyResource, unknowns: Unknowns): Set<string> | undefined {
  const subnets = dependenciesOf(asg, T.subnet);
  return subnets.length > 0 ? distinctZones(subnets, unknowns) : undefined;
}

// ------------------------------------------------------------------------------------------------
// Web tier: the target groups an ASG registers its instances in, and the load balancers that send
// those target groups traffic (their health checks are what ELB health checks act on).

/** A target group an ASG is in: by ARN (targetGroupArns, an attachment) and/or as a resource. */
interface Target {
  label: string;
  arn?: string;
  tg?: PolicyResource;
}

/**
 * The target groups of `asg`: its targetGroupArns (or, while those are unknown during preview,
 * the target groups it depends on) plus those of aws.autoscaling.Attachment resources.
 */
function asgTargets(resources: PolicyResource[], asg: PolicyResource): Target[] {
  const arns = peek(() => asArray(asg.props.targetGroupArns).map((a) => String(a)));
  const own: Target[] =
    arns !== undefined
      ? arns.map((arn) => ({ label: arn, arn }))
      : dependenciesOf(asg, T.targetGroup).map((tg) => ({ label: tg.name, tg }));
  const attached: Target[] = dependentsOf(resources, asg, T.asgAttachment).flatMap((a) => {
    const arn = peek(() => a.props.lbTargetGroupArn);
    const tg = dependenciesOf(a, T.targetGroup)[0];
    if (typeof arn !== "string" && !tg) return [];
    return [{ label: typeof arn === "string" ? arn : tg.name, arn: typeof arn === "string" ? arn : undefined, tg }];
  });
  return [...own, ...attached];
}

/** Target-group ARNs a listener's default actions or a listener rule's actions forward to (unknown in a first preview). */
function forwardedArns(r: PolicyResource) {
  return attempt(() =>
    asArray(isOf(r.type, T.listener) ? r.props.defaultActions : r.props.actions)
      .flatMap((a: any) => [a?.targetGroupArn, ...asArray(a?.forward?.targetGroups).map((g: any) => g?.arn)])
      .filter((arn): arn is string => typeof arn === "string"),
  );
}

/** The load balancer of a listener, or of a listener rule's listener. */
function lbOf(r: PolicyResource): PolicyResource | undefined {
  const listener = isOf(r.type, T.listener) ? r : dependenciesOf(r, T.listener)[0];
  return listener ? dependenciesOf(listener, T.lb)[0] : undefined;
}

/**
 * The load balancers whose listeners or listener rules forward to `t`. A listener whose actions are
 * unknown (a first preview) forwards to the target groups it depends on; when `t` is known only by
 * ARN and nothing else serves it, it can't be judged: undefined, noted in `unknowns`.
 */
function lbsServing(resources: PolicyResource[], t: Target, unknowns: Unknowns): PolicyResource[] | undefined {
  const found: PolicyResource[] = [];
  let unknown: Error | undefined;
  for (const r of ofType(resources, [...T.listener, ...T.listenerRule])) {
    const arns = forwardedArns(r);
    const byArn = t.arn !== undefined && arns.known && arns.value.includes(t.arn);
    const byDependency = t.tg !== undefined && r.dependencies.some((d) => d.urn === t.tg!.urn);
    if (!byArn && !byDependency && t.arn !== undefined && !arns.known) unknown ??= arns.error;
    const lb = byArn || byDependency ? lbOf(r) : undefined;
    if (lb) found.push(lb);
  }
  if (found.length > 0 || !unknown) return found;
  unknowns.note(unknown);
  return undefined;
}

/**
 * Whether `lb` faces the internet: `internal` unset (Optional+Computed, AWS's default is
 * internet-facing) or false. An `internal` the rule can't see counts as internet-facing (the web
 * tier's stricter checks apply: fail closed) and, given `unknowns`, is noted.
 */
function internetFacing(lb: PolicyResource, unknowns?: Unknowns): boolean {
  const internal = attribute(lb, "internal");
  if (internal.state === "unknown") unknowns?.note(internal.error);
  return !(internal.state === "set" && internal.value === true);
}

/**
 * Whether `asg` is the web tier: one of its target groups is served by an internet-facing load
 * balancer. Undefined when that can't be told (a target known only by an ARN no known action names).
 */
function isWebAsg(resources: PolicyResource[], asg: PolicyResource, unknowns: Unknowns): boolean | undefined {
  const served = asgTargets(resources, asg).map((t) => lbsServing(resources, t, unknowns));
  if (served.some((lbs) => (lbs ?? []).some((lb) => internetFacing(lb)))) return true;
  return served.some((lbs) => lbs === undefined) ? undefined : false;
}

export const asgMultiAz: StackValidationPolicy = stagePolicy(
  "asg-multi-az-elb-health",
  "From the stage with a load-balanced web tier, every Auto Scaling group must span the stage's minimum of AZs (minimums.azs: one subnet per AZ in vpcZoneIdentifiers), use ELB health checks (healthCheckType \"ELB\") so that instances failing the load balancer's check are replaced, be in a target group (targetGroupArns or an aws.autoscaling.Attachment) that a load balancer's listener or listener rule forwards to, and keep at least minimums.webInstances instances (minSize). Fix: raise `network.azs` and `compute.minSize` (or the service's minSize), set healthCheckType to ELB and register the ASG in the listener's target group.",
  (resources, s, report, unknowns) => {
    if (!s.definition.capabilities.loadBalancedWebTier) return;
    const { azs, webInstances } = s.definition.minimums;
    const groups = ofType(resources, T.asg);
    if (groups.length === 0) report(`${label(s)} runs the web tier in an Auto Scaling group; the stack has none`, s.markerUrn);
    for (const asg of groups) {
      const zones = asgZoneCount(asg, unknowns);
      const distinct = asgAzs(asg, unknowns);
      if (zones !== undefined && zones < azs) report(`${asg.name} spans ${zones} subnet(s); ${label(s)} needs ${azs} AZs`, asg.urn);
      else if (distinct && distinct.size < azs)
        report(`${asg.name}'s subnets are in ${distinct.size} AZ(s); ${label(s)} needs ${azs}`, asg.urn);
      // health_check_type is Optional+Computed (autoscaling/group.go): unset, a first preview plans
      // it unknown and AWS reports "EC2"; taken from a resource not yet created, it can't be judged.
      const health = attribute(asg, "healthCheckType");
      if (health.state === "unknown") unknowns.note(health.error);
      const hc = health.state === "set" ? health.value : undefined;
      if (health.state !== "unknown" && hc !== "ELB")
        report(`${asg.name} uses ${hc ?? "EC2 (default)"} health checks; set healthCheckType to "ELB"`, asg.urn);
      if (hc === "ELB") {
        const targets = asgTargets(resources, asg);
        if (targets.length === 0)
          report(
            `${asg.name} uses ELB health checks but is in no target group (targetGroupArns is empty, no aws.autoscaling.Attachment): no load balancer checks or serves its instances`,
            asg.urn,
          );
        for (const t of targets) {
          const lbs = lbsServing(resources, t, unknowns);
          if (lbs !== undefined && lbs.length === 0)
            report(`target group ${t.label} of ${asg.name} is used by no listener or listener rule of a load balancer`, asg.urn);
        }
      }
      const min = unknowns.read(() => asg.props.minSize);
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

/**
 * Nodes of a replication group: numCacheClusters, or shards × (replicas + 1); one when neither is
 * set (AWS's default). Undefined, noted, when a count the answer depends on can't be seen.
 */
function cacheNodes(rg: PolicyResource, unknowns: Unknowns): number | undefined {
  const [n, groups, replicas] = ["numCacheClusters", "numNodeGroups", "replicasPerNodeGroup"].map((k) => attribute(rg, k));
  const value = (a: Attribute) => (a.state === "set" && typeof a.value === "number" ? a.value : undefined);
  if (value(n) !== undefined) return value(n);
  const unseen = [n, groups, replicas].find((a) => a.state === "unknown");
  if (unseen?.state === "unknown") return void unknowns.note(unseen.error);
  return value(replicas) !== undefined ? (value(groups) ?? 1) * (value(replicas)! + 1) : 1;
}

export const cacheMultiAz: StackValidationPolicy = stagePolicy(
  "cache-multi-az-failover",
  "From the stage with a cache, the stack has an ElastiCache replication group with multiAzEnabled and automaticFailoverEnabled, and at least the stage's minimums.cacheNodes nodes (primary + replicas) in different AZs. Fix: set numCacheClusters (or replicasPerNodeGroup) and turn both flags on.",
  (resources, s, report, unknowns) => {
    if (!s.definition.capabilities.cache) return;
    const groups = ofType(resources, T.cache);
    if (groups.length === 0)
      report(`${label(s)} keeps sessions and popular reads in a Redis replication group; the stack has none`, s.markerUrn);
    for (const rg of groups) {
      requireTrue(rg.props, ["multiAzEnabled"], `${rg.name}: set multiAzEnabled: true`, (m) => report(m, rg.urn), unknowns);
      requireTrue(
        rg.props,
        ["automaticFailoverEnabled"],
        `${rg.name}: set automaticFailoverEnabled: true`,
        (m) => report(m, rg.urn),
        unknowns,
      );
      const nodes = cacheNodes(rg, unknowns);
      if (nodes !== undefined && nodes < s.definition.minimums.cacheNodes)
        report(`${rg.name} has ${nodes} node(s); ${label(s)} needs ${s.definition.minimums.cacheNodes}`, rg.urn);
    }
  },
);

/**
 * Whether `alarm` fires scaling policy `p`. Known actions decide: empty fires nothing, and once
 * both ARNs are known (deployed) the policy's must be listed. While they are unknown (preview)
 * the engine's propertyDependencies.alarmActions says which resources the actions came from;
 * without those, the alarm depends on the policy.
 */
function firesPolicy(alarm: PolicyResource, p: PolicyResource): boolean {
  const actions = peek(() => asArray(alarm.props.alarmActions).map((a) => String(a)));
  if (actions !== undefined && actions.length === 0) return false;
  const arn = peek(() => p.props.arn);
  if (actions !== undefined && typeof arn === "string" && arn !== "") return actions.includes(arn);
  const byProperty = alarm.propertyDependencies?.alarmActions;
  if (byProperty) return byProperty.some((d) => d.urn === p.urn);
  return alarm.dependencies.some((d) => d.urn === p.urn);
}

type Direction = "out" | "in";

/**
 * Which way `p` scales when `alarm` fires it: the sign of its step (or simple) adjustments, else
 * the alarm's comparison (GreaterThan… fires on high load: out; LessThan…: in).
 */
function directionsOf(p: PolicyResource, alarm: PolicyResource): Set<Direction> {
  const found = new Set<Direction>();
  const exact = peek(() => p.props.adjustmentType) === "ExactCapacity";
  const adjustments = peek(() =>
    [...asArray(p.props.stepAdjustments).map((a: any) => a?.scalingAdjustment), p.props.scalingAdjustment]
      .map((n) => Number(n))
      .filter((n) => Number.isFinite(n) && n !== 0),
  );
  if (!exact) for (const n of adjustments ?? []) found.add(n > 0 ? "out" : "in");
  if (found.size === 0) {
    const op = String(peek(() => alarm.props.comparisonOperator) ?? "");
    if (op.startsWith("GreaterThan")) found.add("out");
    else if (op.startsWith("LessThan")) found.add("in");
  }
  return found;
}

export const alarmScaling: StackValidationPolicy = stagePolicy(
  "asg-alarm-driven-scaling",
  "From the stage that scales on alarms, every Auto Scaling group has scaling policies fired by CloudWatch alarms: step or simple policies listed in a MetricAlarm's alarmActions, or target tracking (whose alarms AWS creates). The web tier's ASG (the one in the internet-facing load balancer's target group) needs step or simple policies fired by alarms that both scale out (positive adjustment, or a GreaterThan… alarm such as CPU-high) and scale in (negative adjustment, or a LessThan… alarm such as CPU-low); so does any ASG scaled by step policies without target tracking. Fix: add CPU-high/CPU-low alarms whose alarmActions are the ASG's scale-out and scale-in step-scaling policy ARNs.",
  (resources, s, report, unknowns) => {
    if (!s.definition.capabilities.alarmScaling) return;
    const alarms = ofType(resources, T.alarm);
    for (const asg of ofType(resources, T.asg)) {
      const asgName = peek(() => asg.props.name);
      const policies = ofType(resources, T.scalingPolicy).filter(
        (p) =>
          p.dependencies.some((d) => d.urn === asg.urn) || (asgName !== undefined && peek(() => p.props.autoscalingGroupName) === asgName),
      );
      // Whether it is the web tier only matters when its scaling lacks a direction (below).
      const webUnknown = new Unknowns();
      const web = isWebAsg(resources, asg, webUnknown);
      if (policies.length === 0) {
        report(`${asg.name} has no scaling policy`, asg.urn);
        continue;
      }
      let driven = 0;
      let tracking = false;
      let stepped = false;
      const directions = new Set<Direction>();
      for (const p of policies) {
        const type = peek(() => p.props.policyType) ?? "SimpleScaling";
        if (type === "TargetTrackingScaling") {
          driven++;
          tracking = true;
          continue;
        }
        if (type === "PredictiveScaling") continue;
        stepped = true;
        const firing = alarms.filter((a) => firesPolicy(a, p));
        if (firing.length > 0) driven++;
        else report(`scaling policy ${p.name} of ${asg.name} is not in any CloudWatch alarm's alarmActions`, p.urn);
        for (const a of firing) directionsOf(p, a).forEach((d) => directions.add(d));
      }
      if (driven === 0) report(`no CloudWatch alarm fires a scaling policy of ${asg.name}`, asg.urn);
      const lacking = !directions.has("out") || !directions.has("in");
      if (web === undefined && !(stepped && !tracking) && lacking) webUnknown.settleInto(unknowns);
      else if (web || (stepped && !tracking)) {
        const why = web
          ? `${asg.name} is the web tier: ${label(s)} scales it with step policies fired by CPU-high and CPU-low alarms`
          : asg.name;
        if (!directions.has("out")) report(`${why}; no alarm-fired policy scales it out`, asg.urn);
        if (!directions.has("in")) report(`${why}; no alarm-fired policy scales it in`, asg.urn);
      }
    }
  },
);

/** A route of a route table to a NAT gateway: an aws.ec2.Route, or an inline `routes` entry of the table. */
interface NatRoute {
  nat: PolicyResource;
  /** The resource that holds the route (the Route, or the table for an inline route). */
  via: PolicyResource;
  /** Whether it is the default route (0.0.0.0/0); undefined while unknown. */
  isDefault: boolean | undefined;
  /** Why it is unknown. */
  unknown?: Error;
}

/**
 * The NAT routes of `table`: its aws.ec2.Route resources, and its inline `routes`. Inline routes
 * are Optional+Computed: in a first preview the provider plans them unknown when the program gives
 * none, and reports [] after create (tools/mocks.ts). While unknown, the engine's
 * propertyDependencies.routes names the NAT gateways the program's routes came from (none when it
 * gave no routes), so an unknown list is judged, not skipped.
 */
function natRoutesOf(table: PolicyResource, resources: PolicyResource[]): NatRoute[] {
  const found: NatRoute[] = [];
  for (const route of dependentsOf(resources, table, T.route)) {
    const nat = dependenciesOf(route, T.natGateway)[0];
    if (!nat) continue;
    const cidr = attempt(() => route.props.destinationCidrBlock);
    found.push(
      cidr.known
        ? { nat, via: route, isDefault: cidr.value === "0.0.0.0/0" }
        : { nat, via: route, isDefault: undefined, unknown: cidr.error },
    );
  }
  // An inline route names its NAT gateway by id; the table depends on that gateway. With several
  // NAT routes in one table every gateway it depends on is taken as a target (the stricter reading).
  const nats = dependenciesOf(table, T.natGateway);
  const inline = attempt(() => asArray(table.props.routes));
  if (!inline.known) {
    const planned = (table.propertyDependencies?.routes ?? []).filter((d) => isOf(d.type, T.natGateway));
    for (const nat of planned) found.push({ nat, via: table, isDefault: undefined, unknown: inline.error });
    return found;
  }
  for (const entry of inline.value as Record<string, any>[]) {
    if (isSet(entry, "natGatewayId") === false) continue;
    const cidr = attempt(() => entry.cidrBlock);
    for (const nat of nats)
      found.push(
        cidr.known
          ? { nat, via: table, isDefault: cidr.value === "0.0.0.0/0" }
          : { nat, via: table, isDefault: undefined, unknown: cidr.error },
      );
  }
  return found;
}

/** Subnets that run the app: tagged scaling:tier=app, or where an Auto Scaling group puts instances. */
function appSubnets(resources: PolicyResource[], unknowns: Unknowns): PolicyResource[] {
  const tagged = ofType(resources, T.subnet).filter((sub) => unknowns.read(() => sub.props.tags?.["scaling:tier"]) === "app");
  const used = ofType(resources, T.asg).flatMap((asg) => dependenciesOf(asg, T.subnet));
  return [...new Map([...tagged, ...used].map((sub) => [sub.urn, sub])).values()];
}

export const natPerAz: StackValidationPolicy = stagePolicy(
  "nat-gateway-per-az",
  "When the stage has NAT gateways, every app subnet (tag scaling:tier=app, or an Auto Scaling group's subnet) has a default route (0.0.0.0/0) to a NAT gateway. When the stage asks for one NAT gateway per AZ, each VPC has a NAT gateway in every AZ it uses (at least minimums.azs), and every private route to a NAT gateway (an aws.ec2.Route or an inline route of a RouteTable) goes to the one in the subnet's own AZ, so losing an AZ cuts no other AZ off. Fix: create a NAT gateway per public subnet and one route table per AZ, with its default route to that AZ's gateway.",
  (resources, s, report, unknowns) => {
    const layout = s.definition.capabilities.nat;
    if (layout === "none") return;
    const tablesOf = (subnet: PolicyResource) =>
      dependentsOf(resources, subnet, T.routeTableAssociation).flatMap((a) => dependenciesOf(a, T.routeTable));
    for (const subnet of appSubnets(resources, unknowns)) {
      const routes = tablesOf(subnet).flatMap((table) => natRoutesOf(table, resources));
      if (routes.some((r) => r.isDefault === true)) continue;
      const open = routes.find((r) => r.unknown !== undefined);
      if (open) unknowns.note(open.unknown!);
      else report(`${subnet.name} runs the app but has no default route (0.0.0.0/0) to a NAT gateway`, subnet.urn);
    }
    if (layout !== "perAz") return;
    for (const vpc of ofType(resources, T.vpc)) {
      const nats = dependentsOf(resources, vpc, T.natGateway).concat(
        ofType(resources, T.natGateway).filter((n) =>
          dependenciesOf(n, T.subnet).some((sub) => sub.dependencies.some((d) => d.urn === vpc.urn)),
        ),
      );
      const unique = [...new Map(nats.map((n) => [n.urn, n])).values()];
      const natSubnets = unique.map((n) => dependenciesOf(n, T.subnet)[0]).filter((sub) => sub !== undefined);
      const natAzs = distinctZones(natSubnets, unknowns);
      if (natAzs === undefined) continue; // noted: can't count AZs while one is unknown
      if (natAzs.size < s.definition.minimums.azs)
        report(
          `${vpc.name} has NAT gateways in ${natAzs.size} AZ(s); ${label(s)} needs one in each of ${s.definition.minimums.azs}`,
          vpc.urn,
        );
    }
    for (const table of ofType(resources, T.routeTable)) {
      const subnets = dependentsOf(resources, table, T.routeTableAssociation).flatMap((a) => dependenciesOf(a, T.subnet));
      for (const { nat, via } of natRoutesOf(table, resources)) {
        const natSubnet = dependenciesOf(nat, T.subnet)[0];
        if (!natSubnet) continue; // a NAT gateway outside this stack's subnets: nothing to compare
        for (const subnet of subnets) {
          const zones = distinctZones([natSubnet, subnet], unknowns);
          if (zones === undefined || zones.size === 1) continue; // unknown (noted), or the same AZ
          const [natAz, az] = [subnetZone(natSubnet, unknowns)!.value, subnetZone(subnet, unknowns)!.value];
          report(`${subnet.name} (${az}) reaches the internet through ${nat.name} in ${natAz}`, via.urn);
        }
      }
    }
  },
);

export const multiRegion: StackValidationPolicy = stagePolicy(
  "multi-region-global-data",
  "When the stage runs in several regions, the full regional stack is in at least minimums.regions regions: every region with a VPC also has what the stage asks for there (an internet-facing load balancer and an Auto Scaling group with a load-balanced web tier, an ElastiCache replication group with a cache, an Aurora cluster with Aurora), every Aurora cluster belongs to an Aurora Global Database, and every DynamoDB table is a global table (replicas in the other regions). Fix: list a second region in `regions`; the program joins clusters and tables to global ones.",
  (resources, s, report, unknowns) => {
    if (!s.definition.capabilities.multiRegion) return;
    const needed = s.definition.minimums.regions;
    const regions = new Set(
      ofType(resources, T.vpc)
        .map(regionOf)
        .filter((r) => r !== undefined),
    );
    if (regions.size < needed)
      report(`the regional stack runs in ${regions.size} region(s) (${[...regions].join(", ")}); ${label(s)} needs ${needed}`, s.markerUrn);
    // Every region with a VPC carries the regional stack the stage asks for, not just the first one.
    const caps = s.definition.capabilities;
    for (const region of regions) {
      const here = (t: string | readonly string[]) => ofType(resources, t).filter((r) => regionOf(r) === region);
      const missing: string[] = [];
      if (caps.loadBalancedWebTier && !here(T.lb).some((lb) => internetFacing(lb, unknowns))) missing.push("internet-facing load balancer");
      if (caps.loadBalancedWebTier && here(T.asg).length === 0) missing.push("Auto Scaling group");
      if (caps.cache && here(T.cache).length === 0) missing.push("ElastiCache replication group");
      if (caps.aurora && here(T.cluster).length === 0) missing.push("Aurora cluster");
      if (missing.length > 0)
        report(
          `region ${region} has a VPC but not the regional stack ${label(s)} asks for: no ${missing.join(", no ")}`,
          here(T.vpc)[0].urn,
        );
    }
    const globals = ofType(resources, T.globalCluster);
    const clusters = ofType(resources, T.cluster);
    if (clusters.length > 0 && globals.length === 0)
      report(`${label(s)} joins the regions with an Aurora Global Database; the stack has none`, s.markerUrn);
    for (const cluster of clusters) {
      // A member names its global cluster (unknown in a first preview, from the global cluster:
      // a dependency), or is the global cluster's source. An identifier unknown for another
      // reason can't be judged: noted.
      const id = attribute(cluster, "globalClusterIdentifier");
      const member =
        id.state === "set" ||
        dependenciesOf(cluster, T.globalCluster).length > 0 ||
        globals.some((g) => g.dependencies.some((d) => d.urn === cluster.urn));
      if (member) continue;
      if (id.state === "unknown") unknowns.note(id.error);
      else report(`${cluster.name} is not part of an Aurora Global Database`, cluster.urn);
    }
    for (const table of ofType(resources, T.table)) {
      const replicas = unknowns.read(() => asArray(table.props.replicas));
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
