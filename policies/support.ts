/**
 * Shared helpers of the policy pack: the stack's stage (read from the program's stage-marker SSM
 * parameter, never from a second source), safe reads of preview values, and graph lookups.
 */
import type { PolicyConfigSchema, PolicyResource, StackValidationArgs } from "@pulumi/policy";
import {
  isStageNumber,
  PROTECTED_BACKUP_RETENTION_DAYS,
  StageDefinition,
  stageDefinition,
  StageNumber,
  STAGE_NUMBERS,
} from "../components/stages";

/** The tag the program puts on its stage-marker parameter (components/platform.ts STAGE_MARKER_TAG). */
export const STAGE_MARKER_TAG = { key: "scaling:role", value: "stage-marker" } as const;
export const PRODUCTION_TAG = "scaling:production";
export const MARKER_TYPE = "aws:ssm/parameter:Parameter";

export const T = {
  cluster: "aws:rds/cluster:Cluster",
  clusterInstance: "aws:rds/clusterInstance:ClusterInstance",
  dbInstance: "aws:rds/instance:Instance",
  globalCluster: "aws:rds/globalCluster:GlobalCluster",
  asg: "aws:autoscaling/group:Group",
  scalingPolicy: "aws:autoscaling/policy:Policy",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  lb: ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
  listener: ["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
  listenerRule: ["aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule"],
  asgAttachment: "aws:autoscaling/attachment:Attachment",
  targetGroup: ["aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup"],
  cache: "aws:elasticache/replicationGroup:ReplicationGroup",
  natGateway: "aws:ec2/natGateway:NatGateway",
  subnet: "aws:ec2/subnet:Subnet",
  route: "aws:ec2/route:Route",
  routeTable: "aws:ec2/routeTable:RouteTable",
  routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  vpc: "aws:ec2/vpc:Vpc",
  table: "aws:dynamodb/table:Table",
  bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  bucketPab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketSse: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  volume: "aws:ebs/volume:Volume",
  instance: "aws:ec2/instance:Instance",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  zone: "aws:route53/zone:Zone",
  kmsKey: "aws:kms/key:Key",
  secret: "aws:secretsmanager/secret:Secret",
} as const;

export const isOf = (type: string, t: string | readonly string[]): boolean => (typeof t === "string" ? type === t : t.includes(type));

/** The policy SDK's UnknownValueError, by name: the pack and the offline runner may load different copies of the SDK. */
const isUnknownValueError = (e: unknown): e is Error => e instanceof Error && e.constructor.name === "UnknownValueError";

/**
 * Reads a value that may be unknown during `pulumi preview`. The policy SDK wraps props in a proxy
 * that throws on unknown values; here an unknown reads as `undefined`. Only for reads whose
 * unknown the caller then judges from something known (the dependency graph, the engine's
 * propertyDependencies), or fails closed on: a rule that cannot judge a value uses `Unknowns`.
 */
export function peek<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (isUnknownValueError(e)) return undefined;
    throw e;
  }
}

/** A read that is either known or unknown (with the SDK's error, to rethrow when it decides the verdict). */
export type Read<T> = { known: true; value: T } | { known: false; error: Error };

export function attempt<T>(read: () => T): Read<T> {
  try {
    return { known: true, value: read() };
  } catch (e) {
    if (isUnknownValueError(e)) return { known: false, error: e };
    throw e;
  }
}

/**
 * The values one run of a policy could not judge because they are unknown (a first preview). A
 * rule notes each and goes on judging everything else; `settle()` then rethrows the first, so the
 * engine reports "can't run policy ... during preview" (advisory) beside the verdicts already
 * reported (@pulumi/policy server.js `makeAnalyzeStackRpcFun` keeps them). Never a silent pass.
 */
export class Unknowns {
  private first?: Error;

  /** The value, or undefined after noting that it is unknown. */
  read<T>(read: () => T): T | undefined {
    const r = attempt(read);
    if (r.known) return r.value;
    this.note(r.error);
    return undefined;
  }

  note(error: Error): void {
    this.first ??= error;
  }

  settle(): void {
    if (this.first) throw this.first;
  }

  /** Passes what this one noted on to `other`. */
  settleInto(other: Unknowns): void {
    if (this.first) other.note(this.first);
  }
}

/**
 * The Optional+Computed attributes a policy reads that the provider plans unknown in a first
 * preview when the program leaves them unset (AWS picks the value). Read in the Terraform AWS
 * provider's schemas, v6.58.0 (lonegunmanb/terraform-provider-aws-index; @pulumi/aws 7.48 bridges
 * about v6.65), 2026-11-30: rds/cluster_instance.go availability_zone, publicly_accessible;
 * autoscaling/group.go health_check_type; elbv2/listener.go protocol, ssl_policy; rds/cluster.go
 * and rds/instance.go backup_retention_period; ec2/vpc_subnet.go availability_zone(_id);
 * s3/bucket.go server_side_encryption_configuration; ec2/vpc_route_table.go route; dynamodb/table.go
 * point_in_time_recovery; elbv2/load_balancer.go internal; elasticache/replication_group.go
 * num_cache_clusters, num_node_groups, replicas_per_node_group. Every such
 * entry of the offline preview model (tools/mocks.ts PREVIEW_UNSET) must be here (a test checks).
 */
export const PLANNED_UNKNOWN_WHEN_UNSET: Readonly<Record<string, readonly string[]>> = {
  "aws:rds/clusterInstance:ClusterInstance": ["availabilityZone", "publiclyAccessible"],
  "aws:autoscaling/group:Group": ["healthCheckType"],
  "aws:lb/listener:Listener": ["protocol", "sslPolicy"],
  "aws:alb/listener:Listener": ["protocol", "sslPolicy"],
  "aws:rds/cluster:Cluster": ["backupRetentionPeriod"],
  "aws:rds/instance:Instance": ["backupRetentionPeriod"],
  "aws:ec2/subnet:Subnet": ["availabilityZone", "availabilityZoneId"],
  "aws:s3/bucket:Bucket": ["serverSideEncryptionConfiguration"],
  "aws:ec2/routeTable:RouteTable": ["routes"],
  "aws:dynamodb/table:Table": ["pointInTimeRecovery"],
  "aws:lb/loadBalancer:LoadBalancer": ["internal"],
  "aws:alb/loadBalancer:LoadBalancer": ["internal"],
  "aws:elasticache/replicationGroup:ReplicationGroup": ["numCacheClusters", "numNodeGroups", "replicasPerNodeGroup"],
};

/** What a stack policy can tell of one attribute: its value, unset, or unknown (with why). */
export type Attribute = { state: "set"; value: unknown } | { state: "unset" } | { state: "unknown"; error: Error };

/**
 * A stack policy's read of `r.props[key]` in any view. In a first preview a value is unknown for one
 * of two reasons, which the engine's propertyDependencies tell apart (analyzer_plugin.go sends a
 * property's dependencies when it has any): the program took it from a resource not yet created
 * (a dependency is named: it can't be judged, "unknown"), or the program left an Optional+Computed
 * attribute unset and the provider plans it unknown until AWS picks a value (no dependency, and
 * listed in PLANNED_UNKNOWN_WHEN_UNSET: "unset", as the inputs view sees it; any other unknown is
 * "unknown"). Absent, null and "" are unset (see `isSet`).
 */
export function attribute(r: PolicyResource, key: string): Attribute {
  if (r.props === undefined || r.props === null || !(key in r.props)) return { state: "unset" };
  const read = attempt(() => r.props[key]);
  if (!read.known) {
    // Only an attribute the provider plans unknown when unset may be read as unset: a program-set
    // value can be unknown with no dependency too (an output-form invoke whose arguments are
    // unknown resolves with none, @pulumi/pulumi runtime/invoke.js), and that can't be judged.
    const plannedUnknown = PLANNED_UNKNOWN_WHEN_UNSET[r.type]?.includes(key) ?? false;
    const dependsOnResource = (r.propertyDependencies?.[key] ?? []).length > 0;
    return plannedUnknown && !dependsOnResource ? { state: "unset" } : { state: "unknown", error: read.error };
  }
  return read.value === null || read.value === "" || read.value === undefined ? { state: "unset" } : { state: "set", value: read.value };
}

/**
 * Whether `props[key]` holds a value. The provider reports an attribute the program left unset
 * as "" (SDKv2 strings), null (write-only and planned-but-unset attributes) or not at all, so all
 * three mean "unset" (tools/mocks.ts DEPLOYED_UNSET). Undefined when the value is unknown
 * (preview): the caller decides, and must not pass silently.
 */
export function isSet(props: Record<string, any>, key: string): boolean | undefined {
  if (props === undefined || props === null || !(key in props)) return false;
  const value = peek(() => props[key]);
  if (value === undefined) return undefined;
  return value !== null && value !== "";
}

export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const truthy = (v: unknown): boolean => v === true || v === "true";

// ------------------------------------------------------------------------------------------------
// Config

/** Pack config tunables shared by every stage-aware policy (CrossGuard config is per policy). */
export interface StageConfig {
  minimumStage: number;
}
export interface DataProtectionConfig extends StageConfig {
  minBackupRetentionDays: number;
}

export const minimumStageSchema = {
  type: "integer",
  minimum: STAGE_NUMBERS[0],
  maximum: STAGE_NUMBERS[STAGE_NUMBERS.length - 1],
  default: STAGE_NUMBERS[0],
  description: "Treat the stack as at least this stage, whatever its stage marker says (prod uses 4).",
} as const;

export const stageConfigSchema: PolicyConfigSchema = { properties: { minimumStage: { ...minimumStageSchema } } };

export const dataProtectionConfigSchema: PolicyConfigSchema = {
  properties: {
    minimumStage: { ...minimumStageSchema },
    minBackupRetentionDays: {
      type: "integer",
      minimum: 1,
      maximum: 35,
      default: PROTECTED_BACKUP_RETENTION_DAYS,
      description: "Fewest days of automated backups (Aurora) once data protection applies.",
    },
  },
};

/** Config with the schema's defaults filled in (the CLI does this too; the fallback keeps tests honest). */
export function configOf<C extends object>(args: { getConfig<T extends object>(): T }, schema: PolicyConfigSchema): C {
  const defaults = Object.fromEntries(
    Object.entries(schema.properties)
      .filter(([, s]) => (s as { default?: unknown }).default !== undefined)
      .map(([k, s]) => [k, (s as { default?: unknown }).default]),
  );
  return { ...defaults, ...args.getConfig<Record<string, unknown>>() } as C;
}

// ------------------------------------------------------------------------------------------------
// Stage

export interface StackStage {
  /** The effective stage: max(marker, minimumStage). */
  stage: StageNumber;
  definition: StageDefinition;
  /** The stage the program wrote in its marker, if one was found. */
  marker?: number;
  production: boolean;
  markerUrn?: string;
}

export function findStageMarkers(resources: PolicyResource[]): PolicyResource[] {
  return resources.filter((r) => r.type === MARKER_TYPE && peek(() => r.props.tags?.[STAGE_MARKER_TAG.key]) === STAGE_MARKER_TAG.value);
}

/** The stack's stage from its marker parameter, raised to the policy's `minimumStage`. */
export function stackStage(args: StackValidationArgs, schema: PolicyConfigSchema = stageConfigSchema): StackStage {
  const { minimumStage } = configOf<StageConfig>(args, schema);
  const markers = findStageMarkers(args.resources);
  // Read without peek: an unknown marker leaves every floor unknown, so each stage rule reports
  // that it can't run (advisory) rather than judging the stack at stage 1's empty floor.
  const marker = markers.length === 1 ? Number(markers[0].props.value) : undefined;
  const production = markers.length === 1 && markers[0].props.tags?.[PRODUCTION_TAG] === "true";
  const floor = isStageNumber(minimumStage) ? minimumStage : STAGE_NUMBERS[0];
  const fromMarker = isStageNumber(marker) ? marker : STAGE_NUMBERS[0];
  const stage = Math.max(floor, fromMarker) as StageNumber;
  return { stage, definition: stageDefinition(stage), marker, production, markerUrn: markers[0]?.urn };
}

// ------------------------------------------------------------------------------------------------
// Graph

/** Where a resource lives: its `region` input, else its provider's region. */
export function regionOf(r: PolicyResource): string | undefined {
  const own = peek(() => r.props.region);
  if (typeof own === "string") return own;
  const fromProvider = peek(() => r.provider?.props?.region);
  return typeof fromProvider === "string" ? fromProvider : undefined;
}

/** Resources of `types` that `r` depends on (its inputs refer to them). */
export const dependenciesOf = (r: PolicyResource, t: string | readonly string[]): PolicyResource[] =>
  r.dependencies.filter((d) => isOf(d.type, t));

/** Resources of `types` that depend on `target`. */
export const dependentsOf = (resources: PolicyResource[], target: PolicyResource, t: string | readonly string[]): PolicyResource[] =>
  resources.filter((r) => isOf(r.type, t) && r.dependencies.some((d) => d.urn === target.urn));

export const ofType = (resources: PolicyResource[], t: string | readonly string[]): PolicyResource[] =>
  resources.filter((r) => isOf(r.type, t));

/**
 * Flags `value` unless it is known and true. An unknown value (preview) is never passed: it is
 * noted in `unknowns` when given (a stack policy that goes on judging other resources), else
 * rethrown, so the engine reports that it can't run the policy on this resource (advisory).
 */
export function requireTrue(
  props: Record<string, any>,
  path: string[],
  what: string,
  report: (message: string) => void,
  unknowns?: Unknowns,
): void {
  let node: any = props;
  for (const key of path) {
    if (node === undefined || node === null || typeof node !== "object") {
      node = undefined;
      break;
    }
    const read = attempt(() => node[key]);
    if (!read.known) {
      if (!unknowns) throw read.error;
      unknowns.note(read.error);
      return;
    }
    node = read.value;
  }
  if (!truthy(node)) report(what);
}
