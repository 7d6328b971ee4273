/**
 * The runbook's operator steps (one list with the README), multi-stage jumps, dev-to-prod's risk
 * exit, the unplanned failover (and its lag check under GNU and BSD `date`), retiring a protected
 * host volume, and the domain delegation order. Expectations come from the wording, the
 * README, the stack files and plans captured here, never from the runbook's own output.
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stageDefinition } from "../components/stages";
import { README } from "../tools/docs";
import {
  allCommands,
  assertInOrder,
  assertNumbered,
  captured,
  json,
  noStackTrace,
  prodRegions,
  runbook,
  stackFile,
  stepIndex,
} from "./runbookHelpers";

/** The "what you do" cell of the README's promotion row `a → b`. */
function readmePromotionCell(a: number, b: number): string {
  const row = fs
    .readFileSync(README, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`| ${a} → ${b} |`));
  assert.ok(row, `README has a promotion row ${a} → ${b}`);
  return row.split("|")[3];
}

const text = async (...argv: string[]) => (await runbook(...argv)).stdout;

describe("npm run runbook: operations", function () {
  this.timeout(180_000);

  describe("promote prints the README's operator steps (one list)", () => {
    // The three promises of issue 11 the runbook did not keep, by promotion.
    const promises: [number, number, RegExp[]][] = [
      [1, 2, [/point users at `appUrl`/i]],
      [4, 5, [/Upload static assets to the bucket under `static\/`/]],
      [5, 6, [/users sign in again once/, /Deploy the services' code/]],
    ];
    for (const [a, b, patterns] of promises) {
      it(`${a} → ${b}: the README row and the runbook both say it`, async () => {
        const cell = readmePromotionCell(a, b);
        const out = await text("promote", "--stack", "dev", "--from", String(a), "--to", String(b));
        for (const p of patterns) {
          assert.match(cell, p, `README ${a} → ${b}`);
          assert.match(out, p, `runbook ${a} → ${b}`);
        }
      });
    }

    it("4 → 5: the static-assets step uploads to the plan's static bucket under static/", async () => {
      const { doc } = await json("promote", "--stack", "dev", "--from", "4", "--to", "5");
      const bucket = (await captured({ stack: "dev", stage: 5 })).resources.find(
        (r) => r.type === "aws:s3/bucket:Bucket" && r.inputs.tags?.["scaling:data"] === "static-assets",
      );
      assert.ok(bucket);
      const step = doc.steps[stepIndex(doc.steps, /static\//)];
      assert.ok(step.commands.some((c) => c.includes(`Values=${bucket.inputs.tags.Name}`)));
      assert.ok(step.commands.some((c) => /aws s3 sync .* "s3:\/\/\$BUCKET\/static\/"/.test(c)));
      assert.ok(stepIndex(doc.steps, /static\//) > stepIndex(doc.steps, /^pulumi up /), "after the up that creates the bucket");
    });

    it("a step that is only a note prints no `$` line and no snapshot wait (1 → 2 has nothing to snapshot)", async () => {
      const plan1 = await captured({ stack: "dev", stage: 1 });
      const dataTypes = ["aws:rds/cluster:Cluster", "aws:ebs/volume:Volume", "aws:dynamodb/table:Table"];
      assert.ok(!plan1.resources.some((r) => dataTypes.includes(r.type)), "stage 1 has no data store");
      const out = await text("promote", "--stack", "dev", "--from", "1", "--to", "2");
      assert.doesNotMatch(out, /\$ \(/, "a parenthesised note printed as a command");
      assert.doesNotMatch(out, /Wait until every snapshot/);
      const { doc } = await json("promote", "--stack", "dev", "--from", "1", "--to", "2");
      for (const c of allCommands(doc.steps)) assert.doesNotMatch(c, /^\(/);
      // With data, the snapshot step keeps its commands and its wait.
      assert.match(
        await text("promote", "--stack", "dev", "--from", "2", "--to", "3"),
        /\$ aws ec2 create-snapshot[\s\S]*Wait until every snapshot/,
      );
    });

    it("3 → 6 warns that promotion goes one stage at a time and lists every intermediate step's operator steps", async () => {
      const { run, doc } = await json("promote", "--stack", "dev", "--from", "3", "--to", "6");
      assert.equal(run.code, 0, run.stderr);
      const findings = doc.findings.join("\n");
      assert.match(findings, /one stage at a time/);
      assert.match(findings, /promote --stack dev --to 4/);
      for (const [a, b] of [
        [3, 4],
        [4, 5],
        [5, 6],
      ]) {
        assert.match(findings, new RegExp(`${a} → ${b} \\(${stageDefinition(b as 4 | 5 | 6).name}\\)`));
      }
      // The intermediate steps' own operator steps are listed (4 → 5 is crossed, not an end point).
      assert.match(findings, /4 → 5[^\n]*\n\s+- Upload static assets/);
      // A one-stage promotion does not warn.
      const single = await json("promote", "--stack", "dev", "--from", "3", "--to", "4");
      assert.doesNotMatch(single.doc.findings.join("\n"), /one stage at a time/);
    });

    it("6 → 7 says the running cluster's master password changes management, and what to check", async () => {
      const [six, seven] = [await captured({ stack: "dev", stage: 6 }), await captured({ stack: "dev", stage: 7 })];
      const cluster = (c: typeof six) => c.resources.find((r) => r.type === "aws:rds/cluster:Cluster" && r.name.endsWith("-db"));
      assert.equal(cluster(six)?.inputs.manageMasterUserPassword, true, "AWS-managed at stage 6");
      assert.ok(cluster(seven)?.inputs.masterPasswordWoVersion !== undefined, "program-managed (write-only) at stage 7");
      assert.match(readmePromotionCell(6, 7), /master password/);
      const { doc } = await json("promote", "--stack", "dev", "--from", "6", "--to", "7");
      const step = doc.steps[stepIndex(doc.steps, /master password/)];
      assert.ok(step, "a master-password step");
      assert.ok(step.commands.some((c) => c.includes("MasterUserSecret") && c.includes(`Value=='${cluster(six)!.inputs.tags.Name}'`)));
      assert.ok(step.commands.some((c) => c.includes("/ready")));
      assert.ok(stepIndex(doc.steps, /master password/) > stepIndex(doc.steps, /^pulumi up /), "checked after the up");
    });
  });

  describe("dev-to-prod", () => {
    it("exits 1 under its STOP banner when the diff puts stateful resources at risk, naming them", async () => {
      const run = await runbook("dev-to-prod", "--from", "dev", "--to", "prod");
      const { doc } = await json("dev-to-prod", "--from", "dev", "--to", "prod");
      assert.ok(doc.diff.statefulAtRisk.length > 0, "the two stacks' plans disagree about data");
      assert.equal(run.code, 1);
      assert.match(run.stdout, /^#+\nSTOP/);
      for (const r of doc.diff.statefulAtRisk)
        assert.ok(
          doc.stopReasons.some((s) => s.includes(r.name)),
          r.name,
        );
    });

    it("does not tell the user to copy `stage` from dev to prod", async () => {
      assert.notEqual(stackFile("dev")["aws-scaling-journey:stage"], stackFile("prod")["aws-scaling-journey:stage"]);
      const { doc } = await json("dev-to-prod", "--from", "dev", "--to", "prod");
      for (const c of allCommands(doc.steps)) assert.doesNotMatch(c, /config set --stack prod (--path )?'?stage\b/);
      assert.ok(
        doc.configDiff?.changed.some((c) => c.key === "stage"),
        "the difference is still listed",
      );
    });
  });

  describe("failover --unplanned", () => {
    const target = prodRegions[1];
    const primary = prodRegions[0];

    it("fails over every global cluster with --allow-data-loss issued in the target region, then reorders regions; exit 0", async () => {
      const { run, doc } = await json("failover", "--stack", "prod", "--to", target, "--unplanned");
      assert.equal(run.code, 0, run.stderr);
      assertNumbered(doc);
      const ids = (await captured({ stack: "prod" })).resources
        .filter((r) => r.type === "aws:rds/globalCluster:GlobalCluster")
        .map((r) => String(r.inputs.globalClusterIdentifier));
      const failovers = allCommands(doc.steps).filter((c) => c.startsWith("aws rds failover-global-cluster"));
      assert.equal(failovers.length, ids.length);
      for (const id of ids) {
        assert.ok(
          failovers.some(
            (c) => c.includes(`--region ${target} `) && c.includes(`--global-cluster-identifier ${id} `) && c.includes("--allow-data-loss"),
          ),
          `failover of ${id} in ${target}`,
        );
      }
      assert.ok(!allCommands(doc.steps).some((c) => c.includes("switchover-global-cluster")), "no switchover: the primary is down");
      assertInOrder(doc.steps, [
        /AuroraGlobalDBRPOLag/,
        /failover-global-cluster/,
        /DynamoDB global tables/,
        /Route 53/,
        /pulumi config set-all/,
        /^pulumi up /,
        /rds:unplanned-global-failover-/,
        new RegExp(`failover --stack prod --to ${primary}$`),
      ]);
      assert.deepEqual(doc.diff.replaced, []);
      assert.deepEqual(doc.diff.statefulAtRisk, []);
    });

    it("says what it costs (RPO), what DynamoDB and DNS need, and what happens when the old primary returns", async () => {
      const out = await text("failover", "--stack", "prod", "--to", target, "--unplanned");
      assert.match(out, /RPO/);
      assert.match(out, /DynamoDB global tables: nothing to fail over/);
      const domain = stackFile("prod")["aws-scaling-journey:domain"] as string;
      assert.match(out, new RegExp(`dig \\+short origin\\.${domain.replace(/\./g, "\\.")}`));
      assert.match(out, new RegExp(`${primary} comes back: it rejoins as a secondary`));
      assert.match(out, /copy-db-cluster-snapshot/);
    });

    it("the planned mode still switches over (issued in the primary) and never allows data loss", async () => {
      const { doc } = await json("failover", "--stack", "prod", "--to", target);
      const commands = allCommands(doc.steps);
      assert.ok(commands.some((c) => c.startsWith(`aws rds switchover-global-cluster --region ${primary} `)));
      assert.ok(!commands.some((c) => c.includes("--allow-data-loss") || c.includes("failover-global-cluster")));
    });

    it("--unplanned and --rehearse together are a usage error", async () => {
      const run = await runbook("failover", "--stack", "prod", "--to", target, "--unplanned", "--rehearse");
      assert.equal(run.code, 1);
      assert.match(run.stderr, /usage:/);
    });

    it("the lag check runs under GNU and BSD date: Unix seconds, a 15-minute window, no `date -d`", async function () {
      const { doc } = await json("failover", "--stack", "prod", "--to", target, "--unplanned");
      const lagStep = doc.steps[stepIndex(doc.steps, /AuroraGlobalDBRPOLag/)];
      for (const c of allCommands(doc.steps)) assert.doesNotMatch(c, /\bdate\b[^|;)]*\s-(d|v)\b/, c);
      const script = lagStep.commands.slice(0, 2).join("\n");
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lag-"));
      const bin = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      // A fake aws: the cluster lookup answers an id; the metric call records its arguments.
      bin("aws", `if [ "$1" = rds ]; then echo cluster-1; exit 0; fi\nprintf '%s\\n' "$@" > "${dir}/args"\necho 12.0`);
      const styles: Record<string, string> = {
        // BSD date: no -d; -u +%s works.
        bsd: `if [ "$1" = -u ] && [ "$2" = +%s ] && [ $# -eq 2 ]; then echo 1700000000; exit 0; fi\necho "date: illegal option -- $1" >&2\nexit 1`,
        // GNU date: the real one (also answers -d, which the script must not need).
        gnu: `exec /bin/date "$@"`,
      };
      for (const [style, body] of Object.entries(styles)) {
        bin("date", body);
        fs.rmSync(path.join(dir, "args"), { force: true });
        const out = execFileSync("/bin/sh", ["-ec", script], { env: { ...process.env, PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" });
        assert.equal(out.trim(), "12.0", style);
        const args = fs.readFileSync(path.join(dir, "args"), "utf8").trim().split("\n");
        const value = (flag: string) => args[args.indexOf(flag) + 1];
        assert.match(value("--start-time"), /^\d+$/, style);
        assert.equal(Number(value("--end-time")) - Number(value("--start-time")), 900, style);
        assert.equal(value("--metric-name"), "AuroraGlobalDBRPOLag");
        assert.equal(value("--region"), target);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });
  });

  describe("retire-host-volume", () => {
    it("with the volume protected (stage 4): prints `pulumi state unprotect` with the volume's exact URN before setting hostVolumeRetired", async () => {
      const plan4 = await captured({ stack: "dev", stage: 4 });
      const volume = plan4.resources.find((r) => r.type === "aws:ebs/volume:Volume");
      assert.ok(volume, "the stage-4 plan keeps the host volume until it is retired");
      assert.equal(volume.protect, true);
      assert.equal(volume.retainOnDelete, true);
      const { run, doc } = await json("retire-host-volume", "--stack", "dev", "--set", "stage=4");
      assert.equal(run.code, 0, run.stderr);
      const unprotect = allCommands(doc.steps).find((c) => c.startsWith("pulumi state unprotect"));
      assert.equal(unprotect, `pulumi state unprotect --stack dev --yes '${volume.urn}'`);
      assertInOrder(doc.steps, [
        /create-snapshot/,
        /^pulumi state unprotect /,
        /database\.hostVolumeRetired true/,
        /^pulumi up /,
        /delete-volume/,
      ]);
      assert.deepEqual(
        doc.diff.statefulAtRisk.map((r) => r.urn),
        [volume.urn],
        "the volume is the only stateful change",
      );
    });

    it("unprotected (dev at stage 3): no unprotect, and Pulumi deletes it", async () => {
      const volume = (await captured({ stack: "dev", stage: 3 })).resources.find((r) => r.type === "aws:ebs/volume:Volume");
      assert.equal(volume?.protect, false);
      const { doc } = await json("retire-host-volume", "--stack", "dev");
      assert.ok(!allCommands(doc.steps).some((c) => c.includes("state unprotect")));
      assert.ok(!allCommands(doc.steps).some((c) => c.includes("delete-volume")), "Pulumi deletes it itself");
      // The host is still there at stage 3: detaching stops it, so the runbook starts it again.
      const attachment = (await captured({ stack: "dev", stage: 3 })).resources.find(
        (r) => r.type === "aws:ec2/volumeAttachment:VolumeAttachment",
      );
      assert.equal(attachment?.inputs.stopInstanceBeforeDetaching, true);
      assertInOrder(doc.steps, [/database\.hostVolumeRetired true/, /aws ec2 start-instances/]);
    });

    it("refuses while the volume still holds the database (stage 2)", async () => {
      const run = await runbook("retire-host-volume", "--stack", "dev", "--set", "stage=2");
      assert.equal(run.code, 1);
      assert.match(run.stderr, /still holds the database/);
    });

    it("promote 3 → 4 and the README's 2 → 3 runbook name the unprotect path", async () => {
      assert.match(readmePromotionCell(3, 4), /pulumi state unprotect/);
      const readme = fs.readFileSync(README, "utf8");
      const section = readme.slice(readme.indexOf("### Runbook: moving the database off the host"), readme.indexOf("### Runbooks:"));
      assert.match(section, /pulumi state unprotect/);
      assert.match(section, /retire-host-volume/);
      const { doc } = await json("promote", "--stack", "dev", "--from", "3", "--to", "4");
      const volume = (await captured({ stack: "dev", stage: 4 })).resources.find((r) => r.type === "aws:ebs/volume:Volume");
      assert.ok(allCommands(doc.steps).includes(`pulumi state unprotect --stack dev --yes '${volume!.urn}'`));
    });
  });

  describe("add-domain", () => {
    it("sets the domain and applies, then delegates, checks with dig, and only then sets domainDelegated and applies", async () => {
      const { run, doc } = await json("add-domain", "--stack", "dev", "--domain", "example.org");
      assert.equal(run.code, 0, run.stderr);
      assertInOrder(doc.steps, [
        /pulumi config set --stack dev domain example\.org/,
        /pulumi config set --stack dev domainDelegated false/,
        /^pulumi up /,
        /pulumi stack output nameServers/,
        /^dig \+short NS example\.org/,
        /pulumi config set --stack dev domainDelegated true/,
      ]);
      const first = doc.steps[stepIndex(doc.steps, /domainDelegated false/)];
      const order = (c: RegExp) => first.commands.findIndex((x) => c.test(x));
      assert.ok(order(/domainDelegated false/) < order(/^pulumi up /), "not delegated yet on the first up");
      const delegated = stepIndex(doc.steps, /domainDelegated true/);
      assert.ok(
        doc.steps[delegated].commands.some((c) => c.startsWith("pulumi up ")),
        "an up after domainDelegated",
      );
      assert.ok(doc.diff.added.some((r) => r.type === "aws:route53/zone:Zone"));
    });

    it("a bad domain is bad config (exit 2) naming the key", async () => {
      const run = await runbook("add-domain", "--stack", "dev", "--domain", "Not A Domain");
      assert.equal(run.code, 2);
      assert.match(run.stderr, /domain/);
      assert.ok(noStackTrace(run.stderr));
    });

    it("the README gives the same order", () => {
      const readme = fs.readFileSync(README, "utf8");
      const at = (s: string) => readme.indexOf(s);
      for (const s of ["pulumi stack output nameServers", "dig +short NS", "pulumi config set domainDelegated true"])
        assert.ok(at(s) > 0, s);
      assert.ok(
        at("pulumi stack output nameServers") < at("dig +short NS") && at("dig +short NS") < at("pulumi config set domainDelegated true"),
      );
    });
  });
});
