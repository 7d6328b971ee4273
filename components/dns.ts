import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface DnsZoneArgs {
  domain: string;
  protectData: boolean;
}

export interface AliasTarget {
  dnsName: pulumi.Input<string>;
  zoneId: pulumi.Input<string>;
}

/**
 * The stack's public hosted zone and its records. Each record keeps one logical name for life
 * and changes its target as the stage changes (host IP, then load balancer, then CDN), so that
 * Route 53 updates it with an UPSERT instead of a delete and create.
 */
export class DnsZone extends pulumi.ComponentResource {
  readonly zoneId: pulumi.Output<string>;
  readonly nameServers: pulumi.Output<string[]>;
  readonly domain: string;
  private readonly acmValidations = new Map<string, aws.route53.Record>();

  constructor(name: string, args: DnsZoneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:dns:DnsZone", name, {}, opts);
    this.domain = args.domain;
    const zone = new aws.route53.Zone(
      `${name}-zone`,
      {
        name: args.domain,
        comment: "scaling-journey public zone",
        forceDestroy: false,
      },
      { parent: this, protect: args.protectData, retainOnDelete: args.protectData },
    );
    this.zoneId = zone.zoneId;
    this.nameServers = zone.nameServers;
    this.registerOutputs({ zoneId: this.zoneId });
  }

  /**
   * The CNAME that proves control of `domain` to ACM. ACM gives every certificate of a domain in
   * the account the same record, so there is one per domain, shared: removing one certificate (a
   * region's ALB) must not take away the record the others renew with.
   */
  acmValidationRecord(
    domain: string,
    option: pulumi.Output<{ resourceRecordName: string; resourceRecordType: string; resourceRecordValue: string }>,
  ): aws.route53.Record {
    let record = this.acmValidations.get(domain);
    if (!record) {
      record = new aws.route53.Record(
        `acm-validation-${domain}`,
        {
          zoneId: this.zoneId,
          name: option.resourceRecordName,
          type: option.resourceRecordType,
          records: [option.resourceRecordValue],
          ttl: 300,
          allowOverwrite: true,
        },
        { parent: this },
      );
      this.acmValidations.set(domain, record);
    }
    return record;
  }

  /** `<label>.<domain>` (or the apex for "") → fixed addresses. */
  pointTo(logicalName: string, label: string, type: "A" | "AAAA", addresses: pulumi.Input<string>[]): aws.route53.Record {
    return new aws.route53.Record(
      logicalName,
      {
        zoneId: this.zoneId,
        name: this.fqdn(label),
        type,
        ttl: 60,
        records: addresses,
        allowOverwrite: true,
      },
      { parent: this },
    );
  }

  /** `<label>.<domain>` → an AWS alias target (load balancer, CloudFront). */
  aliasTo(
    logicalName: string,
    label: string,
    type: "A" | "AAAA",
    target: AliasTarget,
    extra: Partial<aws.route53.RecordArgs> = {},
  ): aws.route53.Record {
    return new aws.route53.Record(
      logicalName,
      {
        zoneId: this.zoneId,
        name: this.fqdn(label),
        type,
        aliases: [{ name: target.dnsName, zoneId: target.zoneId, evaluateTargetHealth: true }],
        allowOverwrite: true,
        ...extra,
      },
      { parent: this },
    );
  }

  /**
   * One region's member of a latency-routed name: Route 53 answers with the nearest region whose
   * health check passes, so a region that fails is dropped from answers within about a minute.
   */
  latencyAliasTo(
    logicalName: string,
    label: string,
    type: "A" | "AAAA",
    region: string,
    target: AliasTarget,
    healthCheckId: pulumi.Input<string>,
  ): aws.route53.Record {
    return this.aliasTo(logicalName, label, type, target, {
      setIdentifier: region,
      latencyRoutingPolicies: [{ region }],
      healthCheckId,
    });
  }

  /** An HTTP(S) health check of a regional endpoint's health path, from several Route 53 regions. */
  healthCheck(logicalName: string, endpoint: pulumi.Input<string>, https: boolean, path: string): aws.route53.HealthCheck {
    return new aws.route53.HealthCheck(
      logicalName,
      {
        type: https ? "HTTPS" : "HTTP",
        fqdn: endpoint,
        port: https ? 443 : 80,
        resourcePath: path,
        requestInterval: 10,
        failureThreshold: 3,
        measureLatency: true,
        tags: { Name: logicalName },
      },
      { parent: this },
    );
  }

  fqdn(label: string): string {
    return label ? `${label}.${this.domain}` : this.domain;
  }
}
