/**
 * cloud-init for the app's hosts, as a pure function of what the stage needs. The script is the
 * same for a host at stages 2 and 3 (changing user data would stop and start the host); the
 * app reads what changed (the database endpoint) from its SSM parameter at every start.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export const APP_SOURCE = fs.readFileSync(path.resolve(__dirname, "..", "app", "server.js"), "utf8");

/** The current LTS Node.js that Amazon Linux 2023 ships (data/al2023-nodejs.json: package, executable, source). */
export const NODE_RUNTIME = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "data", "al2023-nodejs.json"), "utf8")) as {
  package: string;
  executable: string;
  major: number;
};

/**
 * Seconds systemd waits before restarting the app (systemd.service(5) `RestartSec=`, default 100 ms):
 * a config fetch that fails because the network or IAM is not ready yet gets time to recover.
 */
export const RESTART_DELAY_SECONDS = 5;
/** Where the data volume is mounted: PostgreSQL's home on Amazon Linux 2023. */
export const HOST_DATA_MOUNT = "/var/lib/pgsql";
export const HOST_DATA_DEVICE = "/dev/sdf";

export interface UserDataOptions {
  region: string;
  /** SSM parameter holding the app's runtime config (JSON). */
  configParameter: string;
  port: number;
  role: "web" | "service";
  /** Install PostgreSQL on this volume (stage-2 host; kept for the dump at stage 3). */
  dataVolumeId?: string;
  cloudwatchAgent: boolean;
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

export function renderUserData(o: UserDataOptions): string {
  const lines = [
    "#!/bin/bash",
    "# Installed by the scaling-journey platform (cloud-init, first boot).",
    "set -euo pipefail",
    "# The Elastic IP or NAT route may still be attaching when this runs: retry package installs.",
    'install_pkgs() { for _ in $(seq 1 30); do dnf install -y "$@" && return 0; sleep 10; done; return 1; }',
    `install_pkgs ${NODE_RUNTIME.package}`,
    "install -d -m 0755 /opt/scaling-app /etc/scaling-app",
    `echo '${b64(APP_SOURCE)}' | base64 -d > /opt/scaling-app/server.js`,
    "cat > /etc/systemd/system/scaling-app.service <<'UNIT'",
    "[Unit]",
    "Description=scaling-journey app",
    "After=network-online.target",
    "Wants=network-online.target",
    // systemd.unit(5): the default start limit (5 starts in 10 s) leaves a unit failed for good;
    // 0 turns rate limiting off, so the single host keeps retrying until its config is readable.
    "StartLimitIntervalSec=0",
    "[Service]",
    `Environment=PORT=${o.port} APP_ROLE=${o.role} CONFIG_FILE=/etc/scaling-app/config.json`,
    // "+": the fetch runs as root; the app itself runs as a throwaway user that cannot write /etc.
    `ExecStartPre=+/bin/sh -c 'aws ssm get-parameter --region ${o.region} --name ${o.configParameter} --query Parameter.Value --output text > /etc/scaling-app/config.json'`,
    `ExecStart=${NODE_RUNTIME.executable} /opt/scaling-app/server.js`,
    "Restart=always",
    `RestartSec=${RESTART_DELAY_SECONDS}`,
    "DynamicUser=yes",
    "AmbientCapabilities=CAP_NET_BIND_SERVICE",
    "[Install]",
    "WantedBy=multi-user.target",
    "UNIT",
    // Enabled before the optional steps below, so that a slow volume or a package mirror hiccup
    // there never leaves the host without its app.
    "systemctl daemon-reload",
    "systemctl enable --now scaling-app",
  ];
  if (o.dataVolumeId) {
    // Nitro instances expose EBS volumes as NVMe devices named after the volume id.
    const byId = `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${o.dataVolumeId.replace("-", "")}`;
    lines.push(
      `DEVICE=${byId}`,
      'for _ in $(seq 1 60); do [ -e "$DEVICE" ] && break; sleep 5; done',
      'blkid "$DEVICE" >/dev/null || mkfs.xfs -L pgdata "$DEVICE"',
      `install -d ${HOST_DATA_MOUNT}`,
      `grep -q ' ${HOST_DATA_MOUNT} ' /etc/fstab || echo "LABEL=pgdata ${HOST_DATA_MOUNT} xfs defaults,nofail 0 2" >> /etc/fstab`,
      "mount -a",
      "install_pkgs postgresql16-server",
      `chown postgres:postgres ${HOST_DATA_MOUNT}`,
      `[ -f ${HOST_DATA_MOUNT}/data/PG_VERSION ] || postgresql-setup --initdb`,
      "systemctl enable --now postgresql",
    );
  }
  if (o.cloudwatchAgent) {
    const agentConfig = JSON.stringify({
      metrics: {
        namespace: "ScalingJourney/Host",
        append_dimensions: { AutoScalingGroupName: "${aws:AutoScalingGroupName}", InstanceId: "${aws:InstanceId}" },
        metrics_collected: { mem: { measurement: ["mem_used_percent"] }, disk: { measurement: ["used_percent"], resources: ["/"] } },
      },
    });
    lines.push(
      "install_pkgs amazon-cloudwatch-agent",
      `echo '${b64(agentConfig)}' | base64 -d > /opt/aws/amazon-cloudwatch-agent/etc/agent.json`,
      "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/agent.json",
    );
  }
  return lines.join("\n") + "\n";
}
