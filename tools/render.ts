/**
 * Text renderings of an offline plan for `npm run plan`: the default tree, the mermaid diagram,
 * the `--json` document and the `--compare` report. Pure functions of a `Capture` / `PlanDiff`.
 */
import type { Capture, ResourceRecord } from "./capture";
import type { PlanDiff, ResourceChange, ResourceRef } from "./compare";

/** Where the plan says it is: the program's `stage` and `regions` outputs. */
export function planStage(capture: Capture): number | null {
  const stage = capture.outputs.stage;
  return typeof stage === "number" ? stage : null;
}

export function planRegions(capture: Capture): string[] {
  const regions = capture.outputs.regions;
  return Array.isArray(regions) ? regions.map(String) : [];
}

/** The `--json` document (SPEC §Interfaces). */
export function planJson(capture: Capture) {
  return {
    project: capture.project,
    stack: capture.stack,
    stage: planStage(capture),
    regions: planRegions(capture),
    resources: capture.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      parent: r.parent,
      dependencies: r.dependencies,
      provider: r.provider,
      region: r.region,
      custom: r.custom,
      protect: r.protect,
      retainOnDelete: r.retainOnDelete,
      inputs: r.inputs,
    })),
    /** The stack outputs the program exports, as the engine would record them. */
    outputs: capture.outputs,
    /** The warnings the program logged; the tree prints the same list. */
    warnings: capture.warnings,
  };
}

const GLOBAL = "(global)";

/**
 * A component's region: the one region all its custom descendants live in, else `(global)`.
 * A custom resource's region is its own (`(global)` when it has none).
 */
function regionsOf(capture: Capture): Map<string, string> {
  const childrenOf = new Map<string, ResourceRecord[]>();
  for (const r of capture.resources) {
    if (r.parent) childrenOf.set(r.parent, [...(childrenOf.get(r.parent) ?? []), r]);
  }
  const memo = new Map<string, Set<string>>();
  const descendantRegions = (r: ResourceRecord): Set<string> => {
    const known = memo.get(r.urn);
    if (known) return known;
    const set = new Set<string>();
    memo.set(r.urn, set);
    if (r.custom) set.add(r.region ?? GLOBAL);
    for (const c of childrenOf.get(r.urn) ?? []) for (const reg of descendantRegions(c)) set.add(reg);
    return set;
  };
  const out = new Map<string, string>();
  for (const r of capture.resources) {
    const set = descendantRegions(r);
    out.set(r.urn, r.custom ? (r.region ?? GLOBAL) : set.size === 1 ? [...set][0] : GLOBAL);
  }
  return out;
}

const shortType = (type: string) => type.split(":").pop() ?? type;

function countBy<T>(items: T[], key: (t: T) => string): [string, number][] {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** Region sections in the order of the plan's regions, then any others, `(global)` last. */
function regionOrder(capture: Capture, used: Iterable<string>): string[] {
  const all = new Set(used);
  const ordered = planRegions(capture).filter((r) => all.has(r));
  const rest = [...all].filter((r) => !ordered.includes(r) && r !== GLOBAL).sort();
  return [...ordered, ...rest, ...(all.has(GLOBAL) ? [GLOBAL] : [])];
}

/** The default output: components (as a tree), then resources by region, then totals by type. */
export function renderTree(capture: Capture, stageName?: string): string {
  const lines: string[] = [];
  const stage = planStage(capture);
  const components = capture.resources.filter((r) => !r.custom);
  const custom = capture.resources.filter((r) => r.custom);
  const region = regionsOf(capture);
  const byUrn = new Map(capture.resources.map((r) => [r.urn, r]));

  lines.push(`${capture.project} / stack ${capture.stack} — stage ${stage ?? "?"}${stageName ? ` (${stageName})` : ""}`);
  lines.push(`regions: ${planRegions(capture).join(", ") || "(none)"}`);
  if (capture.warnings.length > 0) {
    lines.push("", `Warnings (${capture.warnings.length}):`);
    for (const w of capture.warnings) lines.push(`  ! ${w}`);
  }

  lines.push("", `Components (${components.length})`);
  const customCount = new Map<string, number>();
  for (const r of custom) if (r.parent) customCount.set(r.parent, (customCount.get(r.parent) ?? 0) + 1);
  const printComponent = (c: ResourceRecord, depth: number) => {
    const n = customCount.get(c.urn) ?? 0;
    lines.push(`${"  ".repeat(depth + 1)}${c.name}  [${c.type}]  ${region.get(c.urn)}, ${n} own resource${n === 1 ? "" : "s"}`);
    for (const child of components.filter((x) => x.parent === c.urn)) printComponent(child, depth + 1);
  };
  for (const root of components.filter((c) => !c.parent || !byUrn.get(c.parent) || byUrn.get(c.parent)!.custom)) printComponent(root, 0);

  lines.push("", `Resources by region`);
  const groups = new Map<string, ResourceRecord[]>();
  for (const r of custom) groups.set(region.get(r.urn)!, [...(groups.get(region.get(r.urn)!) ?? []), r]);
  for (const reg of regionOrder(capture, groups.keys())) {
    const rs = groups.get(reg)!;
    lines.push(`  ${reg} (${rs.length} resource${rs.length === 1 ? "" : "s"})`);
    const byParent = new Map<string, ResourceRecord[]>();
    for (const r of rs) {
      const p = r.parent ? byUrn.get(r.parent) : undefined;
      const owner = p ? `${p.name} [${shortType(p.type)}]` : (r.parent ?? "(no parent)");
      byParent.set(owner, [...(byParent.get(owner) ?? []), r]);
    }
    for (const [owner, list] of byParent) {
      lines.push(`    ${owner} (${list.length})`);
      for (const r of list) lines.push(`      ${shortType(r.type).padEnd(28)} ${r.name}${r.protect ? "  [protected]" : ""}`);
    }
  }

  lines.push("", "Totals by type");
  for (const [type, n] of countBy(custom, (r) => r.type)) lines.push(`  ${String(n).padStart(4)}  ${type}`);
  lines.push("", "Totals by region");
  const regionCounts = new Map(countBy(custom, (r) => region.get(r.urn)!));
  for (const reg of regionOrder(capture, regionCounts.keys())) lines.push(`  ${String(regionCounts.get(reg)).padStart(4)}  ${reg}`);
  lines.push(
    "",
    `Total: ${capture.resources.length} resources (${custom.length} custom resources, ${components.length} components) in ${
      planRegions(capture).length
    } region(s)`,
  );
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// Mermaid

const mermaidLabel = (s: string) => s.replace(/"/g, "#quot;").replace(/[<>]/g, (c) => (c === "<" ? "#lt;" : "#gt;"));
const subgraphId = (s: string) => "region_" + s.replace(/[^A-Za-z0-9]/g, "_");

/**
 * A mermaid `flowchart` of components and their resources: parent edges, one subgraph per
 * region, and the leaf resources of one type under one parent collapsed into a single node with
 * a count. Providers are left out (every region has one).
 */
export function renderMermaid(capture: Capture): string {
  const region = regionsOf(capture);
  const hasChildren = new Set(capture.resources.map((r) => r.parent).filter((p): p is string => !!p));
  const ids = new Map<string, string>();
  const nodes = new Map<string, { id: string; label: string; region: string; component: boolean }>();
  const edges = new Set<string>();
  let next = 0;
  const idFor = (key: string) => {
    let id = ids.get(key);
    if (!id) ids.set(key, (id = `n${next++}`));
    return id;
  };
  const leafGroups = new Map<string, { count: number; type: string; region: string; parent: string | null; names: string[] }>();

  for (const r of capture.resources) {
    if (r.type.startsWith("pulumi:providers:")) continue;
    const reg = region.get(r.urn)!;
    if (!r.custom || hasChildren.has(r.urn)) {
      const id = idFor(r.urn);
      nodes.set(id, {
        id,
        label: `${mermaidLabel(r.name)}<br/><i>${mermaidLabel(shortType(r.type))}</i>`,
        region: reg,
        component: !r.custom,
      });
      if (r.parent) edges.add(`${idFor(r.parent)} --> ${id}`);
      continue;
    }
    const key = `${r.parent ?? ""}|${r.type}|${reg}`;
    const g = leafGroups.get(key) ?? { count: 0, type: r.type, region: reg, parent: r.parent, names: [] };
    g.count++;
    g.names.push(r.name);
    leafGroups.set(key, g);
  }
  for (const [key, g] of leafGroups) {
    const id = idFor(key);
    const label =
      g.count === 1
        ? `${mermaidLabel(g.names[0])}<br/><i>${mermaidLabel(shortType(g.type))}</i>`
        : `${mermaidLabel(shortType(g.type))} ×${g.count}`;
    nodes.set(id, { id, label, region: g.region, component: false });
    if (g.parent) edges.add(`${idFor(g.parent)} --> ${id}`);
  }

  const lines = ["flowchart LR"];
  const byRegion = new Map<string, typeof nodes extends Map<string, infer V> ? V[] : never>();
  for (const n of nodes.values()) byRegion.set(n.region, [...(byRegion.get(n.region) ?? []), n]);
  const shape = (n: { id: string; label: string; component: boolean }) =>
    n.component ? `${n.id}[["${n.label}"]]` : `${n.id}("${n.label}")`;
  for (const reg of regionOrder(capture, byRegion.keys())) {
    const members = byRegion.get(reg)!;
    if (reg === GLOBAL) {
      for (const n of members) lines.push(`  ${shape(n)}`);
      continue;
    }
    lines.push(`  subgraph ${subgraphId(reg)}["${reg}"]`);
    for (const n of members) lines.push(`    ${shape(n)}`);
    lines.push("  end");
  }
  for (const e of edges) lines.push(`  ${e}`);
  lines.push("  classDef component fill:#eef,stroke:#446;");
  const componentIds = [...nodes.values()].filter((n) => n.component).map((n) => n.id);
  if (componentIds.length > 0) lines.push(`  class ${componentIds.join(",")} component;`);
  return lines.join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// --compare

const line = (r: ResourceRef) => `${shortType(r.type).padEnd(28)} ${r.name}  (${r.region ?? "no region"})`;

/** Longest rendering of one value in the diff; longer values are cut in the middle. */
export const DIFF_VALUE_WIDTH = 60;
/** Changed inputs listed per resource before the rest are summarised. */
export const DIFF_MAX_PATHS = 12;

/** A value as the diff prints it: JSON, or `(unset)` when absent. */
const asText = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));

/** Shortens a value in the middle when it is longer than `width`. */
export function shortValue(v: unknown, width = DIFF_VALUE_WIDTH): string {
  const text = asText(v);
  if (text.length <= width) return text;
  const keep = width - 1;
  return `${text.slice(0, Math.ceil(keep / 2))}…${text.slice(text.length - Math.floor(keep / 2))}`;
}

/**
 * Old and new value, each at most about `width` characters; when both are long they are cut
 * around their first difference, so the part that changed is the part shown.
 */
export function shortPair(a: unknown, b: unknown, width = DIFF_VALUE_WIDTH): [string, string] {
  const [ta, tb] = [asText(a), asText(b)];
  if (ta.length <= width && tb.length <= width) return [ta, tb];
  let common = 0;
  while (common < ta.length && common < tb.length && ta[common] === tb[common]) common++;
  const start = Math.max(0, common - Math.floor(width / 3));
  const cut = (t: string) =>
    t.length <= width ? t : `${start > 0 ? "…" : ""}${t.slice(start, start + width)}${start + width < t.length ? "…" : ""}`;
  return [cut(ta), cut(tb)];
}

/** Inputs whose values are credentials: the diff says they change, never what to. */
const SECRET_INPUT = /(password|secretString|secretBinary|privateKey|authToken)(Wo)?$/i;

/** `path: old → new`, one line per changed input, at most `DIFF_MAX_PATHS` of them. */
function valueLines(r: ResourceChange, indent: string): string[] {
  const lines = r.changes.slice(0, DIFF_MAX_PATHS).map((c) => {
    if (c.unknownBecause) return `${indent}${c.path}: ${shortValue(c.from)} → (unknown: ${c.unknownBecause})`;
    const secret = c.path.split(".").some((seg) => SECRET_INPUT.test(seg)) && [c.from, c.to].some((v) => typeof v === "string");
    if (secret)
      return `${indent}${c.path}: ${c.from === undefined ? "(unset)" : "[secret]"} → ${c.to === undefined ? "(unset)" : "[secret]"}`;
    const [from, to] = shortPair(c.from, c.to);
    return `${indent}${c.path}: ${from} → ${to}`;
  });
  if (r.changes.length > DIFF_MAX_PATHS) lines.push(`${indent}… and ${r.changes.length - DIFF_MAX_PATHS} more changed inputs`);
  return lines;
}

/** The human-readable `--compare` report. */
export function renderDiff(diff: PlanDiff, fromLabel: string, toLabel: string): string {
  const out: string[] = [`Plan diff: ${fromLabel} → ${toLabel}`];
  const c = diff.counts;
  out.push(
    `  ${c.added} to add, ${c.updated} to update, ${c.replaced} to replace, ${c.unknown} unknown, ${c.removed} to delete, ${c.unchanged} unchanged`,
  );
  // A note shared by several resources (the same conditional trigger on every SSM parameter, say)
  // is printed once, at the end, with the resources it applies to counted.
  const noteUses = new Map<string, number>();
  for (const r of [...diff.updated, ...diff.replaced, ...diff.unknown])
    for (const n of r.notes) noteUses.set(n, (noteUses.get(n) ?? 0) + 1);
  const ownNotes = (r: ResourceChange) => r.notes.filter((n) => noteUses.get(n) === 1).map((n) => `      note: ${n}`);
  const section = (title: string, count: number, items: string[]) => {
    out.push("", `${title} (${count})`);
    if (count === 0) out.push("  (none)");
    for (const i of items) out.push(i);
  };
  const alias = (r: ResourceChange) => (r.fromUrn !== r.urn ? `  (via alias from ${r.fromUrn})` : "");
  section(
    "+ added",
    c.added,
    diff.added.map((r) => `  + ${line(r)}`),
  );
  section(
    "- removed",
    c.removed,
    diff.removed.map((r) => `  - ${line(r)}`),
  );
  section(
    "~ updated",
    c.updated,
    diff.updated.flatMap((r) => [`  ~ ${line(r)}${alias(r)}`, ...valueLines(r, "      "), ...ownNotes(r)]),
  );
  section(
    "+- replaced",
    c.replaced,
    diff.replaced.flatMap((r) => [
      `  +- ${line(r)}${alias(r)}`,
      ...r.reasons.map((why) => `      because: ${why}`),
      ...valueLines(r, "      "),
      ...ownNotes(r),
    ]),
  );
  section(
    "? unknown (type not in data/replace-triggers.json: may be replaced)",
    c.unknown,
    diff.unknown.flatMap((r) => [`  ? ${line(r)}${alias(r)}`, ...valueLines(r, "      "), ...ownNotes(r)]),
  );
  const shared = [...noteUses].filter(([, n]) => n > 1);
  if (shared.length > 0) {
    out.push("", "Notes");
    for (const [note, n] of shared) out.push(`  ${note}  (${n} resources)`);
  }
  out.push("");
  if (diff.statefulAtRisk.length === 0) {
    out.push("STATEFUL: no stateful resource is removed or replaced.");
  } else {
    const bar = "!".repeat(78);
    out.push(bar, `!!! STATEFUL RESOURCES AT RISK (${diff.statefulAtRisk.length}): data would be lost or rebuilt`, bar);
    for (const r of diff.statefulAtRisk) {
      const flags = [r.protect ? "protected: up would fail" : "", r.retainOnDelete ? "retainOnDelete: left in AWS, unmanaged" : ""].filter(
        Boolean,
      );
      out.push(`  !! ${r.change.toUpperCase()} ${line(r)}${flags.length ? `  [${flags.join("; ")}]` : ""}`);
      for (const why of r.reasons) out.push(`       because: ${why}`);
    }
    out.push(bar);
  }
  return out.join("\n") + "\n";
}
