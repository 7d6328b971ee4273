import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export type IngressSource =
  { securityGroupId: pulumi.Input<string> } | { cidrIpv4: string } | { cidrIpv6: string } | { prefixListId: pulumi.Input<string> };

export interface IngressArgs {
  /** The security group that receives the traffic. */
  to: pulumi.Input<string>;
  from: IngressSource;
  port: number;
  description: string;
}

/**
 * One TCP ingress rule as its own resource (never inline), so that tiers added by later stages
 * add rules without touching the group, whose name, description and VPC force a replacement.
 */
export function allowTcp(name: string, args: IngressArgs, opts: pulumi.CustomResourceOptions): aws.vpc.SecurityGroupIngressRule {
  const source =
    "securityGroupId" in args.from
      ? { referencedSecurityGroupId: args.from.securityGroupId }
      : "cidrIpv4" in args.from
        ? { cidrIpv4: args.from.cidrIpv4 }
        : "cidrIpv6" in args.from
          ? { cidrIpv6: args.from.cidrIpv6 }
          : { prefixListId: args.from.prefixListId };
  return new aws.vpc.SecurityGroupIngressRule(
    name,
    {
      securityGroupId: args.to,
      ipProtocol: "tcp",
      fromPort: args.port,
      toPort: args.port,
      description: args.description,
      ...source,
    },
    opts,
  );
}

/** HTTP and HTTPS from anywhere, IPv4 and IPv6: what a public endpoint needs and nothing else. */
export function allowWebFromInternet(prefix: string, to: pulumi.Input<string>, ports: number[], opts: pulumi.CustomResourceOptions): void {
  for (const port of ports) {
    allowTcp(
      `${prefix}-${port}-v4`,
      { to, from: { cidrIpv4: "0.0.0.0/0" }, port, description: `Port ${port} from the internet (IPv4)` },
      opts,
    );
    allowTcp(`${prefix}-${port}-v6`, { to, from: { cidrIpv6: "::/0" }, port, description: `Port ${port} from the internet (IPv6)` }, opts);
  }
}
