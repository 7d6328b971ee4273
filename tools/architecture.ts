/**
 * The architecture a reader would draw, derived from an offline plan (`npm run plan -- --mermaid`).
 *
 * Nodes are the resources a user's request or the data touches (DNS, CDN, load balancers, compute,
 * databases, caches, tables, NAT gateways), with sibling resources collapsed (an Aurora cluster's
 * instances into the cluster, a domain's shards into one node with a count). Edges come only from
 * what the program registered: a resource's `dependencies` and `propertyDependencies`, and input
 * values that name another resource (a CloudFront origin naming a DNS record). Nothing is drawn by
 * hand, so a capability the stage does not create has no node.
 */
import type { Capture, ResourceRecord } from "./capture";

export type NodeKind =
  | "users"
  | "dns"
  | "cdn"
  | "bucket"
  | "amplify"
  | "api"
  | "function"
  | "ip"
  | "host"
  | "volume"
  | "loadBalancer"
  | "compute"
  | "database"
  | "cache"
  | "table"
  | "nat";

export interface ArchNode {
  id: string;
  kind: NodeKind;
  label: string;
  /** The region group the node is drawn in; null for global services and the users. */
  region: string | null;
  /** URNs of the resources the node stands for. */
  members: string[];
}

export type EdgeKind = "traffic" | "replication" | "egress" | "attached";

export interface ArchEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
}

export interface Architecture {
  nodes: ArchNode[];
  edges: ArchEdge[];
  /** Region groups in the plan's order. */
  regions: string[];
}

/**
 * Services AWS runs globally whatever provider region registers them (Route 53 and CloudFront are
 * global services: https://docs.aws.amazon.com/general/latest/gr/rande.html#global-endpoints).
 */
const GLOBAL_SERVICE_TYPES = new Set(["aws:route53/zone:Zone", "aws:cloudfront/distribution:Distribution"]);

/** Node kinds a user reaches from the internet; `users` points at those nothing else fronts. */
const PUBLIC_KINDS = new Set<NodeKind>(["dns", "cdn", "amplify", "api", "ip"]);

const T = {
  zone: "aws:route53/zone:Zone",
  record: "aws:route53/record:Record",
  distribution: "aws:cloudfront/distribution:Distribution",
  bucket: "aws:s3/bucket:Bucket",
  amplifyApp: "aws:amplify/app:App",
  amplifyBranch: "aws:amplify/branch:Branch",
  httpApi: "aws:apigatewayv2/api:Api",
  functionUrl: "aws:lambda/functionUrl:FunctionUrl",
  lambda: "aws:lambda/function:Function",
  instance: "aws:ec2/instance:Instance",
  eip: "aws:ec2/eip:Eip",
  eipAssociation: "aws:ec2/eipAssociation:EipAssociation",
  volume: "aws:ebs/volume:Volume",
  volumeAttachment: "aws:ec2/volumeAttachment:VolumeAttachment",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  listenerRule: "aws:lb/listenerRule:ListenerRule",
  targetGroupAttachment: "aws:lb/targetGroupAttachment:TargetGroupAttachment",
  asg: "aws:autoscaling/group:Group",
  scalingPolicy: "aws:autoscaling/policy:Policy",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  cluster: "aws:rds/cluster:Cluster",
  clusterInstance: "aws:rds/clusterInstance:ClusterInstance",
  globalCluster: "aws:rds/globalCluster:GlobalCluster",
  cache: "aws:elasticache/replicationGroup:ReplicationGroup",
  table: "aws:dynamodb/table:Table",
  nat: "aws:ec2/natGateway:NatGateway",
  subnet: "aws:ec2/subnet:Subnet",
  routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  route: "aws:ec2/route:Route",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
/** A resource name without its region prefix (`us-east-1-web-asg` → `web-asg`). */
const localName = (r: ResourceRecord) => (r.region && r.name.startsWith(r.region + "-") ? r.name.slice(r.region.length + 1) : r.name);
const nodeId = (s: string) => s.replace(/[^A-Za-z0-9]/g, "_");

class Graph {
  readonly byUrn: Map<string, ResourceRecord>;
  /** urn → URNs of resources that depend on it. */
  readonly dependents = new Map<string, ResourceRecord[]>();
  constructor(readonly capture: Capture) {
    this.byUrn = new Map(capture.resources.map((r) => [r.urn, r]));
    for (const r of capture.resources) for (const d of this.deps(r)) this.dependents.set(d, [...(this.dependents.get(d) ?? []), r]);
  }
  ofType(type: string) {
    return this.capture.resources.filter((r) => r.type === type);
  }
  /** Everything a resource references: its dependencies and every property's dependencies. */
  deps(r: ResourceRecord): string[] {
    return [...new Set([...r.dependencies, ...Object.values(r.propertyDependencies ?? {}).flat()])];
  }
  /** The resources of `type` that `r` references (through `property` when given). */
  refs(r: ResourceRecord, type: string, property?: string): ResourceRecord[] {
    const urns = property ? (r.propertyDependencies?.[property] ?? []) : this.deps(r);
    return urns.map((u) => this.byUrn.get(u)).filter((x): x is ResourceRecord => !!x && x.type === type);
  }
  /** The resources of `type` that reference `r`. */
  referrers(r: ResourceRecord, type: string): ResourceRecord[] {
    return (this.dependents.get(r.urn) ?? []).filter((x) => x.type === type);
  }
}

/** Builds the architecture view of a captured plan. */
export function buildArchitecture(capture: Capture, planRegions: string[]): Architecture {
  const g = new Graph(capture);
  const nodes = new Map<string, ArchNode>();
  const nodeOf = new Map<string, string>();
  const edges = new Map<string, ArchEdge>();

  const addNode = (id: string, kind: NodeKind, label: string, region: string | null, members: ResourceRecord[]) => {
    const existing = nodes.get(id);
    if (existing) existing.members.push(...members.map((m) => m.urn));
    else nodes.set(id, { id, kind, label, region, members: members.map((m) => m.urn) });
    for (const m of members) nodeOf.set(m.urn, id);
    return nodes.get(id)!;
  };
  const regionOf = (r: ResourceRecord) => (GLOBAL_SERVICE_TYPES.has(r.type) ? null : r.region);
  const addEdge = (from: string | undefined, to: string | undefined, kind: EdgeKind, label?: string) => {
    if (!from || !to || from === to) return;
    const key = `${from}|${to}`;
    const existing = edges.get(key);
    if (existing) {
      if (label && !existing.label?.split(", ").includes(label)) existing.label = existing.label ? `${existing.label}, ${label}` : label;
      return;
    }
    edges.set(key, { from, to, kind, label });
  };

  // ---- nodes ----------------------------------------------------------------------------------
  for (const zone of g.ofType(T.zone)) {
    const records = g.referrers(zone, T.record);
    const checks = new Set(
      records.flatMap((rec) => g.deps(rec)).filter((u) => g.byUrn.get(u)?.type === "aws:route53/healthCheck:HealthCheck"),
    );
    const extra = [plural(records.length, "record"), checks.size ? plural(checks.size, "health check") : ""].filter(Boolean).join(", ");
    addNode(nodeId(`dns_${zone.name}`), "dns", `Route 53 zone ${zone.inputs.name ?? zone.name}<br/>${extra}`, null, [zone, ...records]);
  }
  for (const d of g.ofType(T.distribution)) addNode(nodeId(`cdn_${d.name}`), "cdn", "CloudFront", null, [d]);
  // Access-log buckets are off the traffic path (they only receive S3's and CloudFront's logs).
  for (const b of g.ofType(T.bucket).filter((x) => x.inputs.tags?.["scaling:data"] !== "access-logs"))
    addNode(nodeId(`s3_${b.name}`), "bucket", `S3 ${localName(b)}<br/>private, encrypted`, regionOf(b), [b]);
  for (const app of g.ofType(T.amplifyApp)) {
    const branches = g.referrers(app, T.amplifyBranch);
    addNode(nodeId(`amplify_${app.name}`), "amplify", `Amplify Hosting<br/>app + ${plural(branches.length, "branch")}`, app.region, [
      app,
      ...branches,
    ]);
  }
  for (const api of g.ofType(T.httpApi)) addNode(nodeId(`api_${api.name}`), "api", `HTTP API`, api.region, [api]);
  for (const fn of g.ofType(T.lambda)) {
    const urls = g.referrers(fn, T.functionUrl);
    addNode(
      nodeId(`fn_${fn.name}`),
      "function",
      `Lambda ${localName(fn)}<br/>${fn.inputs.memorySize ?? "?"} MB${urls.length ? ", function URL" : ""}`,
      fn.region,
      [fn, ...urls],
    );
    for (const u of urls) nodeOf.set(u.urn, nodeId(`fn_${fn.name}`));
  }
  for (const host of g.ofType(T.instance))
    addNode(nodeId(`host_${host.name}`), "host", `EC2 host<br/>${host.inputs.instanceType ?? "?"}`, host.region, [host]);
  for (const assoc of g.ofType(T.eipAssociation))
    for (const eip of g.refs(assoc, T.eip)) addNode(nodeId(`ip_${eip.name}`), "ip", "Elastic IP", eip.region, [eip]);
  for (const v of g.ofType(T.volume)) {
    // A volume nothing attaches any more is the stage-2 data kept after the host went away.
    const attached = g.referrers(v, T.volumeAttachment).length + g.referrers(v, T.instance).length > 0;
    const label = `EBS ${localName(v)}<br/>${v.inputs.size ?? "?"} GiB ${v.inputs.type ?? ""}${attached ? "" : "<br/>detached, kept"}`;
    addNode(nodeId(`vol_${v.name}`), "volume", label, v.region, [v]);
  }
  for (const lb of g.ofType(T.loadBalancer)) {
    const internal = lb.inputs.internal === true;
    addNode(nodeId(`lb_${lb.name}`), "loadBalancer", internal ? "internal ALB" : "ALB<br/>internet-facing", lb.region, [lb]);
  }
  for (const asg of g.ofType(T.asg)) {
    const lt = g.refs(asg, T.launchTemplate)[0];
    const policies = g.referrers(asg, T.scalingPolicy).map((p) => String(p.inputs.policyType ?? "SimpleScaling"));
    const scaling = policies.includes("StepScaling")
      ? "step scaling on CPU alarms"
      : policies.includes("TargetTrackingScaling")
        ? "target tracking"
        : "";
    const name = localName(asg).replace(/-asg$/, "");
    addNode(
      nodeId(`asg_${asg.name}`),
      "compute",
      [`${name} ASG`, `${asg.inputs.minSize}–${asg.inputs.maxSize} × ${lt?.inputs.instanceType ?? "?"}`, scaling]
        .filter(Boolean)
        .join("<br/>"),
      asg.region,
      [asg],
    );
  }
  // Aurora: a cluster's instances fold into it; a domain's shards in one region fold into one node.
  const clustersByNode = new Map<string, ResourceRecord[]>();
  for (const c of g.ofType(T.cluster)) {
    const domain = c.inputs.tags?.["scaling:domain"];
    const id = nodeId(`db_${c.region}_${domain ?? localName(c)}`);
    clustersByNode.set(id, [...(clustersByNode.get(id) ?? []), c]);
    addNode(id, "database", "", c.region, [c, ...g.referrers(c, T.clusterInstance)]);
  }
  for (const [id, clusters] of clustersByNode) {
    const c = clusters[0];
    const domain = c.inputs.tags?.["scaling:domain"];
    const instances = g.referrers(c, T.clusterInstance);
    const secondary = g.refs(c, T.globalCluster).length > 0 && g.ofType(T.globalCluster).every((gc) => !g.refs(gc, T.cluster).includes(c));
    const classes = [...new Set(instances.map((i) => String(i.inputs.instanceClass)))].join(", ");
    const each = clusters.length > 1 ? " each" : "";
    const roles = secondary
      ? `${plural(instances.length, "read-only instance")}${each}`
      : instances.length === 0
        ? "no instances"
        : `writer${instances.length > 1 ? ` + ${plural(instances.length - 1, "reader")}` : ""}${each}`;
    const title = `Aurora ${domain ?? "PostgreSQL"}${clusters.length > 1 ? ` ×${clusters.length} shards` : ""}${secondary ? " (secondary)" : ""}`;
    nodes.get(id)!.label = `${title}<br/>${roles}<br/>${classes}`;
  }
  for (const rg of g.ofType(T.cache))
    addNode(
      nodeId(`cache_${rg.name}`),
      "cache",
      `ElastiCache Redis<br/>${plural(Number(rg.inputs.numCacheClusters ?? 1), "node")} ${rg.inputs.nodeType ?? ""}`.trim(),
      rg.region,
      [rg],
    );
  const replicaIds = new Map<string, string>();
  for (const t of g.ofType(T.table)) {
    const replicas: string[] = (t.inputs.replicas ?? []).map((x: { regionName: string }) => x.regionName);
    const kind = replicas.length ? "global table" : "on demand";
    const id = addNode(nodeId(`table_${t.name}`), "table", `DynamoDB ${localName(t)}<br/>${kind}`, t.region, [t]).id;
    for (const region of replicas) {
      const rid = nodeId(`table_${t.name}_${region}`);
      nodes.set(rid, { id: rid, kind: "table", label: `DynamoDB ${localName(t)}<br/>replica`, region, members: [t.urn] });
      replicaIds.set(`${t.urn}|${region}`, rid);
      addEdge(id, rid, "replication", "global table");
    }
  }
  for (const nat of g.ofType(T.nat)) {
    const az = g.refs(nat, T.subnet)[0]?.inputs.availabilityZone;
    addNode(nodeId(`nat_${nat.name}`), "nat", `NAT gateway${az ? `<br/>${az}` : ""}`, nat.region, [nat]);
  }

  // ---- edges ----------------------------------------------------------------------------------
  const node = (r: ResourceRecord | undefined) => (r ? nodeOf.get(r.urn) : undefined);
  /** The compute nodes (ASGs, hosts, functions) that run with a launch template / profile / role. */
  const computeUsing = (r: ResourceRecord, seen = new Set<string>()): string[] => {
    if (seen.has(r.urn)) return [];
    seen.add(r.urn);
    const own = nodeOf.get(r.urn);
    if (own) return [own];
    const through = [T.launchTemplate, T.instanceProfile, T.asg, T.instance, T.lambda];
    return (g.dependents.get(r.urn) ?? []).filter((d) => through.includes(d.type)).flatMap((d) => computeUsing(d, seen));
  };
  // In a region with a replica, a table is read and written through the replica.
  const tableIn = (table: string, region: string | null) => (region && replicaIds.get(`${table}|${region}`)) || nodeOf.get(table);

  // Direct references between nodes (a host's volume, an API's function, a site's API, a CDN's bucket).
  for (const n of nodes.values())
    for (const m of n.members) {
      const r = g.byUrn.get(m);
      if (!r || r.type === T.table || r.type === T.record) continue;
      for (const d of g.deps(r)) {
        const to = nodeOf.get(d);
        if (to && to !== n.id && nodes.get(to)!.kind !== "nat")
          addEdge(n.id, to, nodes.get(to)!.kind === "volume" ? "attached" : "traffic");
      }
    }
  // An Elastic IP forwards to the instance it is associated with.
  for (const a of g.ofType(T.eipAssociation)) addEdge(node(g.refs(a, T.eip)[0]), node(g.refs(a, T.instance)[0]), "traffic");
  for (const a of g.ofType(T.volumeAttachment)) addEdge(node(g.refs(a, T.instance)[0]), node(g.refs(a, T.volume)[0]), "attached");
  // DNS records: the zone answers with what each record aliases or points at.
  const recordTargets = (rec: ResourceRecord) =>
    g
      .deps(rec)
      .map((u) => nodeOf.get(u))
      .filter((id): id is string => !!id && nodes.get(id)!.kind !== "dns");
  for (const rec of g.ofType(T.record)) {
    const zone = node(g.refs(rec, T.zone)[0]);
    const routing = rec.inputs.latencyRoutingPolicies?.length
      ? "latency"
      : rec.inputs.failoverRoutingPolicies?.length
        ? "failover"
        : undefined;
    for (const target of recordTargets(rec)) addEdge(zone, target, "traffic", routing);
  }
  // CloudFront origins: each origin's cache behaviours, to what its domain name resolves to.
  for (const d of g.ofType(T.distribution)) {
    const referenced = (d.propertyDependencies?.origins ?? []).map((u) => g.byUrn.get(u)).filter((x): x is ResourceRecord => !!x);
    const behaviours = [d.inputs.defaultCacheBehavior, ...(d.inputs.orderedCacheBehaviors ?? [])].filter(Boolean);
    for (const origin of d.inputs.origins ?? []) {
      const paths = behaviours
        .filter((b: { targetOriginId?: string }) => b.targetOriginId === origin.originId)
        .map((b: { pathPattern?: string }) => b.pathPattern ?? "default");
      const records = g.ofType(T.record).filter((rec) => String(rec.inputs.name ?? "").replace(/\.$/, "") === origin.domainName);
      const targets = records.length
        ? records.flatMap(recordTargets)
        : referenced
            .filter((r) => (origin.originAccessControlId || origin.s3OriginConfig ? r.type === T.bucket : r.type === T.loadBalancer))
            .map((r) => nodeOf.get(r.urn));
      for (const t of targets) addEdge(node(d), t, "traffic", paths.join(" "));
    }
  }
  // Load balancers forward to the compute registered in the target groups of their listeners.
  const forward = (lb: string | undefined, targetGroupUrns: string[], label?: string) => {
    for (const tg of targetGroupUrns)
      for (const user of g.dependents.get(tg) ?? []) {
        if (user.type === T.asg) addEdge(lb, node(user), "traffic", label);
        if (user.type === T.targetGroupAttachment) for (const i of g.refs(user, T.instance)) addEdge(lb, node(i), "traffic", label);
      }
  };
  for (const l of g.ofType(T.listener)) forward(node(g.refs(l, T.loadBalancer)[0]), l.propertyDependencies?.defaultActions ?? []);
  for (const rule of g.ofType(T.listenerRule)) {
    const lb = node(g.refs(rule, T.listener).flatMap((l) => g.refs(l, T.loadBalancer))[0]);
    const paths = (rule.inputs.conditions ?? []).flatMap((c: { pathPattern?: { values?: string[] } }) => c.pathPattern?.values ?? []);
    forward(lb, rule.propertyDependencies?.actions ?? [], paths.join(" ") || undefined);
  }
  // Security-group rules: "members of A may reach members of B on port P" is a traffic edge.
  const sgMembers = (sg: string) => (g.dependents.get(sg) ?? []).flatMap((r) => computeUsing(r)).concat();
  for (const rule of g.ofType(T.ingressRule)) {
    const to = rule.propertyDependencies?.securityGroupId ?? [];
    const from = rule.propertyDependencies?.referencedSecurityGroupId ?? [];
    for (const a of from.flatMap(sgMembers)) for (const b of to.flatMap(sgMembers)) addEdge(a, b, "traffic");
  }
  // IAM grants: compute whose role may use a table / cache / cluster talks to it.
  for (const p of g.ofType(T.rolePolicy)) {
    const users = (p.propertyDependencies?.role ?? [])
      .map((u) => g.byUrn.get(u))
      .filter((x): x is ResourceRecord => !!x)
      .flatMap((r) => computeUsing(r));
    for (const target of p.propertyDependencies?.policy ?? []) {
      const t = g.byUrn.get(target);
      if (!t || !nodeOf.get(t.urn)) continue;
      for (const u of users) addEdge(u, t.type === T.table ? tableIn(t.urn, nodes.get(u)!.region) : nodeOf.get(t.urn), "traffic");
    }
  }
  // Aurora Global Database: the source cluster replicates to every cluster that joins the global cluster.
  for (const gc of g.ofType(T.globalCluster)) {
    const source = node(g.refs(gc, T.cluster)[0]);
    for (const member of g.referrers(gc, T.cluster)) addEdge(source, node(member), "replication", "global database");
  }
  // Egress: compute in subnets whose route table sends the default route to a NAT gateway.
  const natsForSubnet = (subnet: string) =>
    (g.dependents.get(subnet) ?? [])
      .filter((a) => a.type === T.routeTableAssociation)
      .flatMap((a) => (a.propertyDependencies?.routeTableId ?? []).flatMap((rt) => g.dependents.get(rt) ?? []))
      .filter((route) => route.type === T.route)
      .flatMap((route) => (route.propertyDependencies?.natGatewayId ?? []).map((u) => nodeOf.get(u)));
  for (const n of nodes.values()) {
    if (n.kind !== "compute" && n.kind !== "host") continue;
    const r = g.byUrn.get(n.members[0])!;
    for (const subnet of g.refs(r, T.subnet)) for (const nat of natsForSubnet(subnet.urn)) addEdge(n.id, nat, "egress");
  }

  // Users reach every public entry point that no other node fronts.
  const fronted = new Set([...edges.values()].filter((e) => e.kind === "traffic").map((e) => e.to));
  const entries = [...nodes.values()].filter(
    (n) => (PUBLIC_KINDS.has(n.kind) || (n.kind === "loadBalancer" && !n.label.startsWith("internal"))) && !fronted.has(n.id),
  );
  if (entries.length) {
    nodes.set("users", { id: "users", kind: "users", label: "Users", region: null, members: [] });
    for (const e of entries) addEdge("users", e.id, "traffic");
  }

  const used = new Set([...nodes.values()].map((n) => n.region).filter((r): r is string => !!r));
  const regions = [...planRegions.filter((r) => used.has(r)), ...[...used].filter((r) => !planRegions.includes(r)).sort()];
  return { nodes: [...nodes.values()], edges: [...edges.values()], regions };
}

const KIND_ORDER: NodeKind[] = [
  "users",
  "dns",
  "cdn",
  "amplify",
  "api",
  "function",
  "ip",
  "loadBalancer",
  "host",
  "compute",
  "cache",
  "database",
  "table",
  "bucket",
  "volume",
  "nat",
];
const SHAPES: Partial<Record<NodeKind, [string, string]>> = {
  users: ["((", "))"],
  database: ["[(", ")]"],
  table: ["[(", ")]"],
  cache: ["[(", ")]"],
  bucket: ["[(", ")]"],
  volume: ["[(", ")]"],
  loadBalancer: ["{{", "}}"],
  nat: ["[/", "/]"],
};
const ARROWS: Record<EdgeKind, string> = { traffic: "-->", replication: "-.->", egress: "-.->", attached: "---" };
const escape = (s: string) => s.replace(/"/g, "#quot;");

/** A mermaid flowchart of the architecture: one group per region, global services outside. */
export function renderArchitectureMermaid(arch: Architecture): string {
  const lines = ["flowchart TB"];
  const sorted = [...arch.nodes].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || a.id.localeCompare(b.id));
  const shape = (n: ArchNode) => {
    const [open, close] = SHAPES[n.kind] ?? ["[", "]"];
    return `${n.id}${open}"${escape(n.label)}"${close}`;
  };
  for (const n of sorted.filter((n) => !n.region)) lines.push(`  ${shape(n)}`);
  // A region's NAT gateways share one box, and egress edges point at the box: one edge per
  // compute node instead of one per compute node and AZ.
  const natGroup = new Map<string, string>();
  for (const region of arch.regions) {
    lines.push(`  subgraph ${nodeId("region_" + region)}["${region}"]`);
    lines.push("    direction TB");
    const members = sorted.filter((n) => n.region === region);
    for (const n of members.filter((n) => n.kind !== "nat")) lines.push(`    ${shape(n)}`);
    const nats = members.filter((n) => n.kind === "nat");
    if (nats.length) {
      const group = nodeId(`nat_${region}`);
      lines.push(`    subgraph ${group}["${nats.length > 1 ? `NAT gateway per AZ (${nats.length})` : "NAT gateway"}"]`);
      for (const n of nats) {
        lines.push(`      ${shape(n)}`);
        natGroup.set(n.id, group);
      }
      lines.push("    end");
    }
    lines.push("  end");
  }
  const drawn = new Set<string>();
  for (const e of arch.edges) {
    const to = (e.kind === "egress" && natGroup.get(e.to)) || e.to;
    const label = e.kind === "egress" && to !== e.to ? "egress" : e.label;
    const line = `  ${e.from} ${ARROWS[e.kind]}${label ? `|"${escape(label)}"|` : ""} ${to}`;
    if (!drawn.has(line)) lines.push(line);
    drawn.add(line);
  }
  return lines.join("\n") + "\n";
}
