/**
 * Stack config: the schema of SPEC.md §Configuration, validated with zod before any resource is
 * registered. Every problem is collected and reported at once, each naming the key, the bad value
 * and what is allowed. Values are only checked for being well formed; HA minimums belong to the
 * policy pack (a dev stack may run below them on purpose).
 */
import { z } from "zod";
import { Region } from "@pulumi/aws/types/enums";
import { regionFacts } from "./awsFacts";
import { ADDRESS_PLAN_AZ_SLOTS, STAGE_NUMBERS, StageNumber, isStageNumber } from "./stages";
import { closest, didYouMean } from "./suggest";
import awsProviderConfig from "../data/aws-provider-config.json";
import instanceTypes from "../data/instance-types.json";

export const STAGE_ALLOWED = `a whole number from ${STAGE_NUMBERS[0]} to ${STAGE_NUMBERS[STAGE_NUMBERS.length - 1]} (the scaling-journey stage)`;

export const AWS_REGIONS: readonly string[] = Object.values(Region);

const intIn = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number from ${min} to ${max}` })
    .int({ error: `must be a whole number from ${min} to ${max}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}` });

const bool = () => z.boolean({ error: "must be true or false" });

const pattern = (re: RegExp, allowed: string) =>
  z.string({ error: `must be a string: ${allowed}` }).regex(re, { error: `must be ${allowed}` });

/** What `aws:region` or an entry of `regions` must be, with the closest codes when it is not. */
export function regionMessage(input: unknown): string {
  if (typeof input !== "string") return "must be an AWS region code such as us-east-1";
  return `is not an AWS region code (such as us-east-1).${didYouMean(closest(input, AWS_REGIONS, 3, 3))}`;
}

const regionName = z.enum(AWS_REGIONS as [string, ...string[]], { error: (issue) => regionMessage(issue.input) });

/** AWS's instance types, classes and node types (data/instance-types.json: source and date read). */
export const EC2_INSTANCE_TYPES: readonly string[] = instanceTypes.ec2InstanceTypes.values;
export const AURORA_POSTGRESQL_CLASSES: readonly string[] = instanceTypes.auroraPostgresqlInstanceClasses.values;
export const ELASTICACHE_NODE_TYPES: readonly string[] = instanceTypes.elasticacheNodeTypes.values;

/**
 * A few valid types close to a bad one: the sizes of its own family when the family exists
 * (`t4g.nope` → t4g.nano, t4g.micro…), else the nearest names.
 */
export function closeTypes(value: string, valid: readonly string[], limit = 5): string[] {
  const family = value.slice(0, value.lastIndexOf(".") + 1);
  const sameFamily = family ? valid.filter((t) => t.startsWith(family)) : [];
  if (sameFamily.length > 0) return closest(value, sameFamily, limit, Infinity);
  return closest(value, valid, limit, 4);
}

/** A string that must be one of AWS's known types; the error names close valid values. */
const knownType = (valid: readonly string[], what: string, example: string) =>
  z.enum(valid as [string, ...string[]], {
    error: (issue) =>
      typeof issue.input === "string"
        ? `is not ${what} AWS offers (data/instance-types.json).${didYouMean(closeTypes(issue.input, valid))}`
        : `must be a string: ${what} such as ${example}`,
  });

/** A DNS name AWS Route 53 accepts for a public hosted zone (lower-case labels, 2+ labels). */
const DOMAIN_RE = /^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** Short lower-case names: they end up in resource names, DNS labels and SSM paths. */
const NAME_RE = /^[a-z][a-z0-9-]{0,19}$/;
const NAME_ALLOWED = "1–20 characters: lower-case letters, digits and '-', starting with a letter";
const CIDR_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/(1[6-9]|20)$/;
const TABLE_NAME_RE = /^[a-zA-Z0-9_.-]{3,200}$/;
const ATTRIBUTE_RE = /^[a-zA-Z][a-zA-Z0-9_.-]{0,254}$/;
const PATH_RE = /^\/[a-z0-9][a-z0-9/_-]*$/;

const computeSchema = z
  .object({
    instanceType: knownType(EC2_INSTANCE_TYPES, "an EC2 instance type", "t4g.small or m7i.large"),
    minSize: intIn(0, 100),
    maxSize: intIn(1, 200),
    cpuHigh: intIn(1, 100),
    cpuLow: intIn(1, 100),
  })
  .partial()
  .strict();

const CIDR_ALLOWED = "an IPv4 CIDR block with a prefix from /16 to /20, such as 10.0.0.0/16";
/** An Availability Zone ID: region abbreviation + number, `-az`, number (use1-az1, euw1-az3). */
const ZONE_ID_RE = /^[a-z]+[0-9]+-az[0-9]+$/;

const networkSchema = z
  .object({
    cidr: pattern(CIDR_RE, CIDR_ALLOWED),
    azs: intIn(1, ADDRESS_PLAN_AZ_SLOTS),
    /** A VPC block per Region name for the Regions other than the home (which uses `cidr`). */
    regionCidrs: z.partialRecord(regionName, pattern(CIDR_RE, CIDR_ALLOWED), { error: "must map region codes to CIDR blocks" }),
    /** The zone IDs a Region's subnets use, in slot order (pin them; see README). */
    zoneIds: z.partialRecord(
      regionName,
      z
        .array(pattern(ZONE_ID_RE, "an Availability Zone ID such as use1-az1"), { error: "must be a list of zone IDs" })
        .min(1, { error: "must list at least one zone ID" })
        .max(ADDRESS_PLAN_AZ_SLOTS, { error: `must list at most ${ADDRESS_PLAN_AZ_SLOTS} zone IDs (the address plan's AZ slots)` }),
      { error: "must map region codes to lists of zone IDs" },
    ),
  })
  .partial()
  .strict();

const domainSchema = z.object({ name: pattern(NAME_RE, NAME_ALLOWED), shards: intIn(1, 16) }).strict();

const databaseSchema = z
  .object({
    instanceClass: knownType(AURORA_POSTGRESQL_CLASSES, "a DB instance class for Aurora PostgreSQL", "db.r6g.large or db.t4g.medium"),
    readers: intIn(0, 15),
    domains: z.array(domainSchema, { error: "must be a list of {name, shards}" }).min(1, { error: "must list at least one domain" }),
    hostVolumeRetired: bool(),
  })
  .partial()
  .strict();

const serviceSchema = z
  .object({
    name: pattern(NAME_RE, NAME_ALLOWED),
    port: intIn(1024, 65535),
    path: pattern(PATH_RE, "an absolute URL path prefix such as /orders (lower-case, no trailing wildcard)"),
    minSize: intIn(0, 100),
    maxSize: intIn(1, 200),
  })
  .strict();

const nosqlTableSchema = z
  .object({
    name: pattern(TABLE_NAME_RE, "a DynamoDB table name: 3–200 characters of letters, digits, '_', '-' and '.'"),
    hashKey: pattern(ATTRIBUTE_RE, "an attribute name starting with a letter"),
    rangeKey: pattern(ATTRIBUTE_RE, "an attribute name starting with a letter").optional(),
  })
  .strict();

export const configSchema = z
  .object({
    stage: z
      .number({ error: (issue) => (issue.input === undefined ? `is required: ${STAGE_ALLOWED}` : `must be ${STAGE_ALLOWED}`) })
      // min/max also give the JSON Schema its range; the first failing check is the one reported.
      .int({ error: `must be ${STAGE_ALLOWED}`, abort: true })
      .min(STAGE_NUMBERS[0], { error: `must be ${STAGE_ALLOWED}`, abort: true })
      .max(STAGE_NUMBERS[STAGE_NUMBERS.length - 1], { error: `must be ${STAGE_ALLOWED}`, abort: true })
      .refine(isStageNumber, { error: `must be ${STAGE_ALLOWED}` })
      .transform((n) => n as StageNumber),
    regions: z
      .array(regionName, { error: "must be a list of AWS region codes" })
      .min(1, { error: "must list at least one region" })
      .optional(),
    domain: pattern(DOMAIN_RE, "a lower-case DNS name such as example.com (letters, digits, '-' and dots; no spaces)").optional(),
    domainDelegated: bool().optional(),
    compute: computeSchema.optional(),
    network: networkSchema.optional(),
    database: databaseSchema.optional(),
    services: z.array(serviceSchema, { error: "must be a list of {name, port, path, minSize, maxSize}" }).optional(),
    nosqlTables: z.array(nosqlTableSchema, { error: "must be a list of {name, hashKey, rangeKey?}" }).optional(),
    production: bool().optional(),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;

export interface ConfigProblem {
  /** Dotted config key, e.g. `compute.minSize` or `services.0.port`. */
  key: string;
  value: unknown;
  message: string;
}

/** Thrown before any resource is registered. The plan tool prints `problems` and exits 2. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`invalid stack config:\n${problems.map(formatProblem).join("\n")}`);
    this.name = "ConfigError";
  }
}

export function formatProblem(p: ConfigProblem): string {
  const shown = p.value === undefined ? "nothing" : JSON.stringify(p.value);
  return `  - ${p.key}: ${p.message} (got ${shown})`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** The keys a (possibly nested) object schema accepts, for "unknown key" messages. */
function allowedKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = configSchema;
  for (const segment of path) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodObject) schema = schema.shape[segment as string] as z.ZodType;
  }
  schema = unwrap(schema);
  if (schema instanceof z.ZodArray) schema = unwrap(schema.element as z.ZodType);
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return schema;
}

const dotted = (path: readonly PropertyKey[]) => path.map(String).join(".");

function duplicates(values: string[]): string[] {
  return [...new Set(values.filter((v, i) => values.indexOf(v) !== i))];
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
const list = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === "object") : [];
const record = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * Cross-field rules zod's per-field schema cannot express. They read the raw values defensively
 * so that they run even when some fields are malformed: every problem is reported in one go.
 */
function crossFieldProblems(values: Record<string, unknown>, awsRegion: string | undefined): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const compute = record(values.compute);
  const database = record(values.database);
  const regions = Array.isArray(values.regions) ? values.regions.map(String) : undefined;
  // A misspelled entry is reported once, by the schema; it is never offered as an allowed value.
  const knownRegions = regions?.filter((r) => AWS_REGIONS.includes(r));
  const services = list(values.services);
  const nosqlTables = list(values.nosqlTables);
  const [minSize, maxSize, cpuLow, cpuHigh] = [compute.minSize, compute.maxSize, compute.cpuLow, compute.cpuHigh].map(num);
  if (minSize !== undefined && maxSize !== undefined && minSize > maxSize) {
    problems.push({ key: "compute.minSize", value: minSize, message: `must not exceed compute.maxSize (${maxSize})` });
  }
  if (cpuLow !== undefined && cpuHigh !== undefined && cpuLow >= cpuHigh) {
    problems.push({ key: "compute.cpuLow", value: cpuLow, message: `must be below compute.cpuHigh (${cpuHigh})` });
  }
  if (typeof values.domain === "string" && values.domainDelegated === undefined) {
    problems.push({
      key: "domainDelegated",
      value: undefined,
      message:
        "must be set when domain is set: false until the zone's nameServers (a stack output) are delegated at your registrar, " +
        "then true (a stack that already serves HTTPS on its domain: true). Certificates are only validated when it is true, " +
        "because the provider waits up to 75 minutes (aws_acm_certificate_validation's default create timeout) for a zone nobody can resolve yet",
    });
  }
  for (const dup of duplicates(regions ?? [])) {
    problems.push({ key: "regions", value: regions, message: `lists ${dup} more than once; each region may appear once` });
  }
  if (awsRegion !== undefined && !AWS_REGIONS.includes(awsRegion)) {
    problems.push({ key: "aws:region", value: awsRegion, message: regionMessage(awsRegion) });
  } else if (regions && knownRegions?.length && awsRegion !== undefined && !regions.includes(awsRegion)) {
    problems.push({ key: "aws:region", value: awsRegion, message: `must be one of the stack's regions (${knownRegions.join(", ")})` });
  }
  if (!regions && awsRegion === undefined) {
    problems.push({
      key: "regions",
      value: undefined,
      message: "must be set (or aws:region must be): the program deploys nowhere by default",
    });
  }
  const zoneIds = record(record(values.network).zoneIds);
  for (const [region, ids] of Object.entries(zoneIds)) {
    const listed = Array.isArray(ids) ? ids.map(String) : [];
    for (const dup of duplicates(listed)) {
      problems.push({ key: `network.zoneIds.${region}`, value: ids, message: `lists ${dup} more than once; each zone may appear once` });
    }
    const known = regionFacts(region)?.zoneIds;
    const prefix = known?.[0]?.split("-az")[0];
    const foreign = listed.filter((id) => prefix !== undefined && id.split("-az")[0] !== prefix);
    if (foreign.length > 0) {
      problems.push({
        key: `network.zoneIds.${region}`,
        value: ids,
        message: `names zones of another region (${foreign.join(", ")}); ${region}'s zone IDs look like ${known!.join(", ")}`,
      });
    }
  }
  for (const dup of duplicates(list(database.domains).map((d) => String(d.name)))) {
    problems.push({ key: "database.domains", value: dup, message: "has a duplicate domain name; names must be unique" });
  }
  services.forEach((s, i) => {
    const [min, max] = [num(s.minSize), num(s.maxSize)];
    if (min !== undefined && max !== undefined && min > max) {
      problems.push({ key: `services.${i}.minSize`, value: min, message: `must not exceed services.${i}.maxSize (${max})` });
    }
  });
  for (const field of ["name", "port", "path"] as const) {
    for (const dup of duplicates(services.map((s) => String(s[field])))) {
      problems.push({ key: "services", value: dup, message: `has two services with the same ${field}; each service needs its own` });
    }
  }
  nosqlTables.forEach((t, i) => {
    if (t.rangeKey !== undefined && t.rangeKey === t.hashKey) {
      problems.push({ key: `nosqlTables.${i}.rangeKey`, value: t.rangeKey, message: "must differ from hashKey" });
    }
  });
  for (const dup of duplicates(nosqlTables.map((t) => String(t.name)))) {
    problems.push({ key: "nosqlTables", value: dup, message: "has a duplicate table name; names must be unique" });
  }
  return problems;
}

/**
 * Validates the project's config values (already JSON-decoded) plus `aws:region`.
 * Throws one ConfigError listing every problem.
 */
export function validateConfig(values: Record<string, unknown>, awsRegion: string | undefined, strayKeys: ConfigProblem[] = []): RawConfig {
  const parsed = configSchema.safeParse(values);
  const problems: ConfigProblem[] = [...strayKeys];
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeysAt(issue.path);
      for (const key of issue.keys) {
        problems.push({
          key: dotted([...issue.path, key]),
          value: valueAt(values, [...issue.path, key]),
          message: `is not a known key.${didYouMean(closest(key, allowed))} Allowed here: ${allowed.join(", ")}`,
        });
      }
    } else {
      problems.push({ key: dotted(issue.path) || "(config)", value: valueAt(values, issue.path), message: issue.message });
    }
  }
  problems.push(...crossFieldProblems(values, awsRegion));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  return parsed.data;
}

/**
 * The `aws:` config keys the installed provider reads, as data (data/aws-provider-config.json, checked
 * against `@pulumi/aws/config` by a test): that module creates a `pulumi.Config`, so reading it
 * here would load the whole Pulumi SDK before a config error could be reported.
 */
export const AWS_PROVIDER_KEYS: readonly string[] = awsProviderConfig.keys;

/** Namespaces a stack's config may hold besides the project's own: the providers the program uses, and Pulumi's. */
const OTHER_NAMESPACES = ["aws", "random", "pulumi"];

/**
 * Keys the program would silently ignore: an `aws:` key the provider does not read (`aws:regoin`),
 * or a namespace that is a misspelling of the project's or of `aws` (`aws-scaling-jouney:stage`).
 * Other namespaces (config for other tools) are left alone.
 */
function strayKeyProblems(all: Record<string, string>, project: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const projectKeys = Object.keys(configSchema.shape);
  for (const [fullKey, raw] of Object.entries(all)) {
    const colon = fullKey.indexOf(":");
    if (colon < 0) continue;
    const [namespace, key] = [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
    const value = decodeValue(raw);
    if (namespace === "aws") {
      if (!AWS_PROVIDER_KEYS.includes(key)) {
        const hint = didYouMean(closest(key, AWS_PROVIDER_KEYS).map((k) => `aws:${k}`));
        problems.push({ key: fullKey, value, message: `is not a key the AWS provider reads.${hint}` });
      }
      continue;
    }
    if (namespace === project || OTHER_NAMESPACES.includes(namespace)) continue;
    const namespaces = closest(namespace, [project, "aws"]);
    if (namespaces.length === 0) continue;
    const meant = namespaces[0] === project ? closest(key, projectKeys, 1, Infinity) : closest(key, AWS_PROVIDER_KEYS, 1, Infinity);
    problems.push({
      key: fullKey,
      value,
      message: `is not a known key: its namespace "${namespace}" is not "${namespaces[0]}".${didYouMean(meant.map((k) => `${namespaces[0]}:${k}`))}`,
    });
  }
  return problems;
}

/**
 * A stack's config values as `pulumi.runtime.setAllConfig` takes them (and the CLI passes them to
 * the program): every value a string, structured ones as JSON.
 */
export function configValueStrings(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

/**
 * A stack's config as the Pulumi runtime hands it to the program (`pulumi.runtime.allConfig()`):
 * {@link configValueStrings}, with a `namespace:config:key` key read as `namespace:key`, once
 * (@pulumi/pulumi runtime/config.js `cleanKey`, which `setAllConfig` and the config the CLI passes
 * go through).
 */
export function runtimeConfig(config: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(configValueStrings(config)).map(([k, v]) => [cleanKey(k), v]));
}

/** runtime/config.js `cleanKey`: `namespace:config:key` is read as `namespace:key`. */
function cleanKey(key: string): string {
  const colon = key.indexOf(":");
  return colon > 0 && key.startsWith("config:", colon + 1) ? key.slice(0, colon) + ":" + key.slice(colon + 1 + "config:".length) : key;
}

/**
 * Pulumi hands every config value over as a string; structured values arrive as JSON.
 * Decode each value of the project's namespace, keeping plain strings as they are. `strayKeys`
 * are keys outside it that look meant for it or for `aws:` (pass them to `validateConfig`).
 */
export function decodeConfigValues(
  all: Record<string, string>,
  project: string,
): { values: Record<string, unknown>; awsRegion?: string; strayKeys: ConfigProblem[] } {
  const values: Record<string, unknown> = {};
  const prefix = `${project}:`;
  for (const [fullKey, raw] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    values[fullKey.slice(prefix.length)] = decodeValue(raw);
  }
  return { values, awsRegion: all["aws:region"], strayKeys: strayKeyProblems(all, project) };
}

export function decodeValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
