/**
 * The smoke test's scenarios (test/smoke.test.ts): `runSmoke` against a fake `pulumi` and `curl`
 * on a temp PATH. Each fake records its arguments (one line per call) and answers as the real
 * command would, steered by files in the fake's directory. test/smokeChild.ts runs every scenario
 * in a child process and prints what each run returned and what was called: a spawn from the
 * test process, with its large heap, costs about twice what it costs from a small one, and the
 * child's spawns run on the other core while the in-process tests run.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CliResult } from "../tools/cli";
import { runSmoke } from "../tools/smoke";
import { ROOT } from "../tools/stackConfig";

// Shell builtins only (no dirname, grep or cat): each call is one process, as cheap as a spawn
// gets. `show` prints a file as `cat` does, a last line without a newline included (it adds one).
const FAKE_PULUMI = `#!/bin/sh
dir=\${0%/*}
echo "pulumi $*" >> "$dir/calls.log"
show() { [ -f "$1" ] || exit 1; while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done < "$1"; }
case "$1 $2" in
  "version "*) echo "v3.248.0" ;;
  "stack select")
    if [ -f "$dir/stacks" ]; then
      while IFS= read -r known || [ -n "$known" ]; do [ "$known" = "$3" ] && exit 0; done < "$dir/stacks"
    fi
    echo "error: no stack named '$3' found" >&2; exit 255 ;;
  "stack init") echo "$3" >> "$dir/stacks"; echo "Created stack '$3'" ;;
  "stack output") show "$dir/outputs.json" ;;
  "stack export") show "$dir/export.json" ;;
  "preview "*)
    if [ -f "$dir/preview-fails" ]; then echo "error: preview failed: 1 mandatory policy violation" >&2; exit 255; fi
    echo "Previewing update (smoke):" ;;
  *) : ;;
esac
`;
const FAKE_CURL = `#!/bin/sh
dir=\${0%/*}
echo "curl $*" >> "$dir/calls.log"
for last; do :; done
case "$last" in
  */ready) if [ -f "$dir/ready-status" ]; then IFS= read -r status < "$dir/ready-status"; printf '%s' "$status"; else printf 200; fi ;;
  *) printf 200 ;;
esac
`;

const GLOBAL = "aws:rds/globalCluster:GlobalCluster";
export const twoRegionExport = (members: { dbClusterArn: string; isWriter: boolean }[]) => ({
  deployment: {
    resources: [
      {
        type: GLOBAL,
        urn: "urn:pulumi:smoke::p::aws:rds/globalCluster:GlobalCluster::db-global",
        outputs: { id: "db-global", globalClusterMembers: members },
      },
    ],
  },
});
export const HEALTHY_MEMBERS = [
  { dbClusterArn: "arn:aws:rds:us-east-1:1:cluster:db", isWriter: true },
  { dbClusterArn: "arn:aws:rds:eu-west-1:1:cluster:db", isWriter: false },
];

interface Scenario {
  /** Files written beside the fakes (they steer them), over the defaults. */
  files?: Record<string, string>;
  /** One `runSmoke` each, in order, in the same directory. */
  runs: {
    argv: string[];
    /** What the public DNS returns for the domain's name servers. */
    ns?: string[];
    /** PATH without the fakes: no Pulumi CLI. */
    noCli?: boolean;
  }[];
}

const STAGE_7_OUTPUTS = {
  stage: 7,
  regions: ["us-east-1", "eu-west-1"],
  appUrl: "https://shop.example.com",
  nameServers: ["ns-1.awsdns-1.org", "ns-2.awsdns-2.com"],
};

export const SCENARIOS = {
  createsMissing: { runs: [{ argv: ["--stack", "smoke-1"] }] },
  selectsExisting: { files: { stacks: "smoke-1\n" }, runs: [{ argv: ["--stack", "smoke-1", "--stage", "5"] }] },
  upHealthy: { runs: [{ argv: ["--stack", "smoke-1", "--up"] }] },
  notReady: { files: { "ready-status": "503" }, runs: [{ argv: ["--stack", "smoke-1", "--up"] }] },
  previewFails: { files: { "preview-fails": "" }, runs: [{ argv: ["--stack", "smoke-1", "--up"] }] },
  stage7: {
    files: { "outputs.json": JSON.stringify(STAGE_7_OUTPUTS), "export.json": JSON.stringify(twoRegionExport(HEALTHY_MEMBERS)) },
    runs: [
      { argv: ["--stack", "smoke-7", "--up"], ns: ["NS-1.awsdns-1.org.", "ns-2.awsdns-2.com"] },
      { argv: ["--stack", "smoke-7", "--up"], ns: ["ns-9.registrar.example"] },
    ],
  },
  noCli: { runs: [{ argv: ["--stack", "smoke-1"], noCli: true }] },
  noStack: { runs: [{ argv: [] }] },
} satisfies Record<string, Scenario>;
export type ScenarioName = keyof typeof SCENARIOS;

/** What a scenario's runs returned, and every call the fakes saw, in order. */
export interface Outcome {
  results: CliResult[];
  calls: string[];
}

/** Runs `scenario` in a fresh directory of fakes, and removes it. */
export async function runScenario(scenario: Scenario): Promise<Outcome> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-"));
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), "smoke-empty-"));
  try {
    fs.writeFileSync(path.join(dir, "pulumi"), FAKE_PULUMI, { mode: 0o755 });
    fs.writeFileSync(path.join(dir, "curl"), FAKE_CURL, { mode: 0o755 });
    const files: Record<string, string> = {
      "outputs.json": JSON.stringify({ stage: 4, regions: ["us-east-1"], appUrl: "http://alb-1.us-east-1.elb.amazonaws.com" }),
      "export.json": JSON.stringify({ deployment: { resources: [] } }),
      ...scenario.files,
    };
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const results: CliResult[] = [];
    for (const run of scenario.runs) {
      const env = { ...process.env, PATH: run.noCli ? empty : `${dir}:/usr/bin:/bin` };
      results.push(await runSmoke(run.argv, { env, cwd: ROOT, resolveNs: async () => run.ns ?? [] }));
    }
    const log = path.join(dir, "calls.log");
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    return { results, calls };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(empty, { recursive: true, force: true });
  }
}
