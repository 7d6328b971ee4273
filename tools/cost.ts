/**
 * The monthly cost estimate of an offline plan: every captured resource priced from the dated
 * price table `data/prices.json`, with usage-driven items (traffic, requests, storage) taken from
 * stated assumptions the user can override (`npm run plan -- --assume trafficGbPerMonth=500`).
 *
 * It is an estimate, not a quote: on-demand list prices of one region times a per-region factor,
 * no free tiers, no Savings Plans or reservations, no taxes. A resource whose price the table does
 * not have is listed under "not priced" rather than guessed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Capture, ResourceRecord } from "./capture";
import { UsageError } from "./cli";

export const PRICES_FILE = path.resolve(__dirname, "..", "data", "prices.json");

export interface PriceEntry {
  price: number | null;
  unit: string;
  source: string;
  readVia?: string;
  read?: string;
  note?: string;
}

export interface PriceTable {
  currency: string;
  baseRegion: string;
  priceDate: string;
  hoursPerMonth: { value: number };
  regionFactors: Record<string, { factor: number; note?: string }>;
  prices: Record<string, PriceEntry | Record<string, PriceEntry>>;
}

export function loadPrices(file = PRICES_FILE): PriceTable {
  return JSON.parse(fs.readFileSync(file, "utf8")) as PriceTable;
}

/** Usage the estimate cannot read from the program; each can be overridden with `--assume key=value`. */
export interface Assumptions {
  /** Data served to users per month, all regions together (GB). */
  trafficGbPerMonth: number;
  /** Requests from users per month (millions). */
  requestsMillionsPerMonth: number;
  /** Data through all NAT gateways together per month (GB). */
  natGbPerMonth: number;
  /** Load balancer capacity units each load balancer uses on average. */
  lcuPerLoadBalancer: number;
  /** Data stored in each Aurora cluster (GB). */
  auroraStorageGbPerCluster: number;
  /** Aurora storage I/O per cluster per month (millions of requests). */
  auroraIoMillionsPerCluster: number;
  /** Writes and reads per DynamoDB table per month (millions of request units). */
  dynamodbWritesMillionsPerTable: number;
  dynamodbReadsMillionsPerTable: number;
  /** Data stored per DynamoDB table (GB). */
  dynamodbStorageGbPerTable: number;
  /** Static assets in the S3 bucket or the Amplify app (GB). */
  staticStorageGb: number;
  /** Average Lambda duration (ms). Invocations are the user requests. */
  lambdaAvgDurationMs: number;
  /** Auto Scaling groups are priced at their minimum size ("min") or their maximum ("max"). */
  asgSize: "min" | "max";
}

export const DEFAULT_ASSUMPTIONS: Assumptions = {
  trafficGbPerMonth: 100,
  requestsMillionsPerMonth: 10,
  natGbPerMonth: 50,
  lcuPerLoadBalancer: 1,
  auroraStorageGbPerCluster: 20,
  auroraIoMillionsPerCluster: 20,
  dynamodbWritesMillionsPerTable: 1,
  dynamodbReadsMillionsPerTable: 5,
  dynamodbStorageGbPerTable: 1,
  staticStorageGb: 1,
  lambdaAvgDurationMs: 100,
  asgSize: "min",
};

/** Applies `key=value` overrides, rejecting unknown keys and bad values with a clear message. */
export function parseAssumptions(pairs: string[], base: Assumptions = DEFAULT_ASSUMPTIONS): Assumptions {
  const out: Assumptions = { ...base };
  const keys = Object.keys(DEFAULT_ASSUMPTIONS);
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const key = eq < 0 ? pair : pair.slice(0, eq);
    const raw = eq < 0 ? "" : pair.slice(eq + 1).trim();
    if (!keys.includes(key)) {
      const close = keys.find((k) => k.toLowerCase() === key.toLowerCase() || k.toLowerCase().startsWith(key.toLowerCase()));
      throw new UsageError(
        `--assume ${pair}: unknown assumption "${key}"; allowed: ${keys.join(", ")}${close ? ` (did you mean ${close}?)` : ""}`,
      );
    }
    if (key === "asgSize") {
      if (raw !== "min" && raw !== "max") throw new UsageError(`--assume ${pair}: asgSize must be "min" or "max", got "${raw}"`);
      out.asgSize = raw;
      continue;
    }
    const value = Number(raw);
    if (raw === "" || !Number.isFinite(value) || value < 0)
      throw new UsageError(`--assume ${pair}: ${key} must be a number ≥ 0, got "${raw}"`);
    (out as unknown as Record<string, number>)[key] = value;
  }
  return out;
}

export interface CostLine {
  /** The capability component the resource belongs to (its nearest component ancestor's type). */
  component: string;
  /** Where it is billed; `global` for Route 53 and CloudFront. */
  region: string;
  resource: string;
  item: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  factor: number;
  monthly: number;
}

export interface Unpriced {
  component: string;
  region: string;
  resource: string;
  item: string;
  reason: string;
}

export interface CostEstimate {
  currency: string;
  /** Sum of the priced lines, rounded to cents. */
  total: number;
  breakdown: {
    byComponent: { component: string; monthly: number }[];
    byRegion: { region: string; monthly: number }[];
    lines: CostLine[];
  };
  unpriced: Unpriced[];
  assumptions: Assumptions;
  priceDate: string;
  source: string;
  note: string;
}

export const ESTIMATE_NOTE =
  "An estimate, not a quote: on-demand list prices (no free tier, Savings Plans or reservations, no taxes), " +
  "us-east-1 prices times a per-region factor, and usage from the stated assumptions.";

const GLOBAL = "global";
/** Route 53 and CloudFront are global services billed without a region. */
const GLOBAL_TYPES = new Set(["aws:route53/zone:Zone", "aws:route53/healthCheck:HealthCheck", "aws:cloudfront/distribution:Distribution"]);
/** Registered by the program but billed nothing on their own (networking glue, IAM, config). */
const NO_STANDING_CHARGE = [
  "aws:ec2/vpc:",
  "aws:ec2/subnet:",
  "aws:ec2/routeTable",
  "aws:ec2/route:",
  "aws:ec2/internetGateway:",
  "aws:ec2/securityGroup:",
  "aws:ec2/launchTemplate:",
  "aws:ec2/eipAssociation:",
  "aws:ec2/volumeAttachment:",
  "aws:vpc/",
  "aws:iam/",
  "aws:lb/listener",
  "aws:lb/targetGroup",
  "aws:autoscaling/policy:",
  "aws:acm/",
  "aws:ssm/parameter:",
  "aws:kms/alias:",
  "aws:rds/subnetGroup:",
  "aws:rds/clusterParameterGroup:",
  "aws:rds/globalCluster:",
  "aws:elasticache/subnetGroup:",
  "aws:elasticache/user",
  "aws:s3/bucketOwnershipControls:",
  "aws:s3/bucketPolicy:",
  "aws:s3/bucketPublicAccessBlock:",
  "aws:s3/bucketServerSideEncryptionConfiguration:",
  "aws:s3/bucketVersioning:",
  "aws:s3/bucketLifecycleConfiguration:",
  "aws:s3/bucketLogging:",
  "aws:cloudfront/originAccessControl:",
  "aws:secretsmanager/secretVersion:",
  "aws:sns/",
  "aws:lambda/permission:",
  "aws:amplify/branch:",
  "aws:cloudwatch/logGroup:",
  "aws:route53/record:",
  "random:",
  "pulumi:",
  "pulumi-nodejs:dynamic/",
];

const round = (n: number) => Math.round(n * 100) / 100;

/** Prices a captured plan. Pure: the same capture, prices and assumptions give the same estimate. */
export function estimateCost(capture: Capture, prices: PriceTable, assumptions: Assumptions = DEFAULT_ASSUMPTIONS): CostEstimate {
  const byUrn = new Map(capture.resources.map((r) => [r.urn, r]));
  const hours = prices.hoursPerMonth.value;
  const lines: CostLine[] = [];
  const unpriced: Unpriced[] = [];

  const componentOf = (r: ResourceRecord): string => {
    for (let p = r.parent ? byUrn.get(r.parent) : undefined; p; p = p.parent ? byUrn.get(p.parent) : undefined) {
      if (!p.custom && !p.type.startsWith("scaling:platform:") && !p.type.startsWith("scaling:region:")) return p.type.split(":").pop()!;
    }
    return "(stack)";
  };
  const regionOf = (r: ResourceRecord) => (GLOBAL_TYPES.has(r.type) ? GLOBAL : (r.region ?? GLOBAL));
  const factorOf = (region: string) => (region === GLOBAL ? 1 : prices.regionFactors[region]?.factor);
  const entry = (key: string, variant?: string): PriceEntry | undefined => {
    const e = prices.prices[key] as PriceEntry | Record<string, PriceEntry> | undefined;
    if (!e) return undefined;
    if (variant === undefined) return "price" in e ? (e as PriceEntry) : undefined;
    return "price" in e ? undefined : (e as Record<string, PriceEntry>)[variant];
  };

  /** Adds `quantity × price[key]` for a resource, or records why it cannot be priced. */
  const charge = (r: ResourceRecord, item: string, quantity: number, key: string, variant?: string) => {
    if (quantity === 0) return;
    const component = componentOf(r);
    const region = regionOf(r);
    const e = entry(key, variant);
    const factor = factorOf(region);
    const what = variant ? `${key} ${variant}` : key;
    if (!e || e.price === null) {
      unpriced.push({
        component,
        region,
        resource: r.name,
        item,
        reason: `no price for ${what} in data/prices.json${e?.note ? ` (${e.note})` : ""}`,
      });
      return;
    }
    if (factor === undefined) {
      unpriced.push({ component, region, resource: r.name, item, reason: `no region factor for ${region} in data/prices.json` });
      return;
    }
    lines.push({
      component,
      region,
      resource: r.name,
      item,
      quantity,
      unit: e.unit,
      unitPrice: e.price,
      factor,
      monthly: quantity * e.price * factor,
    });
  };

  const ofType = (type: string) => capture.resources.filter((r) => r.type === type);
  const count = (types: string[]) => capture.resources.filter((r) => types.includes(r.type)).length;
  // Usage is split evenly between the resources that carry it.
  const distributions = ofType("aws:cloudfront/distribution:Distribution");
  const publicLbs = ofType("aws:lb/loadBalancer:LoadBalancer").filter((r) => r.inputs.internal !== true);
  const hosts = ofType("aws:ec2/instance:Instance");
  const amplifyApps = ofType("aws:amplify/app:App");
  const nats = ofType("aws:ec2/natGateway:NatGateway");
  const apis = count(["aws:apigatewayv2/api:Api"]);
  const functions = ofType("aws:lambda/function:Function");
  // Who serves the users' bytes: the CDN when there is one, else Amplify, else the load balancers or the host.
  const edge = distributions.length ? distributions : amplifyApps.length ? amplifyApps : publicLbs.length ? publicLbs : hosts;

  for (const r of capture.resources) {
    if (!r.custom) continue;
    const i = r.inputs;
    switch (r.type) {
      case "aws:ec2/instance:Instance":
        charge(r, `${i.instanceType} instance`, hours, "ec2.instanceHour", String(i.instanceType));
        charge(r, "root volume", Number(i.rootBlockDevice?.volumeSize ?? 0), "ebs.gp3GbMonth");
        if (edge.includes(r)) charge(r, "data to the internet", assumptions.trafficGbPerMonth / edge.length, "dataTransfer.internetGbOut");
        break;
      case "aws:autoscaling/group:Group": {
        const lt = (r.propertyDependencies?.launchTemplate ?? [])
          .map((u) => byUrn.get(u))
          .find((x) => x?.type === "aws:ec2/launchTemplate:LaunchTemplate");
        const n = Number(assumptions.asgSize === "max" ? i.maxSize : i.minSize) || 0;
        const type = String(lt?.inputs.instanceType ?? "?");
        charge(r, `${n} × ${type} instances (${assumptions.asgSize} size)`, n * hours, "ec2.instanceHour", type);
        const rootGb = (lt?.inputs.blockDeviceMappings ?? []).reduce(
          (s: number, b: { ebs?: { volumeSize?: number } }) => s + Number(b.ebs?.volumeSize ?? 0),
          0,
        );
        charge(r, `${n} root volumes`, n * rootGb, "ebs.gp3GbMonth");
        break;
      }
      case "aws:ebs/volume:Volume": {
        // Unset, AWS creates gp2 (EC2 API reference, CreateVolume, VolumeType "Default: gp2",
        // read 2026-11-30); a type without a price is reported as not priced.
        const volumeType = String(i.type ?? "gp2");
        charge(r, `${volumeType} volume`, Number(i.size ?? 0), `ebs.${volumeType}GbMonth`);
        break;
      }
      case "aws:ec2/eip:Eip":
        charge(r, "public IPv4 address", hours, "ipv4.hour");
        break;
      case "aws:ec2/natGateway:NatGateway":
        charge(r, "NAT gateway", hours, "nat.hour");
        charge(r, "data processed", assumptions.natGbPerMonth / nats.length, "nat.gbProcessed");
        break;
      case "aws:lb/loadBalancer:LoadBalancer": {
        charge(r, `${i.internal ? "internal" : "internet-facing"} ALB`, hours, "alb.hour");
        charge(r, "capacity units", assumptions.lcuPerLoadBalancer * hours, "alb.lcuHour");
        // An internet-facing load balancer has a public IPv4 address in each of its subnets' AZs.
        if (!i.internal) charge(r, `${(i.subnets ?? []).length} public IPv4 addresses`, (i.subnets ?? []).length * hours, "ipv4.hour");
        if (edge.includes(r)) charge(r, "data to the internet", assumptions.trafficGbPerMonth / edge.length, "dataTransfer.internetGbOut");
        break;
      }
      case "aws:rds/clusterInstance:ClusterInstance":
        charge(r, `${i.instanceClass} instance`, hours, "aurora.instanceHour", String(i.instanceClass));
        break;
      case "aws:rds/cluster:Cluster":
        charge(r, "storage", assumptions.auroraStorageGbPerCluster, "aurora.storageGbMonth");
        charge(r, "I/O", assumptions.auroraIoMillionsPerCluster, "aurora.ioPerMillion");
        break;
      case "aws:elasticache/replicationGroup:ReplicationGroup": {
        const nodes = Number(i.numCacheClusters ?? 1);
        charge(r, `${nodes} × ${i.nodeType} nodes`, nodes * hours, "elasticache.nodeHour", String(i.nodeType));
        break;
      }
      case "aws:dynamodb/table:Table": {
        charge(r, "writes", assumptions.dynamodbWritesMillionsPerTable, "dynamodb.writePerMillion");
        charge(r, "reads", assumptions.dynamodbReadsMillionsPerTable, "dynamodb.readPerMillion");
        charge(r, "storage", assumptions.dynamodbStorageGbPerTable, "dynamodb.storageGbMonth");
        for (const replica of i.replicas ?? []) {
          const at = { ...r, region: String(replica.regionName) };
          charge(at, "replica storage", assumptions.dynamodbStorageGbPerTable, "dynamodb.storageGbMonth");
          charge(at, "replicated writes", assumptions.dynamodbWritesMillionsPerTable, "dynamodb.replicatedWritePerMillion");
        }
        break;
      }
      case "aws:cloudfront/distribution:Distribution":
        charge(r, "data to the internet", assumptions.trafficGbPerMonth / distributions.length, "cloudfront.gbOut");
        charge(r, "HTTPS requests", (assumptions.requestsMillionsPerMonth * 100) / distributions.length, "cloudfront.httpsPer10k");
        break;
      case "aws:s3/bucket:Bucket":
        charge(r, "stored assets", assumptions.staticStorageGb, "s3.standardGbMonth");
        break;
      case "aws:route53/zone:Zone": {
        charge(r, "hosted zone", 1, "route53.zoneMonth");
        const latency = ofType("aws:route53/record:Record").some((rec) => rec.inputs.latencyRoutingPolicies?.length);
        charge(
          r,
          latency ? "latency-routed queries" : "queries",
          assumptions.requestsMillionsPerMonth,
          latency ? "route53.latencyQueriesPerMillion" : "route53.queriesPerMillion",
        );
        break;
      }
      case "aws:route53/healthCheck:HealthCheck":
        charge(r, "health check", 1, "route53.healthCheckMonth");
        break;
      case "aws:kms/key:Key":
        charge(r, "customer managed key", 1, "kms.keyMonth");
        break;
      case "aws:secretsmanager/secret:Secret":
        charge(r, "secret", 1, "secretsmanager.secretMonth");
        break;
      case "aws:cloudwatch/metricAlarm:MetricAlarm":
        charge(r, "alarm", 1, "cloudwatch.alarmMonth");
        break;
      case "aws:cloudwatch/dashboard:Dashboard":
        charge(r, "dashboard", 1, "cloudwatch.dashboardMonth");
        break;
      case "aws:lambda/function:Function": {
        const invocations = assumptions.requestsMillionsPerMonth / functions.length;
        const arch = String((i.architectures ?? ["x86_64"])[0]);
        charge(r, "requests", invocations, "lambda.requestsPerMillion");
        const gbSeconds = invocations * 1e6 * (assumptions.lambdaAvgDurationMs / 1000) * (Number(i.memorySize ?? 128) / 1024);
        charge(r, `${arch} compute`, gbSeconds, "lambda.gbSecond", arch);
        break;
      }
      case "aws:apigatewayv2/api:Api":
        charge(r, "HTTP API requests", assumptions.requestsMillionsPerMonth / apis, "apigateway.httpPerMillion");
        break;
      case "aws:amplify/app:App":
        charge(r, "stored site", assumptions.staticStorageGb, "amplify.gbStored");
        charge(r, "data served", assumptions.trafficGbPerMonth / amplifyApps.length, "amplify.gbServed");
        break;
      default:
        if (!NO_STANDING_CHARGE.some((prefix) => r.type.startsWith(prefix)))
          unpriced.push({
            component: componentOf(r),
            region: regionOf(r),
            resource: r.name,
            item: r.type,
            reason: "no cost model for this type",
          });
    }
  }

  const sum = (ls: CostLine[]) => round(ls.reduce((s, l) => s + l.monthly, 0));
  const group = (key: (l: CostLine) => string) => {
    const m = new Map<string, CostLine[]>();
    for (const l of lines) m.set(key(l), [...(m.get(key(l)) ?? []), l]);
    return [...m.entries()].map(([k, ls]) => [k, sum(ls)] as const).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  };
  return {
    currency: prices.currency,
    total: sum(lines),
    breakdown: {
      byComponent: group((l) => l.component).map(([component, monthly]) => ({ component, monthly })),
      byRegion: group((l) => l.region).map(([region, monthly]) => ({ region, monthly })),
      lines,
    },
    unpriced,
    assumptions,
    priceDate: prices.priceDate,
    source: "data/prices.json",
    note: ESTIMATE_NOTE,
  };
}

const money = (n: number, currency = "USD") => `${currency === "USD" ? "$" : currency + " "}${n.toFixed(2)}`;
const signed = (n: number, currency = "USD") => `${n < 0 ? "−" : "+"}${money(Math.abs(n), currency)}`;

/** The text section the plan's tree ends with. */
export function renderCost(c: CostEstimate): string {
  const out = [
    "",
    `Estimated monthly cost: ${money(c.total, c.currency)} (ESTIMATE — prices of ${c.priceDate} from ${c.source})`,
    `  ${c.note}`,
    "  by component:",
    ...c.breakdown.byComponent.map((x) => `    ${money(x.monthly, c.currency).padStart(11)}  ${x.component}`),
    "  by region:",
    ...c.breakdown.byRegion.map((x) => `    ${money(x.monthly, c.currency).padStart(11)}  ${x.region}`),
  ];
  if (c.unpriced.length) {
    const groups = new Map<string, number>();
    for (const u of c.unpriced) groups.set(`${u.item}: ${u.reason}`, (groups.get(`${u.item}: ${u.reason}`) ?? 0) + 1);
    out.push(`  not priced (${c.unpriced.length}, left out of the total):`);
    for (const [what, n] of groups) out.push(`    ${n} × ${what}`);
  }
  out.push(
    `  assumptions (override with --assume key=value): ${Object.entries(c.assumptions)
      .map(([k, v]) => `${k}=${v}`)
      .join(", ")}`,
  );
  return out.join("\n") + "\n";
}

/** The monthly delta of a promotion, overall and by component. */
export function costDelta(from: CostEstimate, to: CostEstimate) {
  const components = new Set([...from.breakdown.byComponent, ...to.breakdown.byComponent].map((x) => x.component));
  const of = (c: CostEstimate, k: string) => c.breakdown.byComponent.find((x) => x.component === k)?.monthly ?? 0;
  const byComponent = [...components]
    .map((component) => ({
      component,
      from: of(from, component),
      to: of(to, component),
      delta: round(of(to, component) - of(from, component)),
    }))
    .filter((x) => x.delta !== 0)
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta) || a.component.localeCompare(b.component));
  // Items without a price are left out of both totals: say so, or a move to an unpriced instance
  // type would read as a saving.
  const unpriced = { from: from.unpriced.length, to: to.unpriced.length };
  return {
    currency: to.currency,
    from: from.total,
    to: to.total,
    delta: round(to.total - from.total),
    byComponent,
    unpriced,
    note: ESTIMATE_NOTE,
  };
}

/** The warning a delta carries when either side has items without a price; "" when none. */
export function unpricedWarning(d: ReturnType<typeof costDelta>): string {
  if (d.unpriced.from === 0 && d.unpriced.to === 0) return "";
  return `delta incomplete: ${d.unpriced.to} item(s) of the target and ${d.unpriced.from} of the current plan are not priced and left out of both totals`;
}

export function renderCostDelta(d: ReturnType<typeof costDelta>): string {
  const out = [
    "",
    `Estimated monthly cost: ${money(d.from, d.currency)} → ${money(d.to, d.currency)} (${signed(d.delta, d.currency)} a month; an estimate, see plan output for assumptions)`,
    ...d.byComponent.map((x) => `  ${signed(x.delta, d.currency).padStart(12)}  ${x.component}`),
    ...(unpricedWarning(d) ? [`  ${unpricedWarning(d)}`] : []),
  ];
  return out.join("\n") + "\n";
}
