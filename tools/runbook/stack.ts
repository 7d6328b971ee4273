/** What runbooks read from a stack: its config, as the program would, and its captured plans. */
import { ConfigError, STAGE_ALLOWED } from "../../components/config";
import { isStageNumber, StageNumber } from "../../components/stages";
import { Capture, captureProgram, CaptureOptions, ResourceRecord } from "../capture";

/**
 * The plan of a stack config. One process that plans many times (the tests) shares plans through
 * `shareCaptures()` in tools/capture.ts; a runbook CLI plans each config once anyway.
 */
export function capture(options: CaptureOptions): Promise<Capture> {
  return captureProgram(options);
}

const projectKey = (options: CaptureOptions, key: string) => `${options.project}:${key}`;

/** A key of the program's namespace as written in the stack file, unvalidated (undefined when absent). */
export const rawConfig = (options: CaptureOptions, key: string): unknown => options.config[projectKey(options, key)];

export function configuredStage(options: CaptureOptions): StageNumber {
  const stage = rawConfig(options, "stage");
  if (!isStageNumber(stage)) {
    throw new ConfigError([{ key: "stage", value: stage, message: `must be ${STAGE_ALLOWED}` }]);
  }
  return stage;
}

/** `regions` as the program reads it: the list, else `[aws:region]`. */
export function configuredRegions(options: CaptureOptions): string[] {
  const regions = rawConfig(options, "regions");
  if (Array.isArray(regions)) return regions.map(String);
  const home = options.config["aws:region"];
  return typeof home === "string" ? [home] : [];
}

export const homeRegionOf = (options: CaptureOptions) => String(options.config["aws:region"] ?? configuredRegions(options)[0]);

export const custom = (capture: Capture, type: string) => capture.resources.filter((r) => r.custom && r.type === type);
export const nameTag = (r: ResourceRecord): string => (r.inputs.tags?.Name as string | undefined) ?? r.name;

/** The stack of a plan capture renamed, so that two stacks' plans can be matched by URN. */
export function asStack(capture: Capture, stack: string): Capture {
  const from = `urn:pulumi:${capture.stack}::`;
  const to = `urn:pulumi:${stack}::`;
  const rename = (urn: string) => (urn.startsWith(from) ? to + urn.slice(from.length) : urn);
  // Names derived from the stack (`<project>-<stack>…`, `/<project>/<stack>/…`, the stack tag)
  // differ by design between two stacks: compare them as if they were the target's.
  const names: [string, string][] = [
    [`${capture.project}-${capture.stack}`, `${capture.project}-${stack}`],
    [`/${capture.project}/${capture.stack}`, `/${capture.project}/${stack}`],
  ];
  const renameValue = (v: unknown): unknown => {
    if (typeof v === "string") return names.reduce((s, [a, b]) => s.split(a).join(b), v);
    if (Array.isArray(v)) return v.map(renameValue);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => [k, k === "scaling:stack" && x === capture.stack ? stack : renameValue(x)]),
      );
    }
    return v;
  };
  return {
    ...capture,
    stack,
    resources: capture.resources.map((r) => ({
      ...r,
      urn: rename(r.urn),
      parent: r.parent && rename(r.parent),
      dependencies: r.dependencies.map(rename),
      provider: r.provider && rename(r.provider),
      aliases: r.aliases.map((a) => (a.urn ? { urn: rename(a.urn) } : a.parentUrn ? { ...a, parentUrn: rename(a.parentUrn) } : a)),
      propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map(rename)])),
      inputs: renameValue(r.inputs) as Record<string, any>,
    })),
  };
}

export interface ConfigDiff {
  onlyIn: Record<string, string[]>;
  changed: { key: string; from: unknown; to: unknown }[];
}

/** Leaf keys of a stack file's config (`project:` dropped from the program's own keys). Lists are one value. */
export function flattenConfig(config: Record<string, unknown>, project: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(`${prefix}.${k}`, v);
    } else {
      out.set(prefix, value);
    }
  };
  for (const [key, value] of Object.entries(config)) walk(key.startsWith(`${project}:`) ? key.slice(project.length + 1) : key, value);
  return out;
}

export function diffConfig(a: CaptureOptions, b: CaptureOptions): ConfigDiff {
  const fa = flattenConfig(a.config, a.project);
  const fb = flattenConfig(b.config, b.project);
  const changed = [...fa.keys()]
    .filter((k) => fb.has(k) && JSON.stringify(fa.get(k)) !== JSON.stringify(fb.get(k)))
    .sort()
    .map((key) => ({ key, from: fa.get(key), to: fb.get(key) }));
  return {
    onlyIn: {
      [a.stack]: [...fa.keys()].filter((k) => !fb.has(k)).sort(),
      [b.stack]: [...fb.keys()].filter((k) => !fa.has(k)).sort(),
    },
    changed,
  };
}
