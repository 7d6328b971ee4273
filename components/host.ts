import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CpuArchitecture } from "./plan";
import { allowWebFromInternet } from "./firewall";
import { HOST_DATA_DEVICE, renderUserData } from "./userData";

/** The public Amazon Linux 2023 AMI parameter for an architecture. */
export function al2023AmiParameter(architecture: CpuArchitecture): string {
  return `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`;
}

export interface HostDataVolumeArgs {
  prefix: string;
  availabilityZone: pulumi.Input<string>;
  sizeGiB: number;
  protect: boolean;
}

/**
 * The stage-2 database volume: encrypted gp3 EBS, separate from the host so that the host can be
 * resized or replaced without touching the data. It outlives the host (kept from stage 3 on for
 * the dump/restore runbook) until `database.hostVolumeRetired` is set.
 */
export class HostDataVolume extends pulumi.ComponentResource {
  readonly volumeId: pulumi.Output<string>;
  readonly availabilityZone: pulumi.Output<string>;

  constructor(name: string, args: HostDataVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:host:HostDataVolume", name, {}, opts);
    const volume = new aws.ebs.Volume(
      `${args.prefix}-host-data`,
      {
        availabilityZone: args.availabilityZone,
        size: args.sizeGiB,
        type: "gp3",
        encrypted: true,
        finalSnapshot: true,
        tags: { Name: `${args.prefix}-host-data`, "scaling:data": "postgresql" },
      },
      { parent: this, protect: args.protect, retainOnDelete: args.protect },
    );
    this.volumeId = volume.id;
    this.availabilityZone = volume.availabilityZone;
    this.registerOutputs({ volumeId: this.volumeId });
  }
}

export interface AppHostArgs {
  prefix: string;
  region: string;
  instanceType: string;
  architecture: CpuArchitecture;
  subnetId: pulumi.Input<string>;
  securityGroupId: pulumi.Input<string>;
  instanceProfileName: pulumi.Input<string>;
  configParameter: string;
  dataVolumeId?: pulumi.Input<string>;
}

/**
 * The single EC2 host of stages 2–3 with its Elastic IP. Its AMI is looked up once and then
 * ignored, so a new Amazon Linux release never replaces it; `instanceType` changes in place
 * (stop, resize, start). The host is named by architecture: the provider replaces a host moved
 * between x86_64 and arm64, and a new name gets it an AMI of the right architecture.
 */
export class AppHost extends pulumi.ComponentResource {
  readonly instanceId: pulumi.Output<string>;
  readonly publicIp: pulumi.Output<string>;
  readonly ipv6Address: pulumi.Output<string>;

  constructor(name: string, args: AppHostArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:host:AppHost", name, {}, opts);
    const p = args.prefix;
    const ami = aws.ssm.getParameterOutput({ name: al2023AmiParameter(args.architecture) }, { parent: this });
    const userData = pulumi.output(args.dataVolumeId).apply((dataVolumeId) =>
      renderUserData({
        region: args.region,
        configParameter: args.configParameter,
        port: 80,
        role: "web",
        dataVolumeId,
        cloudwatchAgent: false,
      }),
    );
    const instance = new aws.ec2.Instance(
      `${p}-host-${args.architecture}`,
      {
        ami: ami.value,
        instanceType: args.instanceType,
        subnetId: args.subnetId,
        vpcSecurityGroupIds: [args.securityGroupId],
        iamInstanceProfile: args.instanceProfileName,
        ipv6AddressCount: 1,
        monitoring: true,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { volumeType: "gp3", volumeSize: 20, encrypted: true, deleteOnTermination: true },
        userData,
        tags: { Name: `${p}-host` },
      },
      { parent: this, ignoreChanges: ["ami"] },
    );
    // The host serves plain HTTP on its Elastic IP; nothing listens on 443 until the ALB (stage 4).
    allowWebFromInternet(`${p}-host-web`, args.securityGroupId, [80], { parent: this });

    if (args.dataVolumeId) {
      new aws.ec2.VolumeAttachment(
        `${p}-host-data`,
        {
          instanceId: instance.id,
          volumeId: args.dataVolumeId,
          deviceName: HOST_DATA_DEVICE,
          stopInstanceBeforeDetaching: true,
        },
        { parent: this, deleteBeforeReplace: true },
      );
    }
    const eip = new aws.ec2.Eip(`${p}-host-eip`, { domain: "vpc", tags: { Name: `${p}-host` } }, { parent: this });
    new aws.ec2.EipAssociation(`${p}-host-eip`, { allocationId: eip.allocationId, instanceId: instance.id }, { parent: this });

    this.instanceId = instance.id;
    this.publicIp = eip.publicIp;
    this.ipv6Address = instance.ipv6Addresses.apply((a) => a[0]);
    this.registerOutputs({ instanceId: this.instanceId, publicIp: this.publicIp });
  }
}
