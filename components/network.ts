import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ipv6SubnetCidr, subnetCidr, SubnetTier, tierAzCounts } from "./addressing";
import { NatLayout } from "./stages";

export interface NetworkArgs {
  /** Prefix for child names: the region, so that every region's children have unique URNs. */
  prefix: string;
  cidr: string;
  /** AZs the web tier spans; data subnets always span at least two. */
  azs: number;
  nat: NatLayout;
  /** The zone ID of each subnet slot (slot i → zoneIds[i]), chosen by ID from data and config. */
  zoneIds: pulumi.Input<string>[];
  /** AZs the data tier spans (3, or 2 in a two-zone region). */
  dataAzs: number;
}

/**
 * A VPC with public (dual-stack), app and data subnets per AZ, from the fixed address plan in
 * addressing.ts. App subnets have one route table per AZ so that moving from one shared NAT
 * gateway to one per AZ only changes routes. Data subnets have no route to the internet.
 */
export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly publicSubnetIds: pulumi.Output<string>[];
  readonly appSubnetIds: pulumi.Output<string>[];
  readonly dataSubnetIds: pulumi.Output<string>[];
  readonly natGatewayIds: pulumi.Output<string>[];
  /** The app's security group: the host at stages 2–3, every web instance from stage 4. */
  readonly webSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:network:Network", name, {}, opts);
    if (args.azs < 1) throw new Error(`Network ${name}: azs must be at least 1, got ${args.azs}`);
    const p = args.prefix;
    const parent = { parent: this };
    const counts = tierAzCounts(args.azs, args.dataAzs);
    const zoneId = (i: number) => {
      if (i >= args.zoneIds.length) throw new Error(`Network ${name}: slot ${i} has no zone; the plan chose ${args.zoneIds.length}`);
      return args.zoneIds[i];
    };

    const vpc = new aws.ec2.Vpc(
      `${p}-vpc`,
      {
        cidrBlock: args.cidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        assignGeneratedIpv6CidrBlock: true,
        tags: { Name: `${p}-vpc` },
      },
      parent,
    );
    this.vpcId = vpc.id;

    const igw = new aws.ec2.InternetGateway(`${p}-igw`, { vpcId: vpc.id, tags: { Name: `${p}-igw` } }, parent);
    const publicRoutes = new aws.ec2.RouteTable(`${p}-public-rt`, { vpcId: vpc.id, tags: { Name: `${p}-public` } }, parent);
    new aws.ec2.Route(
      `${p}-public-default-v4`,
      { routeTableId: publicRoutes.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: igw.id },
      parent,
    );
    new aws.ec2.Route(
      `${p}-public-default-v6`,
      { routeTableId: publicRoutes.id, destinationIpv6CidrBlock: "::/0", gatewayId: igw.id },
      parent,
    );

    const subnet = (tier: SubnetTier, i: number, extra: Partial<aws.ec2.SubnetArgs> = {}) =>
      new aws.ec2.Subnet(
        `${p}-${tier}-${i}`,
        {
          vpcId: vpc.id,
          cidrBlock: subnetCidr(args.cidr, tier, i),
          // By zone ID, not name: names are mapped per account in the oldest regions.
          availabilityZoneId: zoneId(i),
          tags: { Name: `${p}-${tier}-${i}`, "scaling:tier": tier },
          ...extra,
        },
        parent,
      );

    const publicSubnets = Array.from({ length: counts.public }, (_, i) => {
      const s = subnet("public", i, {
        ipv6CidrBlock: vpc.ipv6CidrBlock.apply((block) => ipv6SubnetCidr(block, i)),
        assignIpv6AddressOnCreation: true,
        mapPublicIpOnLaunch: false,
      });
      new aws.ec2.RouteTableAssociation(`${p}-public-${i}`, { subnetId: s.id, routeTableId: publicRoutes.id }, parent);
      return s;
    });
    this.publicSubnetIds = publicSubnets.map((s) => s.id);

    const natCount = args.nat === "none" ? 0 : args.nat === "single" ? 1 : counts.public;
    const nats = Array.from({ length: natCount }, (_, i) => {
      const eip = new aws.ec2.Eip(`${p}-nat-${i}`, { domain: "vpc", tags: { Name: `${p}-nat-${i}` } }, parent);
      return new aws.ec2.NatGateway(
        `${p}-nat-${i}`,
        {
          allocationId: eip.allocationId,
          subnetId: publicSubnets[i].id,
          connectivityType: "public",
          tags: { Name: `${p}-nat-${i}` },
        },
        { parent: this, dependsOn: [igw] },
      );
    });
    this.natGatewayIds = nats.map((n) => n.id);

    this.appSubnetIds = Array.from({ length: counts.app }, (_, i) => {
      const s = subnet("app", i);
      const routes = new aws.ec2.RouteTable(`${p}-app-rt-${i}`, { vpcId: vpc.id, tags: { Name: `${p}-app-${i}` } }, parent);
      new aws.ec2.RouteTableAssociation(`${p}-app-${i}`, { subnetId: s.id, routeTableId: routes.id }, parent);
      if (nats.length > 0) {
        // Each AZ uses its own gateway when there is one, so losing an AZ never cuts another off.
        const nat = nats[Math.min(i, nats.length - 1)];
        new aws.ec2.Route(
          `${p}-app-${i}-default-v4`,
          { routeTableId: routes.id, destinationCidrBlock: "0.0.0.0/0", natGatewayId: nat.id },
          parent,
        );
      }
      return s.id;
    });

    const dataRoutes = new aws.ec2.RouteTable(`${p}-data-rt`, { vpcId: vpc.id, tags: { Name: `${p}-data` } }, parent);
    this.dataSubnetIds = Array.from({ length: counts.data }, (_, i) => {
      const s = subnet("data", i);
      new aws.ec2.RouteTableAssociation(`${p}-data-${i}`, { subnetId: s.id, routeTableId: dataRoutes.id }, parent);
      return s.id;
    });

    const web = new aws.ec2.SecurityGroup(
      `${p}-web-sg`,
      {
        vpcId: vpc.id,
        description: "Web tier instances of the scaling-journey app",
        tags: { Name: `${p}-web` },
      },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${p}-web-egress-v4`,
      {
        securityGroupId: web.id,
        ipProtocol: "-1",
        cidrIpv4: "0.0.0.0/0",
        description: "Package installs, AWS APIs, database and cache",
      },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${p}-web-egress-v6`,
      {
        securityGroupId: web.id,
        ipProtocol: "-1",
        cidrIpv6: "::/0",
        description: "Package installs and AWS APIs over IPv6",
      },
      parent,
    );
    this.webSecurityGroupId = web.id;

    this.registerOutputs({ vpcId: this.vpcId });
  }
}
