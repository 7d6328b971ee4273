/**
 * Publishes the launch page to an Amplify Hosting branch. @pulumi/aws has no resource for an
 * Amplify deployment, so this is a dynamic resource that makes Amplify's manual-deployment calls:
 * `CreateDeployment` (a job id and a pre-signed upload URL) → HTTP PUT of a zip of the site →
 * `StartDeployment` → `GetJob` until the job has SUCCEEDed. No S3 bucket, no git repo, no AWS CLI.
 *
 * The files travel as inputs (base64, a few KB for a launch page), so the provider needs nothing
 * on disk and the state alone describes what was published. A new content hash is an update
 * (a new deployment on the same branch); a new app, branch or region is a replacement.
 *
 * The dynamic provider is serialised into the state and runs in Pulumi's provider host, outside
 * ts-node: the functions it reaches only `require` Node built-ins and the AWS SDK, inside their
 * bodies, and never this project's modules.
 */
import * as pulumi from "@pulumi/pulumi";

/** One file of the site: its path inside the zip (forward slashes) and its bytes. */
export interface SiteFile {
  path: string;
  data: Buffer;
}

/** The generated file that tells the page where its backend is. */
export const CONFIG_FILE = "config.js";
/** Above this, ship the site through S3 (`StartDeployment` with `sourceUrl`), not through inputs. */
export const MAX_SITE_BYTES = 4 * 1024 * 1024;
const DEFAULT_TIMEOUT_SECONDS = 600;

/** `config.js`: the page reads `window.BACKEND_URL` (site/index.html loads it before its script). */
export function configScript(backendUrl: string): string {
  return `window.BACKEND_URL = ${JSON.stringify(backendUrl)};\n`;
}

/** Every file under `dir` (dot-files and dot-directories skipped), sorted by path. */
export function readSiteFiles(dir: string): SiteFile[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require("node:fs") as typeof import("node:fs");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const path = require("node:path") as typeof import("node:path");
  const files: SiteFile[] = [];
  const walk = (absolute: string, relative: string) => {
    for (const entry of fs.readdirSync(absolute, { withFileTypes: true })) {
      if (entry.name.startsWith(".")) continue;
      const abs = path.join(absolute, entry.name);
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(abs, rel);
      else if (entry.isFile()) files.push({ path: rel, data: fs.readFileSync(abs) });
    }
  };
  walk(dir, "");
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The site as published: the files of `dir` plus the generated `config.js`. */
export function siteContent(dir: string, backendUrl: string): SiteFile[] {
  const files = readSiteFiles(dir);
  if (files.some((f) => f.path === CONFIG_FILE))
    throw new Error(`${dir}/${CONFIG_FILE} is generated at deploy time; remove it from the repo`);
  if (!files.some((f) => f.path === "index.html")) throw new Error(`${dir} has no index.html`);
  const bytes = files.reduce((sum, f) => sum + f.data.length, 0);
  if (bytes > MAX_SITE_BYTES) throw new Error(`${dir} holds ${bytes} bytes; above ${MAX_SITE_BYTES}, publish it through S3 instead`);
  return [...files, { path: CONFIG_FILE, data: Buffer.from(configScript(backendUrl), "utf8") }].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
}

/** sha256 over the paths and bytes, independent of the order the files come in. */
export function contentHash(files: SiteFile[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const hash = crypto.createHash("sha256");
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${f.path}\0${f.data.length}\0`);
    hash.update(f.data);
  }
  return hash.digest("hex");
}

/** Files as an input: path → base64 bytes. */
export function encodeFiles(files: SiteFile[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f.path, f.data.toString("base64")]));
}

export function decodeFiles(files: Record<string, string>): SiteFile[] {
  return Object.entries(files).map(([p, b64]) => ({ path: p, data: Buffer.from(b64, "base64") }));
}

/**
 * A ZIP archive of `files`, stored (method 0, no compression), UTF-8 names, a fixed timestamp
 * (1980-01-01) so the same files give the same bytes. No ZIP64: the site is far below 4 GB.
 */
export function zipFiles(files: SiteFile[]): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const zlib = require("node:zlib") as typeof import("node:zlib");
  const DOS_TIME = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  const UTF8_NAMES = 0x0800;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.path, "utf8");
    if (f.path.startsWith("/") || f.path.includes("\\") || f.path.split("/").includes(".."))
      throw new Error(`unsafe path in zip: ${f.path}`);
    const crc = zlib.crc32(f.data) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(10, 4); // version needed: 1.0 (stored)
    local.writeUInt16LE(UTF8_NAMES, 6);
    local.writeUInt16LE(0, 8); // method: stored
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(f.data.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    central.writeUInt16LE(10, 6);
    central.writeUInt16LE(UTF8_NAMES, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(f.data.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    // extra length, comment length, disk number, internal attributes: 0
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, f.data);
    centrals.push(central, name);
    offset += local.length + name.length + f.data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export interface AmplifyDeploymentInputs {
  /** Where the Amplify app lives; the SDK client is bound to it (never the ambient default). */
  region: string;
  appId: string;
  branchName: string;
  /** Path in the zip → base64 bytes. */
  files: Record<string, string>;
  /** `contentHash` of `files`: a new hash is a new deployment. */
  contentHash: string;
  /** How long to wait for the Amplify job to SUCCEED. */
  timeoutSeconds: number;
}

export interface AmplifyDeploymentOutputs extends AmplifyDeploymentInputs {
  /** The Amplify job that published this content. */
  jobId: string;
  status: string;
}

/** CreateDeployment → PUT the zip → StartDeployment → poll GetJob. Runs in the provider host. */
async function deploySite(inputs: AmplifyDeploymentInputs): Promise<AmplifyDeploymentOutputs> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require("@aws-sdk/client-amplify") as typeof import("@aws-sdk/client-amplify");
  const { region, appId, branchName } = inputs;
  const where = `Amplify app ${appId} branch ${branchName} in ${region}`;
  if (!region) throw new Error(`no region for the deployment to ${where}`);
  const files = decodeFiles(inputs.files ?? {});
  if (files.length === 0) throw new Error(`nothing to deploy to ${where}`);
  const hash = contentHash(files);
  if (hash !== inputs.contentHash) throw new Error(`the site's content hash ${hash} does not match the planned ${inputs.contentHash}`);
  const zip = zipFiles(files);

  const client = new sdk.AmplifyClient({ region });
  try {
    const created = await client.send(new sdk.CreateDeploymentCommand({ appId, branchName }));
    if (!created.jobId || !created.zipUploadUrl) throw new Error(`CreateDeployment on ${where} returned no job id or upload URL`);
    const upload = await fetch(created.zipUploadUrl, {
      method: "PUT",
      body: new Uint8Array(zip),
      headers: { "Content-Type": "application/zip" },
    });
    if (!upload.ok) {
      const body = (await upload.text()).slice(0, 500);
      throw new Error(`uploading the site zip for job ${created.jobId} of ${where} failed: HTTP ${upload.status} ${body}`);
    }
    await client.send(new sdk.StartDeploymentCommand({ appId, branchName, jobId: created.jobId }));

    const timeoutSeconds = inputs.timeoutSeconds > 0 ? inputs.timeoutSeconds : 600; // DEFAULT_TIMEOUT_SECONDS (not captured)
    const deadline = Date.now() + timeoutSeconds * 1000;
    let pause = 1000; // then 2 s, 4 s, 5 s, 5 s…
    for (;;) {
      const { job } = await client.send(new sdk.GetJobCommand({ appId, branchName, jobId: created.jobId }));
      const status = job?.summary?.status;
      if (status === "SUCCEED") return { ...inputs, jobId: created.jobId, status };
      if (status === "FAILED" || status === "CANCELLED" || status === "CANCELLING") {
        const steps = (job?.steps ?? [])
          .map((s) => `${s.stepName}: ${s.status}${s.statusReason ? ` (${s.statusReason})` : ""}${s.logUrl ? ` log ${s.logUrl}` : ""}`)
          .join("; ");
        throw new Error(`Amplify job ${created.jobId} on ${where} ended ${status}${steps ? `: ${steps}` : ""}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Amplify job ${created.jobId} on ${where} is still ${status ?? "unknown"} after ${timeoutSeconds}s; ` +
            `see the Amplify console, then run pulumi up again (a new deployment is made)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 5000);
    }
  } finally {
    client.destroy();
  }
}

/** Changing the app, the branch or the region is a new deployment resource; new content is an update. */
const REPLACE_KEYS = ["region", "appId", "branchName"] as const;

export const amplifyDeploymentProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: AmplifyDeploymentOutputs, news: AmplifyDeploymentInputs): Promise<pulumi.dynamic.DiffResult> {
    const replaces = REPLACE_KEYS.filter((k) => olds[k] !== news[k]);
    const changed = [...replaces, ...(olds.contentHash !== news.contentHash ? ["contentHash", "files"] : [])];
    if (olds.timeoutSeconds !== news.timeoutSeconds) changed.push("timeoutSeconds");
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
  },
  async create(inputs: AmplifyDeploymentInputs): Promise<pulumi.dynamic.CreateResult> {
    const outs = await deploySite(inputs);
    return { id: `${inputs.appId}/${inputs.branchName}`, outs };
  },
  async update(_id: string, olds: AmplifyDeploymentOutputs, news: AmplifyDeploymentInputs): Promise<pulumi.dynamic.UpdateResult> {
    // Only the timeout changed: nothing to publish.
    if (olds.contentHash === news.contentHash) return { outs: { ...news, jobId: olds.jobId, status: olds.status } };
    return { outs: await deploySite(news) };
  },
  async delete(): Promise<void> {
    // Amplify has no "undeploy": the published files go with the branch and the app, which Pulumi
    // deletes after this resource (it depends on them).
  },
};

export interface AmplifyDeploymentArgs {
  region: pulumi.Input<string>;
  appId: pulumi.Input<string>;
  branchName: pulumi.Input<string>;
  files: pulumi.Input<Record<string, string>>;
  contentHash: pulumi.Input<string>;
  timeoutSeconds?: pulumi.Input<number>;
}

/** The site's content published to an Amplify branch (type `pulumi-nodejs:dynamic/site:AmplifyDeployment`). */
export class AmplifyDeployment extends pulumi.dynamic.Resource {
  declare readonly jobId: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  declare readonly contentHash: pulumi.Output<string>;

  constructor(name: string, args: AmplifyDeploymentArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      amplifyDeploymentProvider,
      name,
      { ...args, timeoutSeconds: args.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS, jobId: undefined, status: undefined },
      opts,
      "site",
      "AmplifyDeployment",
    );
  }
}
