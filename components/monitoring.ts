import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Alarm thresholds: what an on-call engineer should be woken for. */
export const ALARM_THRESHOLDS = {
  /** 5xx responses per 5 minutes, from the ALB itself or from the targets. */
  http5xxPer5Minutes: 10,
  /** p90 target response time, seconds. */
  targetResponseP90Seconds: 1,
  /** Aurora cluster CPU, percent. */
  dbCpuPercent: 80,
  /** Worst Aurora replica lag, milliseconds. */
  replicaLagMs: 1000,
} as const;

export interface MonitoredCluster {
  name: string;
  /**
   * Reader endpoint: its first label is the regional cluster identifier CloudWatch dimensions use
   * (the writer endpoint becomes the global cluster's once the cluster joins a global database).
   */
  reader: pulumi.Input<string>;
  hasReaders: boolean;
}

export interface MonitoringArgs {
  prefix: string;
  region: string;
  accountId: pulumi.Input<string>;
  /** Protect and retain the topic's KMS key (keys are stateful: deleting one loses what it encrypted). */
  protectData: boolean;
  loadBalancerArnSuffix: pulumi.Input<string>;
  targetGroupArnSuffix: pulumi.Input<string>;
  autoScalingGroupName: pulumi.Input<string>;
  clusters: MonitoredCluster[];
  /** Alarms on ALB 5xx, latency, DB CPU and replica lag, to an SNS topic. */
  alarms: boolean;
  /** A dashboard of the SLO signals, under this name (unique per account and region, so per stack). */
  dashboard: boolean;
  dashboardName: string;
  cacheReplicationGroupId?: pulumi.Input<string>;
  internalLoadBalancerArnSuffix?: pulumi.Input<string>;
}

/** The cluster identifier from a cluster endpoint `<id>.cluster-ro-<hash>.<region>.rds.amazonaws.com`. */
export const clusterIdentifierOf = (endpoint: pulumi.Input<string>) => pulumi.output(endpoint).apply((e) => e.split(".")[0]);

/**
 * Operational alarms and the SLO dashboard of one region. The SNS topic is encrypted with its own
 * KMS key: CloudWatch cannot publish to a topic under the AWS managed `alias/aws/sns` key, because
 * that key's policy cannot be changed to let CloudWatch use it.
 */
export class Monitoring extends pulumi.ComponentResource {
  readonly topicArn?: pulumi.Output<string>;
  readonly dashboardName?: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:monitoring:Monitoring", name, {}, opts);
    if (!args.prefix) throw new Error(`Monitoring ${name}: prefix is required`);
    if (!args.alarms && !args.dashboard) throw new Error(`Monitoring ${name}: neither alarms nor a dashboard asked for`);
    const p = args.prefix;
    const parent = { parent: this };
    const alb = { LoadBalancer: args.loadBalancerArnSuffix };

    if (args.alarms) {
      const partition = aws.getPartitionOutput({}, parent).partition;
      const key = new aws.kms.Key(
        `${p}-alarms-key`,
        {
          description: "Encrypts the scaling-journey alarm topic",
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "AccountAdministers",
                Effect: "Allow",
                Principal: { AWS: pulumi.interpolate`arn:${partition}:iam::${args.accountId}:root` },
                Action: "kms:*",
                Resource: "*",
              },
              {
                Sid: "CloudWatchPublishesAlarms",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
                Condition: { StringEquals: { "aws:SourceAccount": args.accountId } },
              },
            ],
          }),
        },
        { parent: this, protect: args.protectData, retainOnDelete: args.protectData },
      );
      const topic = new aws.sns.Topic(
        `${p}-alarms`,
        { displayName: "scaling-journey alarms", kmsMasterKeyId: key.arn, tags: { Name: `${p}-alarms` } },
        parent,
      );
      this.topicArn = topic.arn;
      const alarm = (suffix: string, a: Omit<aws.cloudwatch.MetricAlarmArgs, "alarmActions" | "okActions" | "treatMissingData">) =>
        new aws.cloudwatch.MetricAlarm(
          `${p}-${suffix}`,
          { ...a, alarmActions: [topic.arn], okActions: [topic.arn], treatMissingData: "notBreaching" },
          parent,
        );

      alarm("alb-5xx", {
        alarmDescription: "The load balancer itself returns 5xx (no healthy target, or targets refusing connections)",
        namespace: "AWS/ApplicationELB",
        metricName: "HTTPCode_ELB_5XX_Count",
        dimensions: alb,
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: ALARM_THRESHOLDS.http5xxPer5Minutes,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
      });
      alarm("target-5xx", {
        alarmDescription: "The web tier answers with 5xx",
        namespace: "AWS/ApplicationELB",
        metricName: "HTTPCode_Target_5XX_Count",
        dimensions: { ...alb, TargetGroup: args.targetGroupArnSuffix },
        statistic: "Sum",
        period: 300,
        evaluationPeriods: 1,
        threshold: ALARM_THRESHOLDS.http5xxPer5Minutes,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
      });
      alarm("latency-p90", {
        alarmDescription: `p90 target response time above ${ALARM_THRESHOLDS.targetResponseP90Seconds}s`,
        namespace: "AWS/ApplicationELB",
        metricName: "TargetResponseTime",
        dimensions: alb,
        extendedStatistic: "p90",
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        threshold: ALARM_THRESHOLDS.targetResponseP90Seconds,
        comparisonOperator: "GreaterThanThreshold",
      });
      for (const cluster of args.clusters) {
        const dbDims = { DBClusterIdentifier: clusterIdentifierOf(cluster.reader) };
        alarm(`${cluster.name}-cpu`, {
          alarmDescription: `Aurora cluster ${cluster.name}: CPU above ${ALARM_THRESHOLDS.dbCpuPercent}%`,
          namespace: "AWS/RDS",
          metricName: "CPUUtilization",
          dimensions: dbDims,
          statistic: "Average",
          period: 300,
          evaluationPeriods: 2,
          threshold: ALARM_THRESHOLDS.dbCpuPercent,
          comparisonOperator: "GreaterThanThreshold",
        });
        if (cluster.hasReaders) {
          alarm(`${cluster.name}-replica-lag`, {
            alarmDescription: `Aurora cluster ${cluster.name}: a reader lags more than ${ALARM_THRESHOLDS.replicaLagMs} ms`,
            namespace: "AWS/RDS",
            metricName: "AuroraReplicaLagMaximum",
            dimensions: dbDims,
            statistic: "Maximum",
            period: 60,
            evaluationPeriods: 5,
            threshold: ALARM_THRESHOLDS.replicaLagMs,
            comparisonOperator: "GreaterThanThreshold",
          });
        }
      }
    }

    if (args.dashboard) {
      const dashboard = new aws.cloudwatch.Dashboard(
        `${p}-slo`,
        { dashboardName: args.dashboardName, dashboardBody: dashboardBody(args) },
        parent,
      );
      this.dashboardName = dashboard.dashboardName;
    }
    this.registerOutputs({ topicArn: this.topicArn, dashboardName: this.dashboardName });
  }
}

/** Requests, errors, latency, then the data tier: the order an incident is read in. */
function dashboardBody(args: MonitoringArgs): pulumi.Output<string> {
  return pulumi
    .all([
      args.loadBalancerArnSuffix,
      args.autoScalingGroupName,
      args.cacheReplicationGroupId ?? "",
      args.internalLoadBalancerArnSuffix ?? "",
      pulumi.all(args.clusters.map((c) => clusterIdentifierOf(c.reader))),
    ])
    .apply(([lb, asg, cache, ilb, clusters]) => {
      const widget = (title: string, metrics: unknown[], stat = "Sum") => ({
        type: "metric",
        width: 12,
        height: 6,
        properties: { title, region: args.region, stat, period: 60, view: "timeSeries", metrics },
      });
      const widgets = [
        widget("Requests", [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", lb],
          ...(ilb ? [["AWS/ApplicationELB", "RequestCount", "LoadBalancer", ilb]] : []),
        ]),
        widget("5xx", [
          ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", lb],
          ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", lb],
          ...(ilb ? [["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", ilb]] : []),
        ]),
        widget(
          "Latency p90 / p99 (s)",
          [
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb, { stat: "p90" }],
            ["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", lb, { stat: "p99" }],
          ],
          "p90",
        ),
        widget("Web tier CPU and size", [
          ["AWS/EC2", "CPUUtilization", "AutoScalingGroupName", asg, { stat: "Average" }],
          ["AWS/AutoScaling", "GroupInServiceInstances", "AutoScalingGroupName", asg, { stat: "Average", yAxis: "right" }],
        ]),
        widget(
          "Database CPU (%) and replica lag (ms)",
          clusters.flatMap((id) => [
            ["AWS/RDS", "CPUUtilization", "DBClusterIdentifier", id, { stat: "Average" }],
            ["AWS/RDS", "AuroraReplicaLagMaximum", "DBClusterIdentifier", id, { stat: "Maximum", yAxis: "right" }],
          ]),
          "Average",
        ),
        ...(cache
          ? [
              widget(
                "Cache engine CPU (%) and evictions",
                [
                  [
                    {
                      expression: `SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName="EngineCPUUtilization" ${cache}', 'Average', 60)`,
                      id: "cpu",
                    },
                  ],
                  [
                    {
                      expression: `SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName="Evictions" ${cache}', 'Sum', 60)`,
                      id: "evictions",
                      yAxis: "right",
                    },
                  ],
                ],
                "Average",
              ),
            ]
          : []),
      ];
      return JSON.stringify({ widgets });
    });
}
