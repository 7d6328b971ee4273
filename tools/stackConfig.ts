/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI would, and applies the
 * plan tool's overrides (`--set key.path=value`, `--stage N`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { decodeValue } from "../components/config";
import type { CaptureOptions } from "./capture";

export const ROOT = path.resolve(__dirname, "..");

export function projectName(root = ROOT): string {
  const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string };
  return project.name;
}

export function availableStacks(root = ROOT): string[] {
  return fs
    .readdirSync(root)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** A `--set` value is JSON when it parses as JSON, else the string itself. */
export function parseOverride(assignment: string): { key: string; value: unknown } {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new UsageError(`--set takes key.path=value, got "${assignment}"`);
  return { key: assignment.slice(0, eq), value: decodeValue(assignment.slice(eq + 1)) };
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Sets `value` at a dotted path under the project's namespace (or at a full `ns:key` path). */
function applyOverride(config: Record<string, unknown>, project: string, key: string, value: unknown): void {
  const [head, ...rest] = key.split(".");
  const fullKey = head.includes(":") ? head : `${project}:${head}`;
  if (rest.length === 0) {
    config[fullKey] = value;
    return;
  }
  const root = structuredClone(config[fullKey] ?? (/^\d+$/.test(rest[0]) ? [] : {})) as Record<string, unknown>;
  let node: Record<string, unknown> = root;
  rest.forEach((segment, i) => {
    if (i === rest.length - 1) {
      node[segment] = value;
      return;
    }
    if (node[segment] === undefined || typeof node[segment] !== "object") node[segment] = /^\d+$/.test(rest[i + 1]) ? [] : {};
    node = node[segment] as Record<string, unknown>;
  });
  config[fullKey] = root;
}

export interface StackSelection {
  stack: string;
  stage?: number;
  set?: string[];
}

export function loadStackConfig({ stack, stage, set = [] }: StackSelection, root = ROOT): CaptureOptions {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) {
    throw new UsageError(`no stack "${stack}": ${path.basename(file)} does not exist (stacks here: ${availableStacks(root).join(", ")})`);
  }
  const project = projectName(root);
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, unknown> = { ...(doc.config ?? {}) };
  for (const assignment of set) {
    const { key, value } = parseOverride(assignment);
    applyOverride(config, project, key, value);
  }
  if (stage !== undefined) config[`${project}:stage`] = stage;
  return { project, stack, config };
}
