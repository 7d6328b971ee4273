import { strict as assert } from "node:assert";
import { INTERNAL_HTTPS_PORT, internalServicesLabel } from "../components/services";
import { ALB_TLS_POLICY } from "../components/webTier";
import { Capture } from "../tools/capture";
import { loadStackConfig } from "../tools/stackConfig";
import { named, ofType, plan } from "./helpers";

const T = {
  lb: "aws:lb/loadBalancer:LoadBalancer",
  listener: "aws:lb/listener:Listener",
  rule: "aws:lb/listenerRule:ListenerRule",
  cert: "aws:acm/certificate:Certificate",
  validation: "aws:acm/certificateValidation:CertificateValidation",
  record: "aws:route53/record:Record",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  param: "aws:ssm/parameter:Parameter",
};
const prodConfig = loadStackConfig({ stack: "prod" });
const DOMAIN = prodConfig.config[`${prodConfig.project}:domain`] as string;
const REGIONS = prodConfig.config[`${prodConfig.project}:regions`] as string[];

const listenersOf = (c: Capture, lbName: string) => {
  const lb = named(c, T.lb, lbName);
  return ofType(c, T.listener).filter((l) => l.dependencies.includes(lb.urn));
};
const appConfig = (c: Capture, region: string) =>
  JSON.parse(ofType(c, T.param).find((p) => p.region === region && p.name === `${region}-app-config`)!.inputs.value);

describe("the internal load balancer between the web tier and the services", () => {
  it("with a delegated domain: HTTPS on 443 with a validated certificate for its own name in every region", async () => {
    const c = await plan({ stack: "prod" });
    for (const region of REGIONS) {
      const name = `${internalServicesLabel(region)}.${DOMAIN}`;
      const listeners = listenersOf(c, `${region}-ilb`);
      const https = listeners.filter((l) => l.inputs.protocol === "HTTPS");
      assert.equal(https.length, 1, region);
      assert.equal(https[0].inputs.port, INTERNAL_HTTPS_PORT);
      assert.equal(https[0].inputs.sslPolicy, ALB_TLS_POLICY);
      const cert = ofType(c, T.cert).find((x) => x.inputs.domainName === name);
      assert.ok(cert, `a certificate for ${name}`);
      assert.equal(cert.region, region, "ACM certificates are regional: the load balancer's region");
      const validation = ofType(c, T.validation).find((v) => v.dependencies.includes(cert.urn));
      assert.ok(validation && https[0].dependencies.includes(validation.urn), "the listener takes the certificate once it is issued");
      // Plain HTTP only redirects; the services' routes hang off the HTTPS listener.
      const http = listeners.find((l) => l.inputs.protocol === "HTTP")!;
      assert.equal(http.inputs.defaultActions[0].type, "redirect");
      assert.equal(http.inputs.defaultActions[0].redirect.protocol, "HTTPS");
      const routes = ofType(c, T.rule).filter((r) => r.region === region);
      assert.ok(routes.length > 0);
      for (const r of routes) assert.ok(r.dependencies.includes(https[0].urn), `${r.name} routes on HTTPS`);
      // The web tier may open 443 to it, and is told the https URL.
      const ingress = ofType(c, T.ingress).find((r) => r.region === region && r.name === `${region}-ilb-from-web-https`);
      assert.ok(ingress);
      assert.equal(ingress.inputs.fromPort, INTERNAL_HTTPS_PORT);
      assert.equal(appConfig(c, region).servicesUrl, `https://${name}`);
      const record = ofType(c, T.record).find((r) => r.inputs.name === name);
      assert.ok(record?.inputs.aliases?.length === 1, `${name} is an alias to the internal load balancer`);
    }
  });

  for (const [what, set] of [
    ["without a domain", []],
    ["with a domain whose zone is not delegated yet", ["domain=example.com", "domainDelegated=false"]],
  ] as const) {
    it(`${what}: plain HTTP on the load balancer's own name, and no certificate waits`, async () => {
      const c = await plan({ stack: "dev", stage: 6, set: [...set] });
      const listeners = listenersOf(c, "us-east-1-ilb");
      assert.deepEqual(
        listeners.map((l) => l.inputs.protocol),
        ["HTTP"],
      );
      assert.match(appConfig(c, "us-east-1").servicesUrl, /^http:\/\/[^/]*elb/);
      assert.deepEqual(ofType(c, T.validation), []);
    });
  }
});
