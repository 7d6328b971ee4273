import { strict as assert } from "node:assert";
import { ConfigError, validateConfig } from "../components/config";
import { stageDefinition, StageNumber } from "../components/stages";
import { comparePlans, loadReplaceTriggers } from "../tools/compare";
import { Capture } from "../tools/capture";
import { ofType, one, plan } from "./helpers";

const T = {
  zone: "aws:route53/zone:Zone",
  record: "aws:route53/record:Record",
  health: "aws:route53/healthCheck:HealthCheck",
  cert: "aws:acm/certificate:Certificate",
  validation: "aws:acm/certificateValidation:CertificateValidation",
  listener: "aws:lb/listener:Listener",
  distribution: "aws:cloudfront/distribution:Distribution",
};
const DOMAIN = "example.com";
const at = (stage: number, delegated: boolean) =>
  plan({ stack: "dev", stage, set: [`domain=${DOMAIN}`, `domainDelegated=${delegated}`, "aws:region=us-east-1", 'regions=["us-east-1"]'] });
const https = (c: Capture) => ofType(c, T.listener).filter((l) => l.inputs.protocol === "HTTPS");

describe("a domain whose zone is not delegated yet (domainDelegated)", () => {
  it("is a config error to set domain without saying whether its zone is delegated, naming the key", () => {
    assert.throws(
      () => validateConfig({ stage: 5, domain: DOMAIN }, "us-east-1"),
      (err: unknown) =>
        err instanceof ConfigError && err.problems.some((p) => p.key === "domainDelegated" && /nameServers/.test(p.message)),
    );
    assert.doesNotThrow(() => validateConfig({ stage: 5, domain: DOMAIN, domainDelegated: false }, "us-east-1"));
    assert.throws(() => validateConfig({ stage: 5, domain: DOMAIN, domainDelegated: "yes" }, "us-east-1"), ConfigError);
  });

  for (const stage of [2, 4, 5, 6]) {
    it(`stage ${stage}, not delegated: the zone and its name servers, and nothing that waits on ACM or the domain`, async () => {
      const c = await at(stage, false);
      one(c, T.zone);
      assert.ok(c.outputs.nameServers !== undefined, "the name servers to delegate are an output");
      assert.deepEqual(ofType(c, T.validation), [], "no certificate validation: the up cannot block on it");
      assert.deepEqual(ofType(c, T.cert), []);
      assert.deepEqual(https(c), [], "no HTTPS listener without an issued certificate");
      assert.deepEqual(ofType(c, T.record), [], "no record in a zone nobody resolves");
      assert.deepEqual(ofType(c, T.health), []);
      if (stageDefinition(stage as StageNumber).capabilities.cdn)
        assert.equal(ofType(c, T.distribution).length, 1, "the CDN is there to check");
      for (const d of ofType(c, T.distribution)) {
        assert.deepEqual(d.inputs.aliases ?? [], [], "CloudFront takes no alias it has no certificate for");
        assert.equal(d.inputs.viewerCertificate.cloudfrontDefaultCertificate, true);
      }
      assert.doesNotMatch(String(c.outputs.appUrl), new RegExp(DOMAIN.replace(".", "\\.")), "the raw endpoint meanwhile");
    });
  }

  it("delegated: validates the certificates and serves HTTPS on the domain", async () => {
    const c = await at(5, true);
    assert.ok(ofType(c, T.validation).length >= 2, "the ALB's and CloudFront's");
    const listener = https(c);
    assert.equal(listener.length, 1);
    const distribution = one(c, T.distribution);
    assert.deepEqual(distribution.inputs.aliases, [DOMAIN]);
    assert.equal(c.outputs.appUrl, `https://${DOMAIN}`);
  });

  for (const stage of [2, 5, 6]) {
    it(`stage ${stage}: turning it on adds certificates, listeners and records, and replaces or removes no stateful resource`, async () => {
      const d = comparePlans(await at(stage, false), await at(stage, true), loadReplaceTriggers());
      assert.deepEqual(d.statefulAtRisk, []);
      // The one replacement: a service's listener rule moves to the internal ALB's new HTTPS
      // listener, and listenerArn is ForceNew on aws_lb_listener_rule (data/replace-triggers.json).
      // Stateless, and created before the old one is deleted.
      const unexpected = d.replaced.filter(
        (r) =>
          !(
            r.type === "aws:lb/listenerRule:ListenerRule" &&
            // In a preview the new HTTPS listener's ARN is unknown: the rule's listenerArn comes from it.
            r.reasons.join() === 'forceNew input "listenerArn" becomes unknown: Listener us-east-1-ilb-https is created' &&
            r.cascadeFrom.some((u) => u.endsWith("::us-east-1-ilb-https"))
          ),
      );
      assert.deepEqual(
        unexpected.map((r) => `${r.type} ${r.name}: ${r.reasons.join(", ")}`),
        [],
      );
      assert.deepEqual(d.removed, []);
      assert.ok(d.added.some((r) => r.type === T.record));
      if (stage >= 4) assert.ok(d.added.some((r) => r.type === T.validation));
    });
  }
});
