/** `add-region`: append a region to `regions`; from the multi-region stage it gets the full regional stack. */
import { firstStageWith, stageDefinition } from "../../components/stages";
import { HEALTH_CHECK_PATH } from "../../components/webTier";
import { loadStackConfig, UsageError } from "../stackConfig";
import { Args, required } from "./args";
import { capture, configuredRegions, configuredStage, custom, homeRegionOf } from "./stack";
import { Built, healthCheckStatusCommand, previewCommand, Steps, upCommand, verifyStep } from "./steps";

export async function addRegion(args: Args): Promise<Built> {
  const stack = required(args.stack, "stack", "add-region");
  const region = required(args.region, "region", "add-region");
  const current = loadStackConfig({ stack, set: args.set });
  const regions = configuredRegions(current);
  if (regions.includes(region)) throw new UsageError(`${region} is already in regions (${regions.join(", ")})`);
  const before = await capture(current);
  // The new list goes through the program's own validation: a bad region is a ConfigError (exit 2).
  const after = await capture(loadStackConfig({ stack, set: [...args.set, `regions=${JSON.stringify([...regions, region])}`] }));
  const stage = configuredStage(current);
  const multiRegion = stageDefinition(stage).capabilities.multiRegion;
  const firstMulti = firstStageWith((c) => c.multiRegion);
  const home = homeRegionOf(current);
  const steps = new Steps();
  const findings: string[] = [];
  if (!multiRegion) {
    findings.push(
      `NOTE: stage ${stage} is not multi-region: ${region} is only recorded in \`regions\` and gets resources from stage ${firstMulti} on.`,
    );
  }
  steps.add(`Check ${region}'s quotas`, [
    `aws service-quotas get-service-quota --region ${region} --service-code ec2 --quota-code L-1216C47A   # running on-demand standard vCPUs`,
    `aws service-quotas get-service-quota --region ${region} --service-code vpc --quota-code L-F678F1CE   # VPCs per region`,
    `aws service-quotas get-service-quota --region ${region} --service-code ec2 --quota-code L-0263D0A3   # Elastic IPs (one per NAT gateway)`,
    `aws service-quotas list-service-quotas --region ${region} --service-code rds --query "Quotas[?QuotaName=='DB clusters']"`,
  ]);
  steps.add(`Append ${region} to regions`, [`pulumi config set --stack ${stack} --path 'regions[${regions.length}]' ${region}`]);
  steps.add("Preview with the policy pack", [previewCommand(stack)], ["The preview must match the diff below."]);
  steps.add("Apply", [upCommand(stack)]);
  const globals = custom(after, "aws:rds/globalCluster:GlobalCluster").map((g) => String(g.inputs.globalClusterIdentifier));
  verifyStep(
    steps,
    stack,
    args.set,
    multiRegion
      ? [
          `curl -fsS "http://$(aws elbv2 describe-load-balancers --region ${region} --load-balancer-arns "$(aws resourcegroupstaggingapi get-resources --region ${region} --resource-type-filters elasticloadbalancing:loadbalancer --tag-filters Key=Name,Values=${region}-alb --query 'ResourceTagMappingList[0].ResourceARN' --output text)" --query 'LoadBalancers[0].DNSName' --output text)${HEALTH_CHECK_PATH}"`,
          healthCheckStatusCommand(region),
          ...globals.map(
            (g) =>
              `aws rds describe-global-clusters --region ${home} --global-cluster-identifier ${g} --query "GlobalClusters[0].GlobalClusterMembers[?contains(DBClusterArn, ':${region}:')]"   # ${region} is a reader member`,
          ),
        ]
      : [],
  );
  return {
    summary: `add ${region} to ${stack}'s regions (${[...regions, region].join(", ")})`,
    stack,
    steps,
    before,
    after,
    fromLabel: `${stack} regions ${regions.join(", ")}`,
    toLabel: `${stack} regions ${[...regions, region].join(", ")}`,
    findings,
  };
}
