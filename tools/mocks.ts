/**
 * Pulumi mock engine answers for the offline plan: every resource gets realistic outputs (ids,
 * ARNs, endpoints) and every invoke the program makes is answered, so nothing downstream is
 * `undefined`. An invoke nobody mocked is an error, not a silent `{}`.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { EXCLUDED_ZONE_IDS, regionFacts } from "../components/awsFacts";
import autonamingData from "../data/autonaming.json";

export const MOCK_ACCOUNT_ID = "123456789012";
const FALLBACK_REGION = "us-east-1";

const hex = (seed: string, length: number) => createHash("sha256").update(seed).digest("hex").slice(0, length);
/** A UUID-shaped id (8-4-4-4-12 hex), deterministic per seed. */
const uuid = (seed: string) => hex(seed, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");

/** The service part of an AWS type token: `aws:rds/cluster:Cluster` → `rds`. */
const serviceOf = (type: string) => type.split(":")[1]?.split("/")[0] ?? "aws";

const ID_PREFIX: Record<string, string> = {
  "aws:ec2/vpc:Vpc": "vpc-",
  "aws:ec2/subnet:Subnet": "subnet-",
  "aws:ec2/securityGroup:SecurityGroup": "sg-",
  "aws:ec2/instance:Instance": "i-",
  "aws:ec2/internetGateway:InternetGateway": "igw-",
  "aws:ec2/natGateway:NatGateway": "nat-",
  "aws:ec2/routeTable:RouteTable": "rtb-",
  "aws:ec2/eip:Eip": "eipalloc-",
  "aws:ebs/volume:Volume": "vol-",
  "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
  "aws:route53/zone:Zone": "Z",
  "aws:cloudfront/distribution:Distribution": "E",
  "aws:cloudfront/originAccessControl:OriginAccessControl": "E",
  "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
};

/** Outputs AWS computes, by type; inputs are echoed back as well. */
function computedOutputs(type: string, name: string, id: string, region: string, inputs: Record<string, any>): Record<string, unknown> {
  const account = MOCK_ACCOUNT_ID;
  const physical = inputs.name ?? `${name}-${hex(type + name, 7)}`;
  const arn = `arn:aws:${serviceOf(type)}:${region}:${account}:${physical}`;
  switch (type) {
    case "aws:ec2/vpc:Vpc":
      return { arn, ipv6CidrBlock: `2600:1f18:${hex(name + region, 4)}:7a00::/56`, defaultSecurityGroupId: `sg-${hex(name, 17)}` };
    case "aws:ec2/subnet:Subnet":
      return { arn };
    case "aws:ec2/instance:Instance":
      return {
        arn,
        privateIp: "10.0.0.10",
        publicIp: "",
        ipv6Addresses: [`2600:1f18:${hex(region, 4)}:7a00::${hex(name, 4)}`],
        primaryNetworkInterfaceId: `eni-${hex(name, 17)}`,
      };
    case "aws:ec2/eip:Eip":
      return { allocationId: id, publicIp: `203.0.113.${parseInt(hex(name, 2), 16) % 250}`, domain: "vpc" };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { arn, latestVersion: 1, defaultVersion: 1 };
    case "aws:rds/cluster:Cluster": {
      const identifier = inputs.clusterIdentifier ?? physical;
      return {
        arn: `arn:aws:rds:${region}:${account}:cluster:${identifier}`,
        clusterIdentifier: identifier,
        clusterResourceId: `cluster-${hex(identifier, 26).toUpperCase()}`,
        endpoint: `${identifier}.cluster-c${hex(region, 11)}.${region}.rds.amazonaws.com`,
        readerEndpoint: `${identifier}.cluster-ro-c${hex(region, 11)}.${region}.rds.amazonaws.com`,
        port: 5432,
        // The secret RDS creates for a managed master password: named `rds!cluster-<uuid>` plus the
        // 6 characters Secrets Manager appends (AWS CLI reference, secretsmanager list-secrets,
        // "secret:rds!cluster-a1b2c3d4-5678-90ab-cdef-EXAMPLE11111-a1b2c3"), encrypted with the
        // account's AWS managed key aws/secretsmanager when no masterUserSecretKmsKeyId is given
        // (RDS API reference, CreateDBCluster, MasterUserSecretKmsKeyId); RDS reports that key's
        // ARN (MasterUserSecret.KmsKeyId). The key's id is AWS's; modelled per account and region.
        masterUserSecrets: inputs.manageMasterUserPassword
          ? [
              {
                secretArn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!cluster-${uuid(`rds-secret:${identifier}`)}-${hex(`suffix:${identifier}`, 6)}`,
                secretStatus: "active",
                kmsKeyId:
                  inputs.masterUserSecretKmsKeyId ??
                  `arn:aws:kms:${region}:${account}:key/${uuid(`aws/secretsmanager:${account}:${region}`)}`,
              },
            ]
          : [],
      };
    }
    case "aws:rds/clusterInstance:ClusterInstance":
      return {
        arn,
        identifier: inputs.identifier ?? physical,
        endpoint: `${physical}.c${hex(region, 11)}.${region}.rds.amazonaws.com`,
        writer: false,
      };
    case "aws:rds/globalCluster:GlobalCluster":
      return {
        arn: `arn:aws:rds::${account}:global-cluster:${inputs.globalClusterIdentifier ?? physical}`,
        globalClusterResourceId: `cluster-${hex(name, 12)}`,
        endpoint: `${inputs.globalClusterIdentifier ?? physical}.global-${hex(name, 10)}.global.rds.amazonaws.com`,
        engineVersionActual: "16.6",
      };
    case "random:index/randomPassword:RandomPassword":
      return { result: hex(`password:${name}`, Number(inputs.length ?? 32)), bcryptHash: "$2a$10$offline" };
    case "aws:lb/loadBalancer:LoadBalancer":
      return {
        arn: `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${physical}/${hex(name, 16)}`,
        arnSuffix: `app/${physical}/${hex(name, 16)}`,
        dnsName: `${inputs.internal ? "internal-" : ""}${physical}-${parseInt(hex(name, 8), 16)}.${region}.elb.amazonaws.com`,
        zoneId: "Z35SXDOTRQ7X7K",
      };
    case "aws:lb/targetGroup:TargetGroup":
      return {
        arn: `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${physical}/${hex(name, 16)}`,
        arnSuffix: `targetgroup/${physical}/${hex(name, 16)}`,
      };
    case "aws:elasticache/replicationGroup:ReplicationGroup":
      return {
        arn: `arn:aws:elasticache:${region}:${account}:replicationgroup:${inputs.replicationGroupId}`,
        primaryEndpointAddress: `master.${physical}.${hex(name, 6)}.${region.replace(/-/g, "")}.cache.amazonaws.com`,
        readerEndpointAddress: `replica.${physical}.${hex(name, 6)}.${region.replace(/-/g, "")}.cache.amazonaws.com`,
        port: inputs.port ?? 6379,
      };
    case "aws:cloudfront/distribution:Distribution":
      return {
        arn: `arn:aws:cloudfront::${account}:distribution/${id}`,
        domainName: `d${hex(name, 13)}.cloudfront.net`,
        hostedZoneId: "Z2FDTNDATAQYW2",
      };
    case "aws:lambda/function:Function":
      return {
        arn: `arn:aws:lambda:${region}:${account}:function:${physical}`,
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/arn:aws:lambda:${region}:${account}:function:${physical}/invocations`,
      };
    case "aws:apigatewayv2/api:Api":
      return {
        apiEndpoint: `https://${hex(name, 10)}.execute-api.${region}.amazonaws.com`,
        executionArn: `arn:aws:execute-api:${region}:${account}:${hex(name, 10)}`,
        arn,
      };
    case "aws:amplify/app:App":
      return { arn, defaultDomain: `${hex(name, 14)}.amplifyapp.com` };
    case "pulumi-nodejs:dynamic/site:AmplifyDeployment":
      // components/siteDeployment.ts: the Amplify job that published the content, and its outcome.
      return { jobId: String(parseInt(hex(String(inputs.contentHash) + name, 6), 16) % 1000), status: "SUCCEED" };
    case "aws:route53/zone:Zone":
      return {
        arn: `arn:aws:route53:::hostedzone/${id}`,
        zoneId: id,
        nameServers: ["ns-1.awsdns-01.org", "ns-2.awsdns-02.co.uk", "ns-3.awsdns-03.com", "ns-4.awsdns-04.net"],
      };
    case "aws:s3/bucket:Bucket": {
      const bucket = inputs.bucket ?? `${name}-${hex(type + name, 7)}`;
      return {
        arn: `arn:aws:s3:::${bucket}`,
        bucket,
        bucketDomainName: `${bucket}.s3.amazonaws.com`,
        bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
      };
    }
    case "aws:dynamodb/table:Table":
      return {
        name: physical,
        arn: `arn:aws:dynamodb:${region}:${account}:table/${physical}`,
        streamArn: `arn:aws:dynamodb:${region}:${account}:table/${physical}/stream/2026-01-01T00:00:00.000`,
      };
    case "aws:kms/key:Key":
      return {
        arn: `arn:aws:kms:${region}:${account}:key/${hex(name + region, 8)}-0000-4000-8000-${hex(name, 12)}`,
        keyId: `${hex(name + region, 8)}-0000-4000-8000-${hex(name, 12)}`,
      };
    case "aws:iam/role:Role":
      return { arn: `arn:aws:iam::${account}:role/${physical}`, name: physical };
    case "aws:iam/instanceProfile:InstanceProfile":
      return { arn: `arn:aws:iam::${account}:instance-profile/${physical}`, name: physical };
    case "aws:acm/certificate:Certificate":
      return {
        arn: `arn:aws:acm:${region}:${account}:certificate/${hex(name + region, 8)}`,
        domainValidationOptions: [inputs.domainName, ...(inputs.subjectAlternativeNames ?? [])].map((domainName: string) => ({
          domainName,
          resourceRecordName: `_${hex(domainName, 12)}.${domainName}.`,
          resourceRecordType: "CNAME",
          resourceRecordValue: `_${hex(domainName + "v", 12)}.acm-validations.aws.`,
        })),
      };
    case "aws:autoscaling/group:Group":
      return { arn, name: physical };
    case "aws:autoscaling/policy:Policy":
      return {
        arn: `arn:aws:autoscaling:${region}:${account}:scalingPolicy:${hex(name, 8)}-0000-4000-8000-${hex(name, 12)}:autoScalingGroupName/${inputs.autoscalingGroupName}:policyName/${physical}`,
        name: physical,
      };
    case "aws:elasticache/user:User":
      return { arn: `arn:aws:elasticache:${region}:${account}:user:${inputs.userId}` };
    case "aws:elasticache/userGroup:UserGroup":
      return { arn: `arn:aws:elasticache:${region}:${account}:usergroup:${inputs.userGroupId}` };
    case "aws:elasticache/subnetGroup:SubnetGroup":
      return { arn, name: physical };
    case "aws:cloudwatch/logGroup:LogGroup":
      // The provider reports a log group's ARN without the trailing `:*` DescribeLogGroups adds.
      return { arn: `arn:aws:logs:${region}:${account}:log-group:${physical}` };
    case "aws:sns/topic:Topic":
      return { arn: `arn:aws:sns:${region}:${account}:${physical}`, name: physical };
    case "aws:cloudwatch/metricAlarm:MetricAlarm":
      return { arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${physical}`, name: physical };
    case "aws:acm/certificateValidation:CertificateValidation":
      return { certificateArn: inputs.certificateArn };
    case "aws:route53/record:Record":
      return { fqdn: inputs.name };
    case "aws:secretsmanager/secret:Secret":
      return { arn: `arn:aws:secretsmanager:${region}:${account}:secret:${physical}-${hex(name, 6)}` };
    default:
      return { arn };
  }
}

export interface MockState {
  /** Provider id → region, filled as providers register. */
  providerRegions: Map<string, string>;
}

export function regionOfProviderRef(state: MockState, ref: string | undefined): string | undefined {
  if (!ref) return undefined;
  const id = ref.split("::").pop() ?? "";
  return state.providerRegions.get(id);
}

/**
 * This mock account's AZs of a region: the zone IDs of data/regions.json (real, dated), named
 * `<region>a`, `<region>b`... in that order (AWS maps names to IDs per account; any order is one
 * account's). A region the data does not list has no zones, so the plan cannot invent any.
 */
function mockZones(region: string): { names: string[]; zoneIds: string[] } {
  const zoneIds = regionFacts(region)?.zoneIds ?? [];
  return { zoneIds, names: zoneIds.map((_, i) => `${region}${String.fromCharCode(97 + i)}`) };
}

/** The values of one name of an invoke's `filters` argument. */
function filterValues(inputs: Record<string, any>, name: string): string[] | undefined {
  const filters: { name: string; values: string[] }[] = inputs.filters ?? [];
  return filters.find((f) => f.name === name)?.values;
}

/** The SDK's marker for a value unknown until apply (`@pulumi/pulumi/runtime/rpc` unknownValue). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * What terraform-provider-aws reports, after a create, for attributes the program left unset:
 * the "deployed" view's model (tools/capture.ts). Only the attributes a policy reads are modelled;
 * each entry says what the provider's schema and Read function do with it (provider source,
 * `internal/service/...`, read in lonegunmanb/terraform-provider-aws-index, up to v6.58.0, on
 * 2026-11-30; the pinned @pulumi/aws 7.48.0 bridges about v6.65, so entries were cross-checked
 * against the `.d.ts` output types in node_modules/@pulumi/aws). SDKv2 resources keep an unset
 * Optional string as "" and an unset bool as false; a write-only (`_wo`) argument is never stored.
 * Values are a function of the region when AWS fills them in.
 */
export const DEPLOYED_UNSET: Record<string, Record<string, (region: string) => unknown>> = {
  // elbv2/listener.go: certificate_arn Optional (not Computed); Read sets it only when the
  // listener has a certificate, so an HTTP listener reports "". ssl_policy Optional+Computed: "".
  "aws:lb/listener:Listener": { certificateArn: () => "", sslPolicy: () => "" },
  // rds/cluster.go: master_password Optional+Sensitive (never read back: ""), master_password_wo
  // write-only (never in state: null), global_cluster_identifier Optional, set by Read from the
  // membership ("" when none), final_snapshot_identifier / snapshot_identifier Optional (""),
  // manage_master_user_password Optional bool (false), skip_final_snapshot Optional, Default false.
  "aws:rds/cluster:Cluster": {
    masterPassword: () => "",
    masterPasswordWo: () => null,
    globalClusterIdentifier: () => "",
    finalSnapshotIdentifier: () => "",
    snapshotIdentifier: () => "",
    manageMasterUserPassword: () => false,
    skipFinalSnapshot: () => false,
  },
  // rds/cluster_instance.go: availability_zone Optional+Computed: AWS picks one.
  "aws:rds/clusterInstance:ClusterInstance": { availabilityZone: (region) => `${region}a`, publiclyAccessible: () => false },
  // s3/bucket.go: server_side_encryption_configuration Computed. Since 2023-01-05 AWS encrypts
  // every new bucket with SSE-S3 ("Amazon S3 now automatically encrypts all new objects", S3 user
  // guide, default-bucket-encryption), so Read always reports this block, configured or not.
  "aws:s3/bucket:Bucket": {
    serverSideEncryptionConfiguration: () => ({
      rule: { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256", kmsMasterKeyId: "" }, bucketKeyEnabled: false },
    }),
  },
  // ec2/vpc_route_table.go: route Optional+Computed (ConfigModeAttr); Read lists the table's
  // routes except the local one: none at create, since aws.ec2.Route resources come after.
  "aws:ec2/routeTable:RouteTable": { routes: () => [] },
  // autoscaling/policy.go: policy_type Optional, Default "SimpleScaling"; adjustment_type Optional ("").
  "aws:autoscaling/policy:Policy": { policyType: () => "SimpleScaling", adjustmentType: () => "" },
  // ebs/volume.go: final_snapshot Optional, Default false.
  "aws:ebs/volume:Volume": { finalSnapshot: () => false },
  // dynamodb/table.go: replica Optional set: [] when none; point_in_time_recovery Optional+Computed,
  // Read flattens DescribeContinuousBackups: a table without PITR reports it disabled.
  "aws:dynamodb/table:Table": { replicas: () => [], pointInTimeRecovery: () => ({ enabled: false }) },
  // autoscaling/group.go (func.resourceGroup, index commit 0c75c3cd, read 2026-11-30):
  // health_check_type Optional+Computed; AWS's default health check type is "EC2".
  "aws:autoscaling/group:Group": { healthCheckType: () => "EC2" },
};

/**
 * The same attributes in a first preview (the provider's planned state for a create): a schema
 * Default is known, an unset Optional non-Computed attribute is null, an Optional+Computed one
 * is unknown until AWS answers.
 */
export const PREVIEW_UNSET: Record<string, Record<string, unknown>> = {
  "aws:lb/listener:Listener": { certificateArn: null, sslPolicy: UNKNOWN },
  "aws:rds/cluster:Cluster": {
    masterPassword: null,
    masterPasswordWo: null,
    globalClusterIdentifier: null,
    finalSnapshotIdentifier: null,
    snapshotIdentifier: null,
    manageMasterUserPassword: null,
    skipFinalSnapshot: false,
  },
  "aws:rds/clusterInstance:ClusterInstance": { availabilityZone: UNKNOWN, publiclyAccessible: UNKNOWN },
  "aws:s3/bucket:Bucket": { serverSideEncryptionConfiguration: UNKNOWN },
  "aws:ec2/routeTable:RouteTable": { routes: UNKNOWN },
  "aws:autoscaling/policy:Policy": { policyType: "SimpleScaling", adjustmentType: null },
  "aws:ebs/volume:Volume": { finalSnapshot: false },
  // dynamodb/table.go: point_in_time_recovery Optional+Computed (planned unknown when unset).
  "aws:dynamodb/table:Table": { replicas: null, pointInTimeRecovery: UNKNOWN },
  "aws:autoscaling/group:Group": { healthCheckType: UNKNOWN },
  // ec2/vpc_subnet.go (func.resourceSubnet, index commit 0c75c3cd, read 2026-11-30):
  // availability_zone and availability_zone_id are both Optional+Computed; the one not given is
  // unknown until AWS creates the subnet. (Deployed, the provider reports both; the name is not
  // modelled there, as it depends on the account's name-to-ID mapping, not on the region.)
  "aws:ec2/subnet:Subnet": { availabilityZone: UNKNOWN, availabilityZoneId: UNKNOWN },
};

/**
 * Outputs the provider recomputes on an in-place update, planned unknown in that update's preview
 * (so an input a dependent took from them is unknown too): per type, the output and the changed
 * inputs that do not recompute it. ec2/ec2_launch_template.go (terraform-provider-aws, read in
 * lonegunmanb/terraform-provider-aws-index up to v6.58.0 on 2026-11-30; @pulumi/aws 7.48 bridges
 * about v6.65): CustomizeDiff `customdiff.ComputedIf("latest_version", ...)` on any change but
 * name, name_prefix, description, default_version, update_default_version; `default_version`
 * likewise, on any change but name, name_prefix, description, when update_default_version is true.
 */
export const UPDATE_RECOMPUTED: Record<string, { output: string; unless: string[]; when?: (inputs: Record<string, any>) => boolean }[]> = {
  "aws:ec2/launchTemplate:LaunchTemplate": [
    { output: "latestVersion", unless: ["name", "namePrefix", "description", "defaultVersion", "updateDefaultVersion"] },
    { output: "defaultVersion", unless: ["name", "namePrefix", "description"], when: (inputs) => inputs.updateDefaultVersion === true },
  ],
};

/** How pulumi-aws auto-names one type at Check (data/autonaming.json): the field, or null for none. */
export interface AutonamingRule {
  field: string | null;
  maxLength?: number;
  lowercase?: boolean;
}
export const AUTONAMING: Readonly<Record<string, AutonamingRule>> = autonamingData.types;

/**
 * The physical name pulumi-aws fills in at Check when the program gives none (`<logical
 * name>-<7 random hex>`, cut and lower-cased as the type's rule says; deterministic here), so it
 * is known in a first preview, while `arn` and `id` are not. A type missing from the data is
 * named nothing (its names stay unknown in a preview), and test/autonaming.test.ts fails on it:
 * whether a name is known in a preview is a fact to look up, never assumed.
 */
export function autoName(type: string, name: string, inputs: Record<string, unknown>): Record<string, string> {
  const rule = Object.prototype.hasOwnProperty.call(AUTONAMING, type) ? AUTONAMING[type] : undefined;
  if (!rule?.field || inputs[rule.field] !== undefined) return {};
  const value = `${name}-${hex(type + name, 7)}`.slice(0, rule.maxLength ?? 255);
  return { [rule.field]: rule.lowercase ? value.toLowerCase() : value };
}

export interface MockOptions {
  /** A first preview: computed outputs are unknown, as the provider leaves them for a create. */
  preview?: boolean;
}

export function createMocks(state: MockState, options: MockOptions = {}): pulumi.runtime.Mocks {
  return {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, any> } {
      if (args.type.startsWith("pulumi:providers:")) {
        const id = `${args.name}-provider-id`;
        if (typeof args.inputs.region === "string") state.providerRegions.set(id, args.inputs.region);
        return { id, state: args.inputs };
      }
      if (!args.custom) return { id: "", state: {} };
      const region = args.inputs.region ?? regionOfProviderRef(state, args.provider) ?? FALLBACK_REGION;
      const id = `${ID_PREFIX[args.type] ?? ""}${hex(args.type + args.name, 17)}`;
      // pulumi-aws auto-names at Check (data/autonaming.json); so do we, so that `x.name` flows
      // into whatever references it, known even in a first preview, as it does for real.
      const named = autoName(args.type, args.name, args.inputs);
      const given = (key: string) => args.inputs[key] !== undefined;
      const computed = computedOutputs(args.type, args.name, id, region, { ...named, ...args.inputs });
      if (options.preview) {
        // A create in preview: no id yet (""), inputs as given (unknowns stay unknown), the
        // modelled unset attributes as planned, every other computed output unknown.
        const planned = Object.fromEntries(Object.entries(PREVIEW_UNSET[args.type] ?? {}).filter(([k]) => !given(k)));
        const unknown = Object.fromEntries(
          Object.entries(computed)
            .filter(([k]) => !given(k) && !(k in named))
            .map(([k]) => [k, UNKNOWN]),
        );
        return { id: "", state: { ...planned, ...unknown, ...named, ...args.inputs } };
      }
      const unset = Object.fromEntries(
        Object.entries(DEPLOYED_UNSET[args.type] ?? {})
          .filter(([k]) => !given(k))
          .map(([k, value]) => [k, value(region)]),
      );
      // Write-only arguments are never stored, even when given.
      const writeOnly = Object.fromEntries(
        Object.keys(args.inputs)
          .filter((k) => k.endsWith("Wo"))
          .map((k) => [k, null]),
      );
      return { id, state: { ...named, ...unset, ...args.inputs, ...computed, ...writeOnly } };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
      const region = args.inputs.region ?? regionOfProviderRef(state, args.provider) ?? FALLBACK_REGION;
      switch (args.token) {
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
          return { id: region, ...mockZones(region) };
        case "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings": {
          // Only by zone ID, as the program asks. Every instance type is offered in every zone of
          // the region's data except the excluded (constrained) ones, which offer none.
          if (args.inputs.locationType !== "availability-zone-id")
            throw new Error(
              `the offline plan mocks getInstanceTypeOfferings by availability-zone-id only, got ${args.inputs.locationType}`,
            );
          const { zoneIds } = mockZones(region);
          const wanted = filterValues(args.inputs, "location") ?? zoneIds;
          const types = filterValues(args.inputs, "instance-type") ?? [];
          const locations = wanted.filter((id) => zoneIds.includes(id) && !EXCLUDED_ZONE_IDS.includes(id));
          const pairs = locations.flatMap((location) => types.map((type) => ({ location, type })));
          return {
            id: region,
            region,
            locationType: "availability-zone-id",
            locations: pairs.map((p) => p.location),
            instanceTypes: pairs.map((p) => p.type),
            locationTypes: pairs.map(() => "availability-zone-id"),
          };
        }
        case "aws:ssm/getParameter:getParameter":
          return {
            id: args.inputs.name,
            name: args.inputs.name,
            type: "String",
            value: `ami-${hex(`${region}${args.inputs.name}`, 17)}`,
            arn: `arn:aws:ssm:${region}::parameter${args.inputs.name}`,
          };
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return {
            id: MOCK_ACCOUNT_ID,
            accountId: MOCK_ACCOUNT_ID,
            arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/offline-plan`,
            userId: "AIDAOFFLINEPLAN",
          };
        case "aws:secretsmanager/getRandomPassword:getRandomPassword":
          // Deterministic, so that the same config gives the same plan.
          return { id: region, randomPassword: hex(`${region}${JSON.stringify(args.inputs)}`, Number(args.inputs.passwordLength ?? 32)) };
        case "aws:index/getPartition:getPartition":
          return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com" };
        case "aws:index/getRegion:getRegion":
          return { id: region, region, name: region, endpoint: `ec2.${region}.amazonaws.com` };
        default:
          throw new Error(`the offline plan has no mock for invoke ${args.token}; add one to tools/mocks.ts`);
      }
    },
  };
}
