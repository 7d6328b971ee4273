/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` the way the Pulumi CLI would, and applies the
 * plan tool's overrides (`--set key.path=value`, `--stage N`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse, YAMLParseError } from "yaml";
import { decodeValue, runtimeConfig } from "../components/config";
import { planFromConfig } from "../components/plan";
import type { CaptureOptions } from "./capture";
import { UsageError } from "./cli";

export const ROOT = path.resolve(__dirname, "..");

export function projectName(root = ROOT): string {
  const project = readYamlFile(path.join(root, "Pulumi.yaml")) as { name: string };
  return project.name;
}

/**
 * A stack or project file that is not valid YAML, or not the shape Pulumi reads: bad config,
 * so the CLIs exit 2 and print the file, line and column.
 */
export class StackFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly column: number | undefined,
    detail: string,
  ) {
    super(`${file}${line === undefined ? "" : `:${line}${column === undefined ? "" : `:${column}`}`}: ${detail}`);
    this.name = "StackFileError";
  }
}

const indentOf = (line: string) => /^[ \t]*/.exec(line)![0];
const isContent = (line: string) => line.trim() !== "" && !line.trim().startsWith("#");

/**
 * The YAML parser reports where it gave up, which is often a line after the mistake (an
 * unclosed quote is reported at the end of the file). Look for the usual mistakes up to that
 * point and name the first one's line instead.
 */
export function likelyMistake(text: string, parserLine: number): { line: number; column: number; hint: string } | undefined {
  const lines = text.split("\n");
  let previous: string | undefined;
  for (let i = 0; i < Math.min(lines.length, parserLine + 1); i++) {
    const line = lines[i];
    if (!isContent(line)) continue;
    const indent = indentOf(line);
    if (indent.includes("\t"))
      return { line: i + 1, column: indent.indexOf("\t") + 1, hint: "a tab in the indentation (YAML indents with spaces)" };
    const quotes = line.replace(/\\"/g, "").replace(/#.*$/, "").split('"').length - 1;
    if (quotes % 2 === 1) return { line: i + 1, column: line.indexOf('"') + 1, hint: "a quote that is not closed on this line" };
    if (previous !== undefined && indent.length > indentOf(previous).length && /:\s+[^\s|>&*#]/.test(previous.trim().replace(/^- /, ""))) {
      return {
        line: i + 1,
        column: indent.length + 1,
        hint: "this line is indented deeper than the key above it, which already has a value (align it with that key)",
      };
    }
    previous = line;
  }
  return undefined;
}

/**
 * Parsed YAML documents by their text: a process that plans many times (the tests, a runbook)
 * reads the same stack files hundreds of times, and parsing was most of each read. Callers get a
 * copy (they apply overrides to it); a stack file holds plain data (YAML 1.1's `!!binary` would
 * come back as a Uint8Array, not a Buffer), and the parser's warnings come with the first parse.
 */
const parsedDocuments = new Map<string, unknown>();
function parsed(text: string): unknown {
  if (!parsedDocuments.has(text)) {
    if (parsedDocuments.size >= 64) parsedDocuments.clear();
    parsedDocuments.set(text, parse(text));
  }
  return parsedDocuments.get(text);
}

/** Parses a YAML file; a syntax error becomes a StackFileError naming the most likely line. */
export function readYamlFile(file: string): unknown {
  const text = fs.readFileSync(file, "utf8");
  const name = path.basename(file);
  try {
    return structuredClone(parsed(text));
  } catch (err) {
    if (!(err instanceof YAMLParseError)) throw err;
    const [line, column] = [err.linePos?.[0].line, err.linePos?.[0].col];
    const parserSays = err.message.split("\n")[0];
    const likely = line === undefined ? undefined : likelyMistake(text, line);
    if (likely)
      throw new StackFileError(name, likely.line, likely.column, `is not valid YAML: ${likely.hint} (the parser says: ${parserSays})`);
    throw new StackFileError(name, line, column, `is not valid YAML: ${parserSays}`);
  }
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

// Defined with the CLI helpers (which load nothing heavy); re-exported for existing importers.
export { UsageError };

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
  const doc = readYamlFile(file) ?? {};
  const isMapping = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMapping(doc)) throw new StackFileError(path.basename(file), undefined, undefined, "must be a YAML mapping with a `config:` key");
  const block = (doc as { config?: unknown }).config ?? {};
  if (!isMapping(block)) {
    throw new StackFileError(path.basename(file), undefined, undefined, "`config:` must be a mapping of `namespace:key: value` entries");
  }
  const config: Record<string, unknown> = { ...(block as Record<string, unknown>) };
  for (const assignment of set) {
    const { key, value } = parseOverride(assignment);
    applyOverride(config, project, key, value);
  }
  if (stage !== undefined) config[`${project}:stage`] = stage;
  return { project, stack, config };
}

/**
 * Throws the program's own ConfigError if it would reject `options`' config: the pure steps
 * index.ts runs first (components/plan.ts `planFromConfig`) on the config as the runtime hands it
 * over, without the program's resources or the Pulumi SDK, so that a CLI reports a bad config
 * before loading them.
 */
export function checkStackConfig(options: CaptureOptions): void {
  planFromConfig(runtimeConfig(options.config), { project: options.project, stack: options.stack });
}
