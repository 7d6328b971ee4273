/**
 * `retire-host-volume`: remove the stage-2 data volume from the stack once the database lives in
 * Aurora. From the stage that protects data (or with `production`), the volume has `protect`, and
 * `pulumi up` refuses to delete a protected resource: the working path is `pulumi state unprotect`
 * with the volume's exact URN (from the plan), then `database.hostVolumeRetired` and `pulumi up`.
 * The volume is also `retainOnDelete` then, so AWS keeps it: the runbook says how to snapshot it
 * and delete it.
 */
import { stageDefinition } from "../../components/stages";
import { Capture, ResourceRecord } from "../capture";
import { PlanDiff } from "../compare";
import { loadStackConfig, UsageError } from "../stackConfig";
import { Args, required } from "./args";
import { capture, configuredStage, custom, homeRegionOf, nameTag } from "./stack";
import { Built, previewCommand, shellQuote, statefulStop, Steps, upCommand, verifyStep, volumeIdLookup } from "./steps";

const VOLUME = "aws:ebs/volume:Volume";

export const hostVolumeOf = (c: Capture): ResourceRecord | undefined => custom(c, VOLUME)[0];

/** `pulumi state unprotect` of one resource, by its exact URN (quoted: URNs hold `$` and `::`). */
export const unprotectCommand = (stack: string, urn: string) => `pulumi state unprotect --stack ${stack} --yes ${shellQuote(urn)}`;

/** What retiring does to the volume of this plan, in one sentence. */
export function retirementNote(c: Capture): string {
  const volume = hostVolumeOf(c);
  if (!volume) return "The host's data volume is already retired.";
  return volume.protect
    ? "The volume is protected here: `pulumi up` refuses to delete it until `pulumi state unprotect` is run with its exact URN (the retire-host-volume runbook prints it). It is also retainOnDelete: AWS keeps it, unmanaged, until you snapshot and delete it."
    : "The volume is not protected here: `pulumi up` deletes it (the provider takes a final snapshot first). Snapshot it yourself before, all the same.";
}

/** The commands that retire the volume of this plan (a stage where it exists). */
export function retirementSteps(steps: Steps, stack: string, c: Capture, titlePrefix = ""): void {
  const volume = hostVolumeOf(c);
  if (!volume) throw new UsageError(`${stack} has no host data volume at this stage: nothing to retire`);
  const region = String(volume.region);
  const tag = nameTag(volume);
  const add = (title: string, commands: string[], notes: string[]) => steps.add(titlePrefix + title, commands, notes);
  add(
    `Snapshot the volume ${tag}`,
    [
      `VOLUME_ID=$(${volumeIdLookup(region, tag)})`,
      `SNAPSHOT_ID=$(aws ec2 create-snapshot --region ${region} --volume-id "$VOLUME_ID" --description "${tag} before retirement" --query SnapshotId --output text)`,
      `aws ec2 wait snapshot-completed --region ${region} --snapshot-ids "$SNAPSHOT_ID"`,
    ],
    ["Keep this snapshot until you are sure the database in Aurora has everything."],
  );
  if (volume.protect) {
    add(
      "Remove Pulumi's protection from the volume (and only from it)",
      [unprotectCommand(stack, volume.urn)],
      [
        "`pulumi up` refuses to delete a protected resource, whatever the config says. The URN above is the volume's, from the plan.",
        "Run no `pulumi up` between this step and the next: it would protect the volume again.",
      ],
    );
  }
  // While the host still runs (the stages with a single host), retiring also removes the volume's
  // attachment, and the provider stops the instance to detach it (`stopInstanceBeforeDetaching`).
  const attachment = custom(c, "aws:ec2/volumeAttachment:VolumeAttachment").find((a) => a.inputs.stopInstanceBeforeDetaching === true);
  const host = custom(c, "aws:ec2/instance:Instance")[0];
  add(
    "Mark the volume retired, preview and apply",
    [`pulumi config set --stack ${stack} --path database.hostVolumeRetired true`, previewCommand(stack), upCommand(stack)],
    [
      volume.retainOnDelete
        ? "The preview shows the volume deleted; because it is retainOnDelete, Pulumi only forgets it and AWS keeps it."
        : "The preview shows the volume deleted: Pulumi deletes it in AWS (the provider takes a final snapshot first).",
      ...(attachment
        ? [
            "The host still has the volume attached: to detach it, the provider STOPS the host first (the app is down until the next step). Retire it after the promotion that removes the host to avoid this.",
          ]
        : []),
    ],
  );
  if (attachment && host) {
    add(
      "Start the host again (the detach stopped it)",
      [
        `HOST_ID=$(aws ec2 describe-instances --region ${region} --filters Name=tag:Name,Values=${nameTag(host)} Name=instance-state-name,Values=stopped --query 'Reservations[0].Instances[0].InstanceId' --output text)`,
        `aws ec2 start-instances --region ${region} --instance-ids "$HOST_ID"`,
        `aws ec2 wait instance-status-ok --region ${region} --instance-ids "$HOST_ID"`,
      ],
      ["The volume's fstab entry is `nofail`: the host boots without it, and the app reads its database from Aurora."],
    );
  }
  if (volume.retainOnDelete) {
    add(
      "AWS still has the volume: delete it once the snapshot is enough",
      [
        `aws ec2 describe-volumes --region ${region} --volume-ids "$VOLUME_ID" --query 'Volumes[0].{State: State, Tags: Tags}'   # available, no longer in the stack`,
        `aws ec2 delete-volume --region ${region} --volume-id "$VOLUME_ID"`,
      ],
      ["A detached gp3 volume is billed until it is deleted; the snapshot taken above stays."],
    );
  }
}

export async function retireHostVolume(args: Args): Promise<Built> {
  const stack = required(args.stack, "stack", "retire-host-volume");
  const current = loadStackConfig({ stack, set: args.set });
  const stage = configuredStage(current);
  if (stageDefinition(stage).capabilities.hostDatabase) {
    throw new UsageError(
      `${stack} is at stage ${stage}: the host's data volume still holds the database. Promote to the stage that moves it to Aurora first.`,
    );
  }
  const before = await capture(current);
  if (!hostVolumeOf(before))
    throw new UsageError(`${stack} has no host data volume (database.hostVolumeRetired is already set, or the stack never had a host)`);
  const after = await capture(loadStackConfig({ stack, set: [...args.set, "database.hostVolumeRetired=true"] }));
  const steps = new Steps();
  retirementSteps(steps, stack, before);
  verifyStep(steps, stack, args.set);
  const volume = hostVolumeOf(before)!;
  return {
    summary: `retire the host's data volume of ${stack} (${homeRegionOf(current)}, stage ${stage})`,
    stack,
    steps,
    before,
    after,
    fromLabel: `${stack} with the host volume`,
    toLabel: `${stack} host volume retired`,
    findings: [retirementNote(before)],
    // Removing the volume is the point: anything else at risk stops the runbook.
    stopReasons: (d: PlanDiff) => statefulStop({ ...d, statefulAtRisk: d.statefulAtRisk.filter((r) => r.urn !== volume.urn) }),
  };
}
