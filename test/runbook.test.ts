/**
 * `npm run runbook`: ordered steps, then the offline diff of what `pulumi up` will change.
 * Runs in-process through `runRunbook` (each run captures two plans); one real process, queued when
 * this file loads (test/children.ts), checks the exit code. Expectations come from the stage table, the stack files and
 * plans captured independently here, never from the runbook's own output.
 */
import { strict as assert } from "node:assert";
import { GLOBAL_SERVICES_REGION } from "../components/platform";
import { stageDefinition, StageNumber } from "../components/stages";
import { runRunbook } from "../tools/runbook/index";
import { runScriptInBackground } from "./children";
import {
  allCommands,
  assertInOrder,
  assertNumbered,
  captured,
  json,
  noStackTrace,
  prodRegions,
  PROJECT,
  runbook,
  stackFile,
  stepIndex,
} from "./runbookHelpers";

/** The runbook CLI as a real process (it loads the SDKs and captures its plans itself). */
const stopped = runScriptInBackground("runbook", [
  "promote",
  "--stack",
  "dev",
  "--from",
  "2",
  "--to",
  "3",
  "--set",
  "database.hostVolumeRetired=true",
]);

describe("npm run runbook", function () {
  this.timeout(120_000);
  describe("promote", () => {
    it("dev 2 → 3: dump/restore steps (the stage table moves the database to Aurora) and a diff that adds Aurora, no stateful risk", async () => {
      const [from, to] = [stageDefinition(2), stageDefinition(3)];
      assert.ok(from.capabilities.hostDatabase && to.capabilities.aurora, "the table moves the database at 2 → 3");
      const { run, doc } = await json("promote", "--stack", "dev", "--from", "2", "--to", "3");
      assert.equal(run.code, 0, run.stderr);
      assertNumbered(doc);
      assert.equal(doc.operation, "promote");
      assert.equal(doc.stack, "dev");
      assertInOrder(doc.steps, [
        /npm run policy -- --stack dev --stage 3/,
        /create-snapshot|create-db-cluster-snapshot/,
        /pulumi config set --stack dev stage 3/,
        /pulumi preview .*--policy-pack policies --diff/,
        /^pulumi up /,
        /pg_dump/,
        /pg_restore/,
        /restart scaling-app/,
        /appUrl/,
        /database\.hostVolumeRetired true/,
      ]);
      const commands = allCommands(doc.steps).join("\n");
      assert.match(commands, /aws ssm (send-command|start-session)/);
      assert.match(commands, /aws secretsmanager get-secret-value/);

      // The diff is exactly the plans' difference: what stage 3 has and stage 2 has not.
      const [before, after] = [await captured({ stack: "dev", stage: 2 }), await captured({ stack: "dev", stage: 3 })];
      const beforeUrns = new Set(before.resources.map((r) => r.urn));
      const expectedAdded = after.resources.filter((r) => !beforeUrns.has(r.urn)).map((r) => r.urn);
      assert.deepEqual(doc.diff.added.map((r) => r.urn).sort(), expectedAdded.sort());
      for (const type of ["aws:rds/cluster:Cluster", "aws:rds/clusterInstance:ClusterInstance"]) {
        assert.ok(
          doc.diff.added.some((r) => r.type === type),
          `adds a ${type}`,
        );
      }
      assert.deepEqual(doc.diff.statefulAtRisk, []);
      assert.equal(doc.stop, false);
    });

    it("defaults --from to the stack file's stage, and 3 → 4 names the Elastic IP the up releases", async () => {
      const fileStage = stackFile("dev")[`${PROJECT}:stage`] as StageNumber;
      const next = (fileStage + 1) as StageNumber;
      assert.ok(stageDefinition(fileStage).capabilities.singleHost && !stageDefinition(next).capabilities.singleHost);
      assert.ok(stageDefinition(next).capabilities.loadBalancedWebTier && !stageDefinition(fileStage).capabilities.loadBalancedWebTier);
      const { run, doc } = await json("promote", "--stack", "dev", "--to", String(next));
      assert.equal(run.code, 0, run.stderr);
      assertNumbered(doc);
      const text = (await runbook("promote", "--stack", "dev", "--to", String(next))).stdout;
      assert.match(text, new RegExp(`promote dev from stage ${fileStage} .* to stage ${next}`));

      const [before, after] = [await captured({ stack: "dev", stage: fileStage }), await captured({ stack: "dev", stage: next })];
      const afterUrns = new Set(after.resources.map((r) => r.urn));
      const released = before.resources.filter((r) => r.type === "aws:ec2/eip:Eip" && !afterUrns.has(r.urn));
      assert.ok(released.length > 0, "the plans release an EIP");
      const eipStep = doc.steps[stepIndex(doc.steps, /^The host's Elastic IP is released$/)];
      for (const eip of released) assert.ok(eipStep.notes.join(" ").includes(eip.name), `names ${eip.name}`);
      assert.ok(stepIndex(doc.steps, /TTL/) >= 0, "a DNS TTL step");
      assert.ok(stepIndex(doc.steps, /TTL/) < stepIndex(doc.steps, /^pulumi up /), "TTL before up");
      assert.ok(stepIndex(doc.steps, /pg_dump/) < 0, "no dump: the database already left the host");
      assert.deepEqual(doc.diff.statefulAtRisk, []);
    });

    it("6 → 7 (multi-region on): the instance-class requirement, and the regions after the first become active", async () => {
      assert.ok(stageDefinition(7).capabilities.multiRegion && !stageDefinition(6).capabilities.multiRegion);
      const regions = ["--set", 'regions=["us-east-1","eu-west-1"]'];
      // AWS rejects a burstable class in a global database: the target plan is a config error.
      const burstable = ["--set", "database.instanceClass=db.t4g.medium"];
      const refused = await runbook("promote", "--stack", "dev", "--from", "6", "--to", "7", ...regions, ...burstable);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /database\.instanceClass/);
      const globalClass = stageDefinition(7).defaults.database.instanceClass;
      const { doc } = await json(
        "promote",
        "--stack",
        "dev",
        "--from",
        "6",
        "--to",
        "7",
        ...regions,
        "--set",
        `database.instanceClass=${globalClass}`,
      );
      const classStep = doc.steps.find((s) => s.notes.some((n) => n.includes("memory-optimised classes")));
      assert.ok(classStep, "an instance-class step");
      assert.ok(classStep.notes.join(" ").includes(globalClass), "names the class the target plan uses");
      const regionsStep = doc.steps[stepIndex(doc.steps, /Regions after the first/)];
      assert.ok(regionsStep.commands.some((c) => c.includes("--region eu-west-1")));
      assert.ok(doc.diff.added.some((r) => r.region === "eu-west-1"));
    });

    it("STOPs (exit 1) when the diff loses data: promoting 2 → 3 with the host volume already retired", async () => {
      const run = await runbook("promote", "--stack", "dev", "--from", "2", "--to", "3", "--set", "database.hostVolumeRetired=true");
      assert.equal(run.code, 1);
      const firstText = run.stdout.split("\n").find((l) => !/^#+$/.test(l));
      assert.match(firstText ?? "", /^STOP/);
      assert.match(run.stdout, /STATEFUL RESOURCES AT RISK/);
      const { doc } = await json("promote", "--stack", "dev", "--from", "2", "--to", "3", "--set", "database.hostVolumeRetired=true");
      assert.equal(doc.stop, true);
      const volume = (await captured({ stack: "dev", stage: 2 })).resources.find((r) => r.type === "aws:ebs/volume:Volume");
      assert.ok(volume);
      assert.deepEqual(
        doc.diff.statefulAtRisk.map((r) => [r.urn, r.change]),
        [[volume.urn, "removed"]],
      );
    });

    it("STOPs on a demotion that drops the global databases (prod 7 → 6)", async () => {
      const run = await runbook("promote", "--stack", "prod", "--to", "6");
      assert.equal(run.code, 1);
      const prod = await captured({ stack: "prod" });
      const globals = prod.resources.filter((r) => r.type === "aws:rds/globalCluster:GlobalCluster");
      const { doc } = await json("promote", "--stack", "prod", "--to", "6");
      for (const g of globals) assert.ok(doc.diff.statefulAtRisk.some((r) => r.urn === g.urn && r.change === "removed"));
    });
  });

  describe("add-region", () => {
    it("adds resources in the new region, at index regions.length, and puts nothing stateful at risk", async () => {
      const region = "ap-southeast-2";
      assert.ok(!prodRegions.includes(region));
      const { run, doc } = await json("add-region", "--stack", "prod", "--region", region);
      assert.equal(run.code, 0, run.stderr);
      assertNumbered(doc);
      assertInOrder(doc.steps, [
        /service-quotas/,
        new RegExp(`regions\\[${prodRegions.length}\\]' ${region}`),
        /pulumi preview/,
        /^pulumi up /,
      ]);
      assert.ok(doc.diff.added.some((r) => r.region === region));
      // Everything else added is homed: the home region's joins, or Route 53 records and health checks.
      const homed = [region, stackFile("prod")["aws:region"], GLOBAL_SERVICES_REGION];
      assert.deepEqual(
        doc.diff.added.filter((r) => r.region !== null && !homed.includes(r.region)),
        [],
      );
      assert.deepEqual(doc.diff.statefulAtRisk, []);
      assert.deepEqual(doc.diff.replaced, []);
      const verify = allCommands(doc.steps).join("\n");
      assert.match(verify, new RegExp(`/health`));
      assert.match(verify, /aws rds describe-global-clusters/);
    });

    it("validates the region through the program's config: a bad one exits 2 naming it", async () => {
      const run = await runbook("add-region", "--stack", "prod", "--region", "mars-north-1");
      assert.equal(run.code, 2);
      assert.match(run.stderr, /regions\.\d+.*mars-north-1/);
      assert.ok(noStackTrace(run.stderr));
    });
  });

  describe("failover", () => {
    const target = prodRegions[1];

    it("switches over every global cluster of the plan, then reorders regions; the diff replaces nothing and risks nothing", async () => {
      const { run, doc } = await json("failover", "--stack", "prod", "--to", target);
      assert.equal(run.code, 0, run.stderr);
      assertNumbered(doc);
      const prod = await captured({ stack: "prod" });
      const ids = prod.resources
        .filter((r) => r.type === "aws:rds/globalCluster:GlobalCluster")
        .map((r) => String(r.inputs.globalClusterIdentifier));
      assert.ok(ids.length > 1);
      const switchovers = allCommands(doc.steps).filter((c) => c.includes("aws rds switchover-global-cluster"));
      assert.equal(switchovers.length, ids.length);
      for (const id of ids) {
        assert.ok(
          switchovers.some((c) => c.includes(`--global-cluster-identifier ${id} `) && c.includes("--target-db-cluster-identifier")),
          `switchover of ${id}`,
        );
      }
      const reordered = [target, ...prodRegions.filter((r) => r !== target)];
      const setRegions = reordered.map((r, i) => `'regions[${i}]'=${r}`);
      const configStep = stepIndex(doc.steps, /pulumi config set-all/);
      assert.ok(setRegions.every((s) => doc.steps[configStep].commands[0].includes(s)));
      assertInOrder(doc.steps, [
        /AuroraGlobalDBRPOLag/,
        /switchover-global-cluster/,
        /pulumi config set-all/,
        /pulumi preview/,
        /^pulumi up /,
      ]);
      assert.deepEqual(doc.diff.replaced, []);
      assert.deepEqual(doc.diff.statefulAtRisk, []);
      assert.match((await runbook("failover", "--stack", "prod", "--to", target)).stdout, /CHECK OK: .*replaces nothing/);
    });

    it("--rehearse adds a fail-back step to the current primary", async () => {
      const { doc } = await json("failover", "--stack", "prod", "--to", target, "--rehearse");
      const last = doc.steps[doc.steps.length - 1];
      assert.ok(last.commands.some((c) => c.includes(`failover --stack prod --to ${prodRegions[0]}`)));
    });

    it("refuses a region that is not configured, or is already the primary (exit 1)", async () => {
      for (const to of ["ap-southeast-2", prodRegions[0]]) {
        const run = await runbook("failover", "--stack", "prod", "--to", to);
        assert.equal(run.code, 1, to);
        assert.match(run.stderr, /usage:/);
      }
    });
  });

  describe("dev-to-prod", () => {
    it("lists the config keys that differ, from the two stack files, and diffs the plans at prod's stage", async () => {
      const flat = (config: Record<string, unknown>) => {
        const out = new Map<string, string>();
        const walk = (key: string, v: unknown) =>
          v && typeof v === "object" && !Array.isArray(v)
            ? Object.entries(v).forEach(([k, x]) => walk(`${key}.${k}`, x))
            : out.set(key.replace(`${PROJECT}:`, ""), JSON.stringify(v));
        Object.entries(config).forEach(([k, v]) => walk(k, v));
        return out;
      };
      // dev's burstable DB class is a config error at prod's (multi-region) stage; the runbook applies
      // --set to both stacks, and so does the expectation.
      const classSet = `database.instanceClass=${stageDefinition(7).defaults.database.instanceClass}`;
      const withClass = (m: Map<string, string>) => m.set(classSet.split("=")[0], JSON.stringify(classSet.split("=")[1]));
      const [dev, prod] = [withClass(flat(stackFile("dev"))), withClass(flat(stackFile("prod")))];
      const { doc } = await json("dev-to-prod", "--from", "dev", "--to", "prod", "--set", classSet);
      assertNumbered(doc);
      assert.ok(doc.configDiff);
      assert.deepEqual(doc.configDiff.onlyIn.dev, [...dev.keys()].filter((k) => !prod.has(k)).sort());
      assert.deepEqual(doc.configDiff.onlyIn.prod, [...prod.keys()].filter((k) => !dev.has(k)).sort());
      assert.deepEqual(
        doc.configDiff.changed.map((c) => c.key),
        [...dev.keys()].filter((k) => prod.has(k) && prod.get(k) !== dev.get(k)).sort(),
      );
      const text = (await runbook("dev-to-prod", "--from", "dev", "--to", "prod", "--set", classSet)).stdout;
      for (const key of [...dev.keys(), ...prod.keys()].filter((k) => dev.get(k) !== prod.get(k))) assert.ok(text.includes(key), key);
      assertInOrder(doc.steps, [
        /Pulumi\.prod\.yaml/,
        /gh pr create/,
        /pulumi preview --stack prod --policy-pack policies/,
        /pulumi up --stack prod/,
      ]);
      const prodStage = stackFile("prod")[`${PROJECT}:stage`];
      assert.match(text, new RegExp(`dev stage ${prodStage} → prod stage ${prodStage}`));
      assert.ok(doc.diff.counts.unchanged > 0, "resources of the two stacks are matched across stack names");
    });
  });

  describe("CLI", () => {
    it("usage errors exit 1 with the usage", async () => {
      for (const argv of [
        ["explode"],
        ["promote", "--to", "3"],
        ["promote", "--stack", "dev", "--to", "9"],
        ["add-region", "--stack", "dev", "--to", "3"],
      ]) {
        const run = await runRunbook(argv);
        assert.equal(run.code, 1, argv.join(" "));
        assert.match(run.stderr, /usage: npm run runbook/);
      }
    });

    it("the real process: STOP exits 1; bad config exits 2 with no stack trace", async () => {
      // One real process (started before the other tests); the bad config runs in-process: the
      // exit code is what the command returns, which runMain passes to process.exit as it does for STOP.
      const bad = await runRunbook(["promote", "--stack", "dev", "--to", "4", "--set", "network.cidr=10.0.0.0/8"]);
      const stop = await stopped;
      assert.equal(stop.code, 1);
      assert.match(stop.stdout, /^#+\nSTOP/);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /network\.cidr/);
      assert.ok(noStackTrace(bad.stderr));
    });
  });
});
