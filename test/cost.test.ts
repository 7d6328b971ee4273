import * as assert from "node:assert/strict";
import type { Capture } from "../tools/capture";
import {
  costDelta,
  DEFAULT_ASSUMPTIONS,
  estimateCost,
  loadPrices,
  parseAssumptions,
  PriceEntry,
  PriceTable,
  renderCostDelta,
  unpricedWarning,
} from "../tools/cost";
import { runPlan } from "../tools/plan";
import { plan, resourceRecord } from "./helpers";

const rec = resourceRecord;
const src = { unit: "u", source: "https://aws.amazon.com/example/", read: "2026-11-30" };

/** A hand-written price table with round numbers, so the expected totals can be worked out on paper. */
const PRICES: PriceTable = {
  currency: "USD",
  baseRegion: "us-east-1",
  priceDate: "2026-11-30",
  hoursPerMonth: { value: 100 },
  regionFactors: { "us-east-1": { factor: 1 }, "eu-west-1": { factor: 1.5 } },
  prices: {
    "ec2.instanceHour": { "t4g.small": { price: 0.02, ...src } },
    "ebs.gp3GbMonth": { price: 0.1, ...src },
    "nat.hour": { price: 0.05, ...src },
    "nat.gbProcessed": { price: 0.1, ...src },
    "kms.keyMonth": { price: 1, ...src },
    "cloudwatch.alarmMonth": { price: null, ...src, note: "not found" },
  },
};

/** web component (us-east-1): an ASG of min 2 × t4g.small with 10 GB roots; network (eu-west-1): a NAT and a key; one alarm. */
function smallCapture(): Capture {
  const web = rec({ urn: "urn:web", type: "scaling:webtier:WebTier", name: "web", custom: false, region: null });
  const net = rec({ urn: "urn:net", type: "scaling:network:Network", name: "net", custom: false, region: null });
  const lt = rec({
    urn: "urn:lt",
    type: "aws:ec2/launchTemplate:LaunchTemplate",
    name: "lt",
    parent: "urn:web",
    inputs: { instanceType: "t4g.small", blockDeviceMappings: [{ ebs: { volumeSize: 10 } }] },
  });
  const asg = rec({
    urn: "urn:asg",
    type: "aws:autoscaling/group:Group",
    name: "asg",
    parent: "urn:web",
    inputs: { minSize: 2, maxSize: 5 },
    propertyDependencies: { launchTemplate: ["urn:lt"] },
  });
  const nat = rec({ urn: "urn:nat", type: "aws:ec2/natGateway:NatGateway", name: "nat", parent: "urn:net", region: "eu-west-1" });
  const key = rec({ urn: "urn:key", type: "aws:kms/key:Key", name: "key", parent: "urn:net", region: "eu-west-1" });
  const alarm = rec({ urn: "urn:alarm", type: "aws:cloudwatch/metricAlarm:MetricAlarm", name: "alarm", parent: "urn:web" });
  return { project: "p", stack: "s", resources: [web, net, lt, asg, nat, key, alarm], outputs: {}, warnings: [] };
}

describe("monthly cost estimate", () => {
  it("adds up a small hand-computed case, by component and by region", () => {
    const est = estimateCost(smallCapture(), PRICES, { ...DEFAULT_ASSUMPTIONS, natGbPerMonth: 40 });
    // WebTier, us-east-1: 2 instances × 100 h × $0.02 = $4.00; 2 × 10 GB × $0.10 = $2.00
    // Network, eu-west-1 (× 1.5): NAT 100 h × $0.05 × 1.5 = $7.50; 40 GB × $0.10 × 1.5 = $6.00; key $1 × 1.5 = $1.50
    assert.equal(est.total, 21);
    assert.deepEqual(est.breakdown.byComponent, [
      { component: "Network", monthly: 15 },
      { component: "WebTier", monthly: 6 },
    ]);
    assert.deepEqual(est.breakdown.byRegion, [
      { region: "eu-west-1", monthly: 15 },
      { region: "us-east-1", monthly: 6 },
    ]);
    // a price the table does not have is listed, not guessed
    assert.deepEqual(
      est.unpriced.map((u) => u.resource),
      ["alarm"],
    );
    assert.equal(est.currency, "USD");
    assert.equal(est.priceDate, "2026-11-30");
  });

  it("prices an ASG at its maximum when asked, and a region without a factor is not priced", () => {
    const max = estimateCost(smallCapture(), PRICES, { ...DEFAULT_ASSUMPTIONS, natGbPerMonth: 40, asgSize: "max" });
    // 5 × 100 × 0.02 = 10; 5 × 10 × 0.1 = 5; network unchanged at 15
    assert.equal(max.total, 30);
    const noFactor = { ...PRICES, regionFactors: { "us-east-1": { factor: 1 } } };
    const est = estimateCost(smallCapture(), noFactor, { ...DEFAULT_ASSUMPTIONS, natGbPerMonth: 40 });
    assert.equal(est.total, 6);
    assert.ok(est.unpriced.some((u) => u.resource === "nat" && /no region factor for eu-west-1/.test(u.reason)));
  });

  it("--assume overrides are checked: unknown keys and bad values name the key and what is allowed", () => {
    assert.equal(parseAssumptions(["trafficGbPerMonth=500"]).trafficGbPerMonth, 500);
    assert.throws(() => parseAssumptions(["trafic=5"]), /unknown assumption "trafic".*allowed: trafficGbPerMonth/);
    assert.throws(() => parseAssumptions(["natGbPerMonth=-1"]), /natGbPerMonth must be a number ≥ 0, got "-1"/);
    assert.throws(() => parseAssumptions(["asgSize=half"]), /asgSize must be "min" or "max"/);
  });

  it("the price table is dated and sourced, and prices every instance type, class and node type the stacks use", async () => {
    const prices = loadPrices();
    assert.match(prices.priceDate, /^\d{4}-\d{2}-\d{2}$/);
    const entries: [string, PriceEntry][] = Object.entries(prices.prices).flatMap(([k, v]) =>
      "price" in v
        ? [[k, v as PriceEntry]]
        : Object.entries(v as Record<string, PriceEntry>).map(([n, e]) => [`${k} ${n}`, e] as [string, PriceEntry]),
    );
    for (const [key, e] of entries) {
      assert.match(e.source, /^https:\/\/(aws\.amazon\.com|calculator\.aws)\//, key);
      assert.match(e.read ?? "", /^\d{4}-\d{2}-\d{2}$/, key);
      assert.ok(e.readVia, `${key} says where the number was read`);
      if (e.price === null) assert.ok(e.note, `${key} has no price: it must say so`);
      else assert.ok(typeof e.price === "number" && e.price > 0, key);
    }
    for (const selection of [{ stack: "prod" }, { stack: "dev", stage: 5 }, { stack: "dev", stage: 3 }]) {
      const est = estimateCost(await plan(selection), prices);
      const sized = est.unpriced.filter((u) => /instanceHour|nodeHour/.test(u.reason));
      assert.deepEqual(sized, [], JSON.stringify(selection));
      assert.ok(est.total > 0);
    }
  });

  it("a delta says when an item has no price: a move to an unpriced instance type is not a saving", async () => {
    const prices = loadPrices();
    const from = estimateCost(await plan({ stack: "dev", stage: 5 }), prices);
    const to = estimateCost(await plan({ stack: "dev", stage: 5, set: ["compute.instanceType=t4g.large"] }), prices);
    assert.ok(!JSON.stringify(prices.prices).includes('"t4g.large"'), "t4g.large has no price in data/prices.json");
    const d = costDelta(from, to);
    assert.ok(d.unpriced.to > d.unpriced.from);
    assert.match(renderCostDelta(d), /delta incomplete: \d+ item\(s\) of the target/);
    assert.equal(unpricedWarning(costDelta(from, from)) === "", from.unpriced.length === 0);
  });

  it("plan --json carries the estimate; the tree ends with it; --compare shows the monthly delta", async () => {
    const json = await runPlan(["--stage", "5", "--json", "--assume", "trafficGbPerMonth=300"]);
    assert.equal(json.code, 0, json.stderr);
    const cost = JSON.parse(json.stdout).cost;
    for (const key of ["currency", "total", "breakdown", "assumptions", "priceDate", "source", "note"]) assert.ok(key in cost, key);
    assert.equal(cost.assumptions.trafficGbPerMonth, 300);
    assert.match(cost.note, /estimate/i);
    const componentSum = cost.breakdown.byComponent.reduce((s: number, x: { monthly: number }) => s + x.monthly, 0);
    assert.ok(Math.abs(componentSum - cost.total) < 0.05);

    const tree = await runPlan(["--stage", "5"]);
    assert.match(tree.stdout, /Estimated monthly cost: \$\d+\.\d\d \(ESTIMATE/);
    assert.ok(tree.stdout.trimEnd().split("\n").pop()!.includes("--assume"), "the tree ends with the estimate");

    const four = JSON.parse((await runPlan(["--stage", "4", "--json"])).stdout).cost.total;
    const five = JSON.parse((await runPlan(["--stage", "5", "--json"])).stdout).cost.total;
    const compare = await runPlan(["--stage", "4", "--compare", "5", "--json"]);
    const delta = JSON.parse(compare.stdout).cost;
    assert.equal(delta.from, four);
    assert.equal(delta.to, five);
    assert.equal(delta.delta, Math.round((five - four) * 100) / 100);
    assert.ok(delta.byComponent.some((x: { component: string; from: number }) => x.component === "Cache" && x.from === 0));
    const text = await runPlan(["--stage", "4", "--compare", "5"]);
    assert.ok(text.stdout.includes(`Estimated monthly cost: $${four.toFixed(2)} → $${five.toFixed(2)}`), text.stdout.slice(-400));
  });
});
