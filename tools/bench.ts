/**
 * `npm run bench`: wall time and peak memory of the offline plan, next to the cost of merely
 * loading `@pulumi/aws`. Every case runs in a fresh child process (cold module cache, clean
 * memory figures). Prints figures only: no thresholds, no assertions.
 *
 * Columns:
 *   process ms   spawn to exit of the child (node start, ts-node, module loads, plan, exit)
 *   load ms      `require("@pulumi/aws")`, or for a plan: loading the capture harness
 *                (`@pulumi/pulumi`, mocks) and reading the stack config
 *   plan ms      `captureProgram` alone: loading the program (`index.ts`, components and
 *                `@pulumi/aws`, which the harness itself does not load) and running it under
 *                mocks until every resource is registered
 *   ms/res       plan ms per registered resource
 *   peak RSS     `process.resourceUsage().maxRSS` of the child
 *   peak heap    highest `heapUsed` sampled every 5 ms (and after the run)
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { StackSelection } from "./stackConfig";

interface BenchCase {
  label: string;
  /** undefined: only `require("@pulumi/aws")`. */
  selection?: StackSelection;
}

/** 4 regions × 3 domains × 4 shards (issue 4's scale requirement). */
const SCALED_PROD: StackSelection = {
  stack: "prod",
  set: [
    'regions=["us-east-1","eu-west-1","ap-southeast-2","us-west-2"]',
    'database.domains=[{"name":"users","shards":4},{"name":"orders","shards":4},{"name":"catalog","shards":4}]',
  ],
};

export const CASES: BenchCase[] = [
  { label: 'require("@pulumi/aws")' },
  { label: "plan dev", selection: { stack: "dev" } },
  { label: "plan prod", selection: { stack: "prod" } },
  { label: "plan prod 4 regions × 3 domains × 4 shards", selection: SCALED_PROD },
];

interface Measurement {
  resources: number | null;
  loadMs: number;
  planMs: number | null;
  peakRssMb: number;
  peakHeapMb: number;
}

const MB = 1024 * 1024;

/** Child side: measure one case and print one JSON line. */
async function measure(c: BenchCase): Promise<Measurement> {
  global.gc?.();
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 5);
  try {
    const t0 = performance.now();
    if (!c.selection) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require("@pulumi/aws");
      const loadMs = performance.now() - t0;
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      return { resources: null, loadMs, planMs: null, peakRssMb: process.resourceUsage().maxRSS / 1024, peakHeapMb: peakHeap / MB };
    }
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { captureProgram } = require("./capture") as typeof import("./capture");
    const { loadStackConfig } = require("./stackConfig") as typeof import("./stackConfig");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const options = loadStackConfig(c.selection);
    const loadMs = performance.now() - t0;
    const t1 = performance.now();
    const capture = await captureProgram(options);
    const planMs = performance.now() - t1;
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    return {
      resources: capture.resources.length,
      loadMs,
      planMs,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      peakHeapMb: peakHeap / MB,
    };
  } finally {
    clearInterval(sampler);
  }
}

function runChild(index: number): { m?: Measurement; processMs: number; error?: string } {
  const t0 = performance.now();
  const res = spawnSync(process.execPath, ["--expose-gc", "-r", "ts-node/register", __filename, "--child", String(index)], {
    cwd: path.resolve(__dirname, ".."),
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
    encoding: "utf8",
    maxBuffer: 16 * MB,
  });
  const processMs = performance.now() - t0;
  const line = res.stdout.trim().split("\n").pop() ?? "";
  if (res.status !== 0 || !line.startsWith("{")) {
    return { processMs, error: (res.stderr || res.stdout || `exit ${res.status}`).trim().split("\n").slice(-3).join(" | ") };
  }
  return { m: JSON.parse(line) as Measurement, processMs };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ")).join("\n");
}

function main(): void {
  const header = ["case", "resources", "process ms", "load ms", "plan ms", "ms/res", "peak RSS MB", "peak heap MB"];
  const rows: string[][] = [header];
  const f = (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? "-" : n.toFixed(digits));
  for (const [i, c] of CASES.entries()) {
    process.stderr.write(`running: ${c.label}\n`);
    const { m, processMs, error } = runChild(i);
    if (!m) {
      rows.push([c.label, "failed", f(processMs), "-", "-", "-", "-", "-"]);
      process.stderr.write(`  ${c.label} failed: ${error}\n`);
      continue;
    }
    rows.push([
      c.label,
      f(m.resources),
      f(processMs),
      f(m.loadMs),
      f(m.planMs),
      m.resources && m.planMs !== null ? f(m.planMs / m.resources, 2) : "-",
      f(m.peakRssMb, 1),
      f(m.peakHeapMb, 1),
    ]);
  }
  console.log(`node ${process.version}, ${process.platform}/${process.arch}; each case in a fresh child process`);
  console.log(table(rows));
}

if (require.main === module) {
  const childAt = process.argv.indexOf("--child");
  if (childAt >= 0) {
    measure(CASES[Number(process.argv[childAt + 1])]).then(
      (m) => process.stdout.write(JSON.stringify(m) + "\n", () => process.exit(0)),
      (err) => {
        process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  } else {
    main();
    process.exit(0);
  }
}
