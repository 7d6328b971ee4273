import * as assert from "node:assert/strict";
import { Architecture, ArchNode, buildArchitecture, renderArchitectureMermaid } from "../tools/architecture";
import type { Capture } from "../tools/capture";
import { runPlan } from "../tools/plan";
import { planRegions } from "../tools/render";
import { ofType, plan } from "./helpers";

const arch = (c: Capture) => buildArchitecture(c, planRegions(c));
const nodesOf = (a: Architecture, kind: ArchNode["kind"], region?: string | null) =>
  a.nodes.filter((n) => n.kind === kind && (region === undefined || n.region === region));
const oneNode = (a: Architecture, kind: ArchNode["kind"], pred: (n: ArchNode) => boolean = () => true) => {
  const found = a.nodes.filter((n) => n.kind === kind && pred(n));
  assert.equal(found.length, 1, `one ${kind} node expected, found ${found.map((n) => n.id).join(", ") || "none"}`);
  return found[0];
};
const edge = (a: Architecture, from: ArchNode, to: ArchNode) => a.edges.find((e) => e.from === from.id && e.to === to.id);
const hasEdge = (a: Architecture, from: ArchNode, to: ArchNode) => assert.ok(edge(a, from, to), `edge ${from.id} → ${to.id}`);
/** A capture without the resources a predicate picks, as if the program had not created them. */
const without = (c: Capture, drop: (r: Capture["resources"][number]) => boolean): Capture => ({
  ...c,
  resources: c.resources.filter((r) => !drop(r)),
});

describe("architecture diagram (plan --mermaid)", () => {
  it("prod: the traffic path from users to data, one group per region, at most 40 nodes", async () => {
    const capture = await plan({ stack: "prod" });
    const a = arch(capture);
    const [primary, secondary] = planRegions(capture);
    assert.ok(a.nodes.length <= 40, `${a.nodes.length} nodes`);
    assert.deepEqual(a.regions, planRegions(capture));

    const users = oneNode(a, "users");
    const dns = oneNode(a, "dns");
    const cdn = oneNode(a, "cdn");
    hasEdge(a, users, dns);
    hasEdge(a, dns, cdn);
    assert.equal(a.edges.filter((e) => e.from === users.id).length, 1, "users enter through DNS only");
    const staticBuckets = nodesOf(a, "bucket").filter((b) => /\/static\/\*/.test(edge(a, cdn, b)?.label ?? ""));
    assert.equal(staticBuckets.length, 1, "CloudFront sends /static/* to one bucket");
    for (const region of [primary, secondary]) {
      const alb = oneNode(a, "loadBalancer", (n) => n.region === region && !n.label.startsWith("internal"));
      const ilb = oneNode(a, "loadBalancer", (n) => n.region === region && n.label.startsWith("internal"));
      const web = oneNode(a, "compute", (n) => n.region === region && n.label.startsWith("web "));
      const svc = oneNode(a, "compute", (n) => n.region === region && n.label.startsWith("svc-"));
      hasEdge(a, cdn, alb);
      assert.equal(edge(a, dns, alb)?.label, "latency");
      hasEdge(a, alb, web);
      hasEdge(a, web, ilb);
      hasEdge(a, ilb, svc);
      hasEdge(
        a,
        web,
        oneNode(a, "cache", (n) => n.region === region),
      );
      for (const db of nodesOf(a, "database", region)) hasEdge(a, web, db);
      const sessions = oneNode(a, "table", (n) => n.region === region && n.label.includes("sessions"));
      hasEdge(a, web, sessions);
      // one NAT node per NAT gateway of the region (one per AZ at stage 7)
      const nats = ofType(capture, "aws:ec2/natGateway:NatGateway").filter((r) => r.region === region);
      assert.equal(nodesOf(a, "nat", region).length, nats.length);
      assert.ok(nats.length >= 3);
    }
    // shards collapse per domain and region: one node per (region, domain), labelled with the count
    const clusters = ofType(capture, "aws:rds/cluster:Cluster");
    const domains = new Set(clusters.map((c) => `${c.region}/${c.inputs.tags["scaling:domain"]}`));
    assert.equal(nodesOf(a, "database").length, domains.size);
    assert.ok(a.nodes.some((n) => n.label.startsWith("Aurora orders ×2 shards")));
    // replication between regions: global database per domain, global tables
    for (const db of nodesOf(a, "database", primary)) {
      const repl = a.edges.filter((e) => e.from === db.id && e.kind === "replication");
      assert.equal(repl.length, 1, db.id);
      assert.equal(a.nodes.find((n) => n.id === repl[0].to)?.region, secondary);
    }
    const globalTables = a.edges.filter((e) => e.label === "global table");
    assert.equal(globalTables.length, ofType(capture, "aws:dynamodb/table:Table").length);
  });

  it("every node stands for captured resources, and the chart has one subgraph per region", async () => {
    const capture = await plan({ stack: "prod" });
    const a = arch(capture);
    const urns = new Set(capture.resources.map((r) => r.urn));
    for (const n of a.nodes) if (n.kind !== "users") assert.ok(n.members.length > 0 && n.members.every((u) => urns.has(u)), n.id);
    const chart = renderArchitectureMermaid(a);
    assert.match(chart, /^flowchart /);
    assert.equal((chart.match(/^\s*subgraph region_/gm) ?? []).length, planRegions(capture).length);
    assert.equal((chart.match(/^\s*subgraph /gm) ?? []).length, (chart.match(/^\s*end$/gm) ?? []).length);
  });

  it("a capability the stage lacks has no node: stage 4 has no cache, stage 5 gains it", async () => {
    const [four, five] = [arch(await plan({ stack: "dev", stage: 4 })), arch(await plan({ stack: "dev", stage: 5 }))];
    assert.equal(nodesOf(four, "cache").length, 0);
    assert.equal(nodesOf(four, "cdn").length, 0);
    assert.equal(nodesOf(five, "cache").length, 1);
    // without a CDN users reach the ALB; with one, the CDN fronts it
    const users4 = oneNode(four, "users");
    hasEdge(four, users4, oneNode(four, "loadBalancer"));
    hasEdge(five, oneNode(five, "users"), oneNode(five, "cdn"));
    assert.ok(!edge(five, oneNode(five, "users"), oneNode(five, "loadBalancer")));
  });

  it("nodes and edges follow the captured graph: drop a resource or a rule and it is gone", async () => {
    const capture = await plan({ stack: "dev", stage: 5 });
    const full = arch(capture);
    const web = oneNode(full, "compute");
    const db = oneNode(full, "database");
    hasEdge(full, web, db);

    const noCache = arch(without(capture, (r) => r.type === "aws:elasticache/replicationGroup:ReplicationGroup"));
    assert.equal(nodesOf(noCache, "cache").length, 0);
    assert.ok(noCache.edges.every((e) => noCache.nodes.some((n) => n.id === e.to) && noCache.nodes.some((n) => n.id === e.from)));

    // the web → database edge comes from the security-group rule (and the secret grant): drop both
    const isolated = arch(without(capture, (r) => /db-from-web|read-db-secret/.test(r.name)));
    assert.ok(!edge(isolated, oneNode(isolated, "compute"), oneNode(isolated, "database")));
  });

  it("stage 1 is Amplify, an HTTP API and a Lambda; stages 2–3 a host with an Elastic IP and its volume", async () => {
    const one = arch(await plan({ stack: "dev", stage: 1 }));
    const amplify = oneNode(one, "amplify");
    hasEdge(one, oneNode(one, "users"), amplify);
    hasEdge(one, oneNode(one, "api"), oneNode(one, "function"));
    assert.equal(nodesOf(one, "nat").length + nodesOf(one, "host").length + nodesOf(one, "loadBalancer").length, 0);

    const three = arch(await plan({ stack: "dev", stage: 3 }));
    const host = oneNode(three, "host");
    hasEdge(three, oneNode(three, "users"), oneNode(three, "ip"));
    hasEdge(three, oneNode(three, "ip"), host);
    hasEdge(three, host, oneNode(three, "volume"));
    hasEdge(three, host, oneNode(three, "database"));
  });

  it("--mermaid prints the architecture; --mermaid --resources the resource-level view", async () => {
    const arch = await runPlan(["--stage", "5", "--mermaid"]);
    assert.equal(arch.code, 0, arch.stderr);
    assert.match(arch.stdout, /CloudFront/);
    assert.doesNotMatch(arch.stdout, /SecurityGroupIngressRule/);
    const resources = await runPlan(["--stage", "5", "--mermaid", "--resources"]);
    assert.equal(resources.code, 0, resources.stderr);
    assert.match(resources.stdout, /SecurityGroup/);
    const bad = await runPlan(["--resources"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--mermaid --resources/);
  });
});
