/**
 * Deep comparison of JSON-like inputs, and the dot-separated paths the promotion diff
 * (tools/compare.ts) speaks in: which paths differ, paths without list indices (as the trigger
 * file writes them), and the paths a resource's `ignoreChanges` skips.
 */

export type Json = unknown;

export const isObject = (v: Json): v is Record<string, Json> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Deep equality of JSON-like values; object key order is ignored, `undefined` keys count as absent. */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

function children(v: Json): [string, Json][] {
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  if (isObject(v)) return Object.entries(v);
  return [];
}

/**
 * The paths where `a` and `b` differ, as deep as both sides allow: when a block appears or goes
 * away, its leaves are listed (so `rootBlockDevice.encrypted` matches a nested trigger).
 */
export function changedPaths(a: Json, b: Json, prefix: string[] = []): string[] {
  if (deepEqual(a, b)) return [];
  const containerA = Array.isArray(a) || isObject(a);
  const containerB = Array.isArray(b) || isObject(b);
  const sameKind = Array.isArray(a) === Array.isArray(b) && isObject(a) === isObject(b);
  if ((containerA && containerB && sameKind) || (containerA && b === undefined) || (containerB && a === undefined)) {
    const ca = new Map(children(a));
    const cb = new Map(children(b));
    const keys = [...new Set([...ca.keys(), ...cb.keys()])];
    const found = keys.flatMap((k) => changedPaths(ca.get(k), cb.get(k), [...prefix, k]));
    if (found.length > 0) return found;
  }
  return [prefix.join(".")];
}

/** `ebsBlockDevices.0.encrypted` → `ebsBlockDevices.encrypted` (the trigger file omits indices). */
export const withoutIndices = (p: string): string =>
  p
    .split(".")
    .filter((s) => !/^\d+$/.test(s))
    .join(".");

/** Pulumi ignoreChanges paths (`a.b`, `a[0].b`, `a[*]`) → segment matchers. */
export function ignoredBy(ignoreChanges: string[]): (p: string) => boolean {
  const patterns = ignoreChanges.map((ic) =>
    ic
      .replace(/\[(\d+|\*)\]/g, ".$1")
      .replace(/\["([^"]+)"\]/g, ".$1")
      .split(".")
      .filter((s) => s !== ""),
  );
  return (p) => {
    const segs = p.split(".");
    return patterns.some((pat) => pat.length <= segs.length && pat.every((s, i) => s === "*" || s === segs[i]));
  };
}
