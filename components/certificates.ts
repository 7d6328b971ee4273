import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DnsZone } from "./dns";

export interface DnsValidatedCertificateArgs {
  /** Prefix of child names (the region of the stack that asks for the certificate). */
  prefix: string;
  domain: string;
  subjectAlternativeNames: string[];
  /** The public hosted zone that proves control of `domain`. */
  zone: DnsZone;
}

/**
 * An ACM certificate validated through DNS in the stack's own zone. The region comes from the
 * provider it is given: the region of a load balancer, or us-east-1 for CloudFront.
 * Consumers take `certificateArn` (from the validation), so nothing uses it before it is issued.
 */
export class DnsValidatedCertificate extends pulumi.ComponentResource {
  readonly certificateArn: pulumi.Output<string>;

  constructor(name: string, args: DnsValidatedCertificateArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:certificates:DnsValidatedCertificate", name, {}, opts);
    if (!args.prefix) throw new Error(`DnsValidatedCertificate ${name}: prefix is required`);
    if (!args.domain) throw new Error(`DnsValidatedCertificate ${name}: domain is required`);
    const parent = { parent: this };
    const certificate = new aws.acm.Certificate(
      `${name}-cert`,
      {
        domainName: args.domain,
        subjectAlternativeNames: args.subjectAlternativeNames,
        validationMethod: "DNS",
        keyAlgorithm: "RSA_2048",
        tags: { Name: name },
      },
      parent,
    );
    // ACM asks for one CNAME per distinct base name; `*.d` and `d` share one, so one record covers
    // both. It is the same for every certificate of the domain in the account (each region's ALB,
    // CloudFront's), so the zone keeps one record per domain that all of them share.
    const option = certificate.domainValidationOptions.apply((options) => {
      const found = options.find((o) => o.domainName === args.domain);
      if (!found) throw new Error(`ACM gave no validation option for ${args.domain}`);
      return found;
    });
    const record = args.zone.acmValidationRecord(args.domain, option);
    const validation = new aws.acm.CertificateValidation(
      `${name}-validation`,
      { certificateArn: certificate.arn, validationRecordFqdns: [record.fqdn] },
      parent,
    );
    this.certificateArn = validation.certificateArn;
    this.registerOutputs({ certificateArn: this.certificateArn });
  }
}
