/**
 * The stage table of SPEC.md, once, as data. The program, the policy pack, the plan tool and
 * the README generator all read it from here; nothing else compares stage numbers.
 *
 * `defaults` are what a stack gets when its config is silent. `minimums` are the HA floor the
 * policy pack enforces: config may go below them on purpose (a cheap dev stack), the pack flags it.
 */

export const STAGE_NUMBERS = [1, 2, 3, 4, 5, 6, 7] as const;
export type StageNumber = (typeof STAGE_NUMBERS)[number];

/** Where user sessions live. The seed moves them off the host (5) and then into DynamoDB (6). */
export type SessionStore = "host" | "redis" | "dynamodb";
/** How private subnets reach the internet: none, one shared gateway, or one per AZ (no cross-AZ dependency). */
export type NatLayout = "none" | "single" | "perAz";

export interface StageCapabilities {
  /** Amplify Hosting app + branch serving `site/`. */
  staticSite: boolean;
  /** Lambda backend behind an HTTP API. */
  lambdaBackend: boolean;
  /** VPC with the full address plan. */
  network: boolean;
  /** One EC2 host with an Elastic IP (stages 2–3). */
  singleHost: boolean;
  /** PostgreSQL runs on the single host, on the encrypted data volume. */
  hostDatabase: boolean;
  /** Managed Aurora PostgreSQL cluster. */
  aurora: boolean;
  /** Internet-facing ALB + Auto Scaling group for the web tier. */
  loadBalancedWebTier: boolean;
  /** Where sessions are kept. */
  sessions: SessionStore;
  /** ElastiCache for Redis replication group (sessions at 5, popular reads from 5 on). */
  cache: boolean;
  /** Private S3 bucket behind CloudFront for static assets. */
  cdn: boolean;
  /** Step scaling fired by CPU-high / CPU-low CloudWatch alarms. */
  alarmScaling: boolean;
  /** Alarms on ALB 5xx, latency, DB CPU and replica lag, to an SNS topic. */
  operationalAlarms: boolean;
  /** CloudWatch agent on every host (memory, disk). */
  cloudwatchAgent: boolean;
  nat: NatLayout;
  /** Microservices behind an internal ALB, one ASG each. */
  services: boolean;
  /** CloudWatch dashboard of the SLO signals. */
  dashboard: boolean;
  /** One cluster per business domain, split into shards, plus NoSQL tables. */
  federation: boolean;
  /** Regions after the first get the full regional stack; global DB, global tables, latency DNS. */
  multiRegion: boolean;
}

export interface StageDefaults {
  azs: number;
  compute: { instanceType: string; minSize: number; maxSize: number; cpuHigh: number; cpuLow: number };
  database: { instanceClass: string; readers: number };
  /** Target-tracking utilisation for microservices ("servers run at full capacity"). */
  serviceTargetCpu: number;
}

export interface StageMinimums {
  /** AZs the network and every web/service ASG must span. */
  azs: number;
  /** Minimum healthy web instances (ASG min size). */
  webInstances: number;
  /** Aurora readers per cluster, in an AZ other than the writer's. */
  dbReaders: number;
  /** Nodes in the cache replication group (primary + replicas). */
  cacheNodes: number;
  /** Regions with the full stack. */
  regions: number;
  /** Deletion protection, ≥ 7-day backups / PITR, final snapshots, retainOnDelete. */
  dataProtection: boolean;
}

export interface StageDefinition {
  stage: StageNumber;
  /** The seed's chapter title. */
  name: string;
  /** The seed's reason for the stage, one sentence (the README reads it). */
  why: string;
  /** What the stage switches on (the README reads it). */
  adds: string;
  capabilities: StageCapabilities;
  defaults: StageDefaults;
  minimums: StageMinimums;
}

/** Backups kept by Aurora once data protection applies (SPEC invariant 2: at least 7 days). */
export const PROTECTED_BACKUP_RETENTION_DAYS = 7;
/** The largest AZ count any stage uses: the VPC address plan reserves this many slots per tier. */
export const ADDRESS_PLAN_AZ_SLOTS = 4;

const NONE: StageCapabilities = {
  staticSite: false,
  lambdaBackend: false,
  network: false,
  singleHost: false,
  hostDatabase: false,
  aurora: false,
  loadBalancedWebTier: false,
  sessions: "host",
  cache: false,
  cdn: false,
  alarmScaling: false,
  operationalAlarms: false,
  cloudwatchAgent: false,
  nat: "none",
  services: false,
  dashboard: false,
  federation: false,
  multiRegion: false,
};

const BASE_DEFAULTS: StageDefaults = {
  azs: 1,
  compute: { instanceType: "t4g.small", minSize: 1, maxSize: 1, cpuHigh: 70, cpuLow: 25 },
  database: { instanceClass: "db.r6g.large", readers: 0 },
  serviceTargetCpu: 80,
};

const BASE_MINIMUMS: StageMinimums = {
  azs: 1,
  webInstances: 1,
  dbReaders: 0,
  cacheNodes: 0,
  regions: 1,
  dataProtection: false,
};

const stage1: StageDefinition = {
  stage: 1,
  name: "Prelaunch",
  why: "The product is not ready yet: a launch page and a little backend code should cost nothing to run.",
  adds: "Static launch page on Amplify Hosting; a Lambda backend behind an HTTP API. No VPC, no servers.",
  capabilities: { ...NONE, staticSite: true, lambdaBackend: true },
  defaults: { ...BASE_DEFAULTS, azs: 0 },
  minimums: { ...BASE_MINIMUMS, azs: 0 },
};

const stage2: StageDefinition = {
  stage: 2,
  name: "Launch",
  why: "A handful of users: one server runs the whole web stack, and grows vertically.",
  adds: "VPC; one EC2 host running the app and PostgreSQL on an encrypted gp3 data volume; Elastic IP; Route 53 A/AAAA records.",
  capabilities: { ...NONE, network: true, singleHost: true, hostDatabase: true },
  defaults: { ...BASE_DEFAULTS },
  minimums: { ...BASE_MINIMUMS },
};

const stage3: StageDefinition = {
  stage: 3,
  name: "Ten users",
  why: "The single host hits its memory limit: the database moves to its own, larger machine.",
  adds: "Managed Aurora PostgreSQL (one writer on a larger class) in private subnets; the host runs only the app; the old data volume is kept.",
  capabilities: { ...stage2.capabilities, hostDatabase: false, aurora: true },
  defaults: { ...stage2.defaults },
  minimums: { ...stage2.minimums },
};

const stage4: StageDefinition = {
  stage: 4,
  name: "Thousand users",
  why: "An AZ power outage takes the site down: run in two AZs behind a load balancer, with a DB follower.",
  adds: "A second AZ; internet-facing ALB with health checks; an Auto Scaling group across the AZs with ELB health checks; an Aurora reader in another AZ; DNS alias to the ALB; Elastic IP released.",
  capabilities: {
    ...stage3.capabilities,
    singleHost: false,
    loadBalancedWebTier: true,
    nat: "single",
  },
  defaults: {
    ...stage3.defaults,
    azs: 2,
    compute: { ...stage3.defaults.compute, minSize: 2, maxSize: 4 },
    database: { ...stage3.defaults.database, readers: 1 },
  },
  minimums: { ...stage3.minimums, azs: 2, webInstances: 2, dbReaders: 1, dataProtection: true },
};

const stage5: StageDefinition = {
  stage: 5,
  name: "Ten thousand users",
  why: "Servers run at full capacity and peaks dwarf the average: make the web tier stateless, cache, offload static content and scale on alarms.",
  adds: "Redis replication group for sessions and popular reads; step scaling fired by CPU alarms; more Aurora readers; S3 + CloudFront for /static/*; operational alarms; CloudWatch agent.",
  capabilities: {
    ...stage4.capabilities,
    sessions: "redis",
    cache: true,
    cdn: true,
    alarmScaling: true,
    operationalAlarms: true,
    cloudwatchAgent: true,
  },
  defaults: {
    ...stage4.defaults,
    compute: { ...stage4.defaults.compute, minSize: 2, maxSize: 10 },
    database: { ...stage4.defaults.database, readers: 2 },
  },
  minimums: { ...stage4.minimums, dbReaders: 2, cacheNodes: 2 },
};

const stage6: StageDefinition = {
  stage: 6,
  name: "Half a million users",
  why: "A 99.99% SLA allows 52 minutes of downtime a year: three AZs, sessions in DynamoDB, and microservices behind a load balancer at every layer.",
  adds: "A third AZ with a NAT gateway in each AZ; DynamoDB sessions; one ASG and target group per service behind an internal ALB, target tracking at high utilisation; an SLO dashboard.",
  capabilities: { ...stage5.capabilities, sessions: "dynamodb", nat: "perAz", services: true, dashboard: true },
  defaults: {
    ...stage5.defaults,
    azs: 3,
    compute: { ...stage5.defaults.compute, minSize: 3, maxSize: 12 },
  },
  minimums: { ...stage5.minimums, azs: 3, webInstances: 3 },
};

const stage7: StageDefinition = {
  stage: 7,
  name: "Ten million users",
  why: "Writes contend on one database: federate by domain, shard each domain, move join-free data to NoSQL, and spread across regions.",
  adds: "One Aurora cluster per domain and shard; NoSQL tables; the full regional stack in every region; Aurora Global Database and DynamoDB global tables; Route 53 latency records with health checks.",
  capabilities: { ...stage6.capabilities, federation: true, multiRegion: true },
  defaults: { ...stage6.defaults },
  minimums: { ...stage6.minimums, regions: 2 },
};

/** Stage 1 first. Index with `stageDefinition`, never by hand. */
export const STAGES: readonly StageDefinition[] = [stage1, stage2, stage3, stage4, stage5, stage6, stage7];

export function isStageNumber(value: unknown): value is StageNumber {
  return typeof value === "number" && (STAGE_NUMBERS as readonly number[]).includes(value);
}

export function stageDefinition(stage: StageNumber): StageDefinition {
  const found = STAGES.find((s) => s.stage === stage);
  if (!found) throw new Error(`no stage ${stage} in the stage table`);
  return found;
}

/** The first stage at which a capability is on; used by docs and by tests of the table's shape. */
export function firstStageWith(predicate: (c: StageCapabilities) => boolean): StageNumber | undefined {
  return STAGES.find((s) => predicate(s.capabilities))?.stage;
}
