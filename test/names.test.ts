import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { ConfigError } from "../components/config";
import { derivedNameProblems, derivedNames, NAME_RULES_FILE, nameViolations, parameterPath, NameRuleId } from "../components/names";
import { captureProgram, CaptureOptions } from "../tools/capture";
import { loadStackConfig } from "../tools/stackConfig";
import { ofType } from "./helpers";

const PARAM = "aws:ssm/parameter:Parameter";

/** The prod (or dev) stack's config, re-homed under another project and stack name. */
function renamed(project: string, stack: string, from = "prod", set: string[] = []): CaptureOptions {
  const base = loadStackConfig({ stack: from, set });
  const config = Object.fromEntries(
    Object.entries(base.config).map(([k, v]) => [
      k.startsWith(`${base.project}:`) ? `${project}:${k.slice(base.project.length + 1)}` : k,
      v,
    ]),
  );
  return { project, stack, config };
}

const regionOf = (r: { region: string | null }) => r.region ?? undefined;

describe("names derived from the project and stack (AWS naming rules, data/aws-name-rules.json)", () => {
  it("the rules file is dated and every rule names its source", () => {
    const data = JSON.parse(fs.readFileSync(NAME_RULES_FILE, "utf8"));
    assert.match(data.read, /^\d{4}-\d{2}-\d{2}$/);
    for (const [id, rule] of Object.entries<any>(data.rules)) {
      assert.match(rule.source, /https:\/\/docs\.aws\.amazon\.com\//, `${id} has an AWS source`);
      assert.doesNotThrow(() => new RegExp(rule.pattern), id);
    }
  });

  it("SSM: AWS's own rejected examples and the old path are rejected, case-insensitively, with or without the slash", () => {
    for (const bad of ["/aws/testparam1", "/SSM-testparameter", "/awsTestParameter", "/aws-scaling-journey/prod/stage", "/Ssm/x"]) {
      assert.ok(
        nameViolations("ssmParameterName", bad, "us-east-1").some((v) => v.includes("reserved")),
        `${bad} is reserved`,
      );
    }
    assert.ok(nameViolations("ssmParameterName", "/has space/x", "us-east-1").length > 0, "spaces");
    assert.ok(
      nameViolations("ssmParameterName", `/${Array.from({ length: 16 }, () => "l").join("/")}`, "us-east-1").length > 0,
      "16 levels",
    );
    // 1011 counts the ARN before the name: arn:aws:ssm:us-east-1:<12 digits>:parameter is 44 characters.
    assert.deepEqual(nameViolations("ssmParameterName", `/${"a".repeat(1011 - 44 - 1)}`, "us-east-1"), []);
    assert.ok(nameViolations("ssmParameterName", `/${"a".repeat(1011 - 44)}`, "us-east-1").length > 0, "one over the ARN budget");
    assert.deepEqual(nameViolations("ssmParameterName", "/pulumi/aws-scaling-journey/prod/stage", "us-east-1"), []);
  });

  it("the parameter path can never start with a reserved word, whatever the project is called", () => {
    for (const project of ["aws-scaling-journey", "AWS", "ssm", "SsmShop", "awsome"]) {
      const name = `${parameterPath({ project, stack: "prod" })}/stage`;
      assert.deepEqual(nameViolations("ssmParameterName", name, "us-east-1"), [], name);
    }
  });

  it("the other identifiers: reserved KMS alias, leading digit, double hyphen, trailing hyphen, length", () => {
    const rejects = (rule: NameRuleId, name: string) => assert.ok(nameViolations(rule, name).length > 0, `${rule} rejects ${name}`);
    const accepts = (rule: NameRuleId, name: string) => assert.deepEqual(nameViolations(rule, name), [], `${rule} accepts ${name}`);
    rejects("kmsAliasName", "alias/aws/x");
    rejects("kmsAliasName", "alias/AWS/x");
    accepts("kmsAliasName", "alias/aws-scaling-journey-prod/us-east-1-data");
    rejects("rdsGlobalClusterIdentifier", "1st-prod-db");
    rejects("rdsGlobalClusterIdentifier", "a--b");
    rejects("rdsGlobalClusterIdentifier", "a-");
    rejects("rdsGlobalClusterIdentifier", `a${"b".repeat(63)}`);
    accepts("rdsGlobalClusterIdentifier", `a${"b".repeat(62)}`);
    rejects("rdsFinalSnapshotIdentifier", "9-us-east-1-db-final");
    rejects("elasticacheUserId", "1st-prod-app");
    rejects("cloudwatchDashboardName", "shop-prod.eu-us-east-1-slo");
    rejects("elbTargetGroupName", `a${"b".repeat(32)}`);
  });

  it("keeps every name of the existing stacks byte for byte (a new global cluster id would replace the global database)", async () => {
    const c = await captureProgram(loadStackConfig({ stack: "prod" }));
    const inputs = (type: string) => ofType(c, type).map((r) => r.inputs);
    assert.ok(inputs("aws:kms/alias:Alias").some((i) => i.name === "alias/aws-scaling-journey-prod/us-east-1-data"));
    assert.ok(inputs("aws:rds/globalCluster:GlobalCluster").some((i) => i.globalClusterIdentifier === "aws-scaling-journey-prod-db"));
    assert.ok(inputs("aws:rds/cluster:Cluster").some((i) => i.finalSnapshotIdentifier === "aws-scaling-journey-prod-us-east-1-db-final"));
    assert.ok(inputs("aws:cloudwatch/dashboard:Dashboard").some((i) => i.dashboardName === "aws-scaling-journey-prod-us-east-1-slo"));
    // Every name the check knows of is one the program really gives AWS (the check and the program share the builders).
    const given = new Set(c.resources.flatMap((r) => Object.values(r.inputs ?? {}).filter((v): v is string => typeof v === "string")));
    for (const d of derivedNames(prodNamedPlan())) {
      if (d.rule === "elbTargetGroupName" || d.rule === "elasticacheUserId") continue; // given through nested inputs
      assert.ok(given.has(d.name), `${d.name} is given to AWS`);
    }
  });

  for (const [project, stack] of [
    ["aws-scaling-journey", "prod"],
    ["AWS", "prod"],
    ["ssm", "Prod.EU"],
    ["Ssm-Shop_2", "prod.eu-west"],
  ]) {
    it(`project "${project}", stack "${stack}" at stage 7: every SSM parameter and dashboard name passes AWS's rules`, async () => {
      const c = await captureProgram(renamed(project, stack));
      const params = ofType(c, PARAM);
      assert.ok(params.length >= 3, "stage marker, app configs, shard maps");
      for (const p of params) assert.deepEqual(nameViolations("ssmParameterName", p.inputs.name, regionOf(p)), [], p.inputs.name);
      for (const d of ofType(c, "aws:cloudwatch/dashboard:Dashboard")) {
        assert.deepEqual(nameViolations("cloudwatchDashboardName", d.inputs.dashboardName), [], d.inputs.dashboardName);
      }
    });
  }

  it("a project or stack name AWS cannot take is a ConfigError naming the derived name and the rule, before any resource", async () => {
    await assert.rejects(
      () => captureProgram(renamed("1st-shop", "prod")),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some((p) => p.key === "project/stack name" && /global database identifier "1st-shop-prod-db"/.test(p.message)) &&
        err.problems.some((p) => /ElastiCache/.test(p.message)),
    );
    // The same name is fine before any identifier that must start with a letter exists.
    await assert.doesNotReject(() => captureProgram(renamed("1st-shop", "dev", "dev", ["stage=2"])));
  });

  it("reports each bad name once, all at once", () => {
    const problems = derivedNameProblems({ ...prodNamedPlan(), project: "9", stack: `x${"y".repeat(70)}` });
    const messages = problems.map((p) => p.message);
    assert.equal(new Set(messages).size, messages.length);
    assert.ok(messages.some((m) => /global database identifier/.test(m)));
    assert.ok(messages.some((m) => /final DB cluster snapshot/.test(m)));
  });
});

function prodNamedPlan() {
  return {
    project: "aws-scaling-journey",
    stack: "prod",
    homeRegion: "us-east-1",
    activeRegions: ["us-east-1", "eu-west-1"],
    protectData: true,
    caps: { network: true, aurora: true, federation: true, multiRegion: true, cache: true, dashboard: true },
    database: { clusters: [{ name: "db" }, { name: "db-users-1" }, { name: "db-orders-0" }, { name: "db-orders-1" }] },
    services: [{ name: "orders" }],
  };
}
