/**
 * The offline policy runner (tools/policyRunner.ts) against the engine's semantics as
 * @pulumi/policy's server.js implements them: config and levels, what a resource or stack policy
 * is shown, not-applicable outcomes, unknowns in a preview. test/policies.engine.test.ts compares
 * it with the pack served over the engine's Analyzer API.
 */
import { strict as assert } from "node:assert";
import type { PolicyResource, ResourceValidation, ResourceValidationPolicy, StackValidationArgs } from "@pulumi/policy";
import { PROTECTED_BACKUP_RETENTION_DAYS, STAGE_NUMBERS } from "../components/stages";
import { appliesTo, declareTypes } from "../policies/appliesTo";
import { policies } from "../policies/rules";
import type { Capture } from "../tools/capture";
import { mandatory, PolicyConfigError, resolvePackConfig, runPolicies } from "../tools/policyRunner";
import type { StackSelection } from "../tools/stackConfig";
import { devAt, plan, previewPlan } from "./helpers";
import { check, flags, HA_STAGE, hits, is, mutated, passes, UNKNOWN_STRING } from "./policyHelpers";

describe("policy runner: engine semantics", () => {
  it("fills config defaults from each policy's schema (minBackupRetentionDays from the stage table)", () => {
    const resolved = resolvePackConfig(policies, {});
    assert.equal(resolved.get("data-backups")!.config.minBackupRetentionDays, PROTECTED_BACKUP_RETENTION_DAYS);
    assert.equal(resolved.get("data-backups")!.config.minimumStage, STAGE_NUMBERS[0]);
  });

  it("rejects a pack config naming an unknown policy or setting, or a value outside the schema, listing every problem", () => {
    assert.throws(
      () => resolvePackConfig(policies, { "no-such-policy": "mandatory", "data-backups": { minBackupRetentionDays: 0, colour: "red" } }),
      (e: unknown) => e instanceof PolicyConfigError && e.problems.length === 3,
    );
    assert.throws(() => resolvePackConfig(policies, { "data-backups": { minimumStage: 9 } }), PolicyConfigError);
    assert.throws(() => resolvePackConfig(policies, { "data-backups": "sometimes" }), PolicyConfigError);
  });

  it("applies enforcement levels from config: disabled skips, a level overrides, `all` sets the default", async () => {
    const degraded = { stack: "dev", stage: HA_STAGE, set: ["database.readers=0"] };
    flags(await check(degraded), "aurora-reader-in-another-az");
    passes(await check(degraded, { "aurora-reader-in-another-az": "disabled" }), "aurora-reader-in-another-az");
    flags(
      await check(degraded, { "aurora-reader-in-another-az": { enforcementLevel: "advisory" } }),
      "aurora-reader-in-another-az",
      "",
      "advisory",
    );
    const all = await check(degraded, { all: "advisory" });
    assert.equal(mandatory(all).length, 0);
    flags(all, "aurora-reader-in-another-az", "", "advisory");
  });

  it("gives resource policies the resource's options, provider and typed accessors, like the engine", async () => {
    const capture = await plan({ stack: "dev", stage: 3 });
    const seen: any[] = [];
    const probe = {
      name: "probe",
      description: "test probe",
      enforcementLevel: "advisory" as const,
      validateResource: (args: any) => {
        if (args.type === "aws:rds/cluster:Cluster") seen.push(args);
      },
    };
    await runPolicies(capture, [probe]);
    assert.equal(seen.length, 1);
    const args = seen[0];
    assert.equal(args.props.storageEncrypted, true);
    assert.equal(args.provider?.props.region, "us-east-1");
    const record = capture.resources.find(is("aws:rds/cluster:Cluster"))!;
    assert.ok(record.ignoreChanges.length > 0);
    assert.deepEqual(args.opts.ignoreChanges, record.ignoreChanges);
    assert.equal(args.opts.protect, record.protect);
    assert.equal(args.opts.parent, record.parent);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const aws = require("@pulumi/aws");
    assert.equal(args.isType(aws.rds.Cluster), true);
    assert.equal(args.isType(aws.rds.ClusterInstance), false);
    assert.equal(args.asType(aws.rds.Cluster).engine, "aurora-postgresql");
    // Its fields are a plain object's to the policy: assignable, and the accessors keep answering
    // for the resource itself (server.js's closures hold its type and properties).
    const props = args.props;
    Object.assign(args, { type: "aws:s3/bucket:Bucket", props: {}, opts: { protect: !record.protect } });
    assert.deepEqual([args.type, args.props, args.opts], ["aws:s3/bucket:Bucket", {}, { protect: !record.protect }]);
    assert.equal(args.isType(aws.rds.Cluster), true);
    assert.equal(args.asType(aws.rds.Cluster), props);
  });

  it("gives stack policies each resource's parent, dependencies and property dependencies as that policy's own views, like the engine", async () => {
    const capture = await plan({ stack: "dev", stage: 4 });
    // What each policy saw, read while it ran: its views by URN, and each view's links.
    type Seen = Map<
      string,
      { view: PolicyResource; parent?: PolicyResource; dependencies: PolicyResource[]; byProperty: [string, PolicyResource[]][] }
    >;
    const seen: Seen[] = [];
    const probe = (name: string, replace: boolean) => ({
      name,
      description: "test probe",
      enforcementLevel: "advisory" as const,
      validateStack: (args: StackValidationArgs) => {
        seen.push(
          new Map(
            args.resources.map((view) => [
              view.urn,
              {
                view,
                parent: view.parent,
                dependencies: [...view.dependencies],
                byProperty: Object.entries(view.propertyDependencies).map(
                  ([key, views]) => [key, [...views]] as [string, PolicyResource[]],
                ),
              },
            ]),
          ),
        );
        // A policy may replace what it was given; the next policy's view keeps its own.
        if (replace) for (const r of args.resources) r.dependencies = [];
      },
    });
    await runPolicies(capture, [probe("first", true), probe("second", false)]);
    assert.equal(seen.length, 2);
    const [first, second] = seen;
    const viewOf = (urn: string) => second.get(urn)?.view;
    let [parents, dependencies, propertyLinks] = [0, 0, 0];
    for (const record of capture.resources) {
      const got = second.get(record.urn)!;
      assert.notEqual(got.view, first.get(record.urn)!.view, "each policy gets its own view");
      assert.equal(got.parent, record.parent ? viewOf(record.parent) : undefined, record.urn);
      if (got.parent) parents++;
      // The same policy's views, by identity, in the record's order.
      assert.deepEqual(
        got.dependencies.map((d) => d.urn),
        record.dependencies.filter((d) => second.has(d)),
      );
      got.dependencies.forEach((d) => assert.equal(d, viewOf(d.urn), "a dependency is the same policy's view"));
      dependencies += got.dependencies.length;
      const withDependencies = Object.entries(record.propertyDependencies).filter(([, urns]) => urns.length > 0);
      assert.deepEqual(got.byProperty.map(([key]) => key).sort(), withDependencies.map(([key]) => key).sort(), record.urn);
      for (const [key, urns] of withDependencies) {
        const views = got.byProperty.find(([k]) => k === key)![1];
        assert.deepEqual(
          views.map((v) => v.urn),
          urns.filter((u) => second.has(u)),
        );
        views.forEach((v) => assert.equal(v, viewOf(v.urn), "a property dependency is the same policy's view"));
        propertyLinks += views.length;
      }
    }
    assert.ok(
      parents > 0 && dependencies > 0 && propertyLinks > 0,
      "the stack has parents, dependencies and property dependencies to check",
    );
    assert.ok(
      [...first.values()].every((r) => r.view.dependencies.length === 0),
      "the first policy's replacement stays in its view",
    );
  });

  it("records each not-applicable call with its reason, and awaits a policy's promise before it returns", async () => {
    const capture = await plan({ stack: "dev", stage: 3 });
    const clusters = capture.resources.filter(is("aws:rds/cluster:Cluster"));
    const probe = {
      name: "probe",
      description: "applies to clusters only",
      enforcementLevel: "mandatory" as const,
      validateResource: async (args: any, report: (m: string) => void) => {
        if (args.type !== "aws:rds/cluster:Cluster") return args.notApplicable("clusters only");
        await new Promise((resolve) => setImmediate(resolve));
        report("a cluster, seen late");
      },
    };
    const run = await runPolicies(capture, [probe]);
    assert.equal(run.notApplicable.length, capture.resources.length - clusters.length);
    assert.ok(run.notApplicable.every((n) => n.policyName === "probe" && n.reason === "clusters only"));
    assert.deepEqual(
      run.violations.map((v) => v.urn),
      clusters.map((c) => c.urn),
    );
  });

  it("calls a validation that declares its types (policies/appliesTo.ts) only for those, and records the rest as the calls would have", async () => {
    const resourcePolicies = policies.filter((p): p is ResourceValidationPolicy => "validateResource" in p);
    assert.ok(resourcePolicies.length > 0);
    const validationOf = (p: ResourceValidationPolicy) => p.validateResource as ResourceValidation;
    for (const p of resourcePolicies)
      assert.ok(appliesTo(validationOf(p)), `${p.name} declares no types: every call would throw for most resources`);
    // Each validation wrapped to count its calls, with its declaration copied onto the wrapper or
    // not: without it the runner calls it for every resource, as the engine does.
    const counting = (declare: boolean) => {
      const calls = new Map<string, number>();
      const pack = resourcePolicies.map((p): ResourceValidationPolicy => {
        const counted: ResourceValidation = (args, report) => {
          calls.set(p.name, (calls.get(p.name) ?? 0) + 1);
          return validationOf(p)(args, report);
        };
        return { ...p, validateResource: declare ? declareTypes(counted, appliesTo(validationOf(p))!) : counted };
      });
      return { pack, calls };
    };
    // Between them, every type the program creates: stage 7 has retired the types of stages 1–2.
    const selections: StackSelection[] = [devAt(1), devAt(2), { stack: "prod" }];
    const typesOf = (captures: Capture[]) => new Set(captures.flatMap((c) => c.resources.map((r) => r.type)));
    const everyType = typesOf(await Promise.all([...STAGE_NUMBERS.map(devAt), { stack: "prod" as const }].map(plan)));
    const captures = [...(await Promise.all(selections.map(plan))), await previewPlan({ stack: "prod" })];
    assert.deepEqual([...typesOf(captures)].sort(), [...everyType].sort(), "the captures hold every type the program creates");
    for (const capture of captures) {
      const label = `${capture.stack}${capture.preview ? " (preview)" : ""}`;
      const view = capture.preview ? "preview" : "inputs";
      const declared = counting(true);
      const called = counting(false);
      const [skipping, calling] = [await runPolicies(capture, declared.pack, {}, view), await runPolicies(capture, called.pack, {}, view)];
      assert.deepEqual(skipping, calling, label);
      for (const p of resourcePolicies) {
        // Called for every resource but the ones it would have said it does not apply to.
        const applicable = capture.resources.length - calling.notApplicable.filter((n) => n.policyName === p.name).length;
        assert.equal(called.calls.get(p.name), capture.resources.length, `${label}: ${p.name}`);
        assert.equal(declared.calls.get(p.name) ?? 0, applicable, `${label}: ${p.name}`);
      }
    }
  });

  it("treats a value unknown during preview as the engine does: a policy reading it is reported advisory, not mandatory", async () => {
    // A first preview where the program took the flag from a resource not yet created (the VPC).
    const preview = await previewPlan({ stack: "dev", stage: 3 });
    const vpc = preview.resources.find((r) => r.type === "aws:ec2/vpc:Vpc")!;
    const capture = mutated(preview, is("aws:rds/cluster:Cluster"), (r) => {
      r.inputs.storageEncrypted = r.outputs!.storageEncrypted = UNKNOWN_STRING;
      r.propertyDependencies.storageEncrypted = [vpc.urn];
    });
    const probe = {
      name: "probe",
      description: "reads an unknown",
      enforcementLevel: "mandatory" as const,
      validateResource: (args: any, report: (m: string) => void) => {
        if (args.type === "aws:rds/cluster:Cluster" && args.props.storageEncrypted !== true) report("never reached");
      },
    };
    const run = await runPolicies(capture, [probe], {}, "preview");
    assert.equal(mandatory(run).length, 0);
    assert.match(run.violations[0].message, /can't run policy 'probe' during preview/);
    // The same from a policy that returns a promise (server.js awaits every validation).
    const asyncProbe = {
      ...probe,
      validateResource: async (args: any, report: (m: string) => void) => probe.validateResource(args, report),
    };
    const asyncRun = await runPolicies(capture, [asyncProbe], {}, "preview");
    assert.deepEqual(
      asyncRun.violations.map((v) => [v.enforcementLevel, /can't run policy 'probe' during preview/.test(v.message)]),
      [["advisory", true]],
    );
    // The pack's own rules never pass an unknown silently: they say they can't judge it (issue 9).
    const pack = await runPolicies(capture, policies, {}, "preview");
    assert.deepEqual(
      hits(pack, "encryption-at-rest").map((v) => [
        v.enforcementLevel,
        /can't run policy 'encryption-at-rest' during preview/.test(v.message),
      ]),
      [["advisory", true]],
    );
  });
});
