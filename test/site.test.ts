import { strict as assert } from "node:assert";
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import * as amplify from "@aws-sdk/client-amplify";
import type * as pulumi from "@pulumi/pulumi";
import { SITE_DIR } from "../components/site";
import {
  AmplifyDeploymentInputs,
  amplifyDeploymentProvider,
  CONFIG_FILE,
  configScript,
  contentHash,
  decodeFiles,
  encodeFiles,
  SiteFile,
  siteContent,
  zipFiles,
} from "../components/siteDeployment";
import type { Capture } from "../tools/capture";
import { byUrn, ofType, one, plan } from "./helpers";

const T = {
  app: "aws:amplify/app:App",
  branch: "aws:amplify/branch:Branch",
  deployment: "pulumi-nodejs:dynamic/site:AmplifyDeployment",
};

// ------------------------------------------------------------------------------------------------
// A reader for the archives the writer makes: walks the end record, the central directory and
// each local header, checks that they agree, and returns the files.

interface ZipEntry {
  path: string;
  data: Buffer;
  method: number;
  flags: number;
}

function readZip(zip: Buffer): ZipEntry[] {
  const endAt = zip.length - 22;
  assert.equal(zip.readUInt32LE(endAt), 0x06054b50, "end of central directory record");
  const count = zip.readUInt16LE(endAt + 10);
  assert.equal(zip.readUInt16LE(endAt + 8), count, "entries on this disk = total entries");
  const cdSize = zip.readUInt32LE(endAt + 12);
  const cdOffset = zip.readUInt32LE(endAt + 16);
  assert.equal(cdOffset + cdSize, endAt, "the central directory ends where the end record starts");
  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, `central header ${i}`);
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 20);
    assert.equal(zip.readUInt32LE(at + 24), size, "stored: compressed size = size");
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const localAt = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    // The local header repeats what the central directory says.
    assert.equal(zip.readUInt32LE(localAt), 0x04034b50, `local header of ${name}`);
    assert.equal(zip.readUInt16LE(localAt + 8), method);
    assert.equal(zip.readUInt32LE(localAt + 14), crc);
    assert.equal(zip.readUInt32LE(localAt + 18), size);
    const localName = zip.readUInt16LE(localAt + 26);
    const localExtra = zip.readUInt16LE(localAt + 28);
    assert.equal(zip.subarray(localAt + 30, localAt + 30 + localName).toString("utf8"), name);
    const dataAt = localAt + 30 + localName + localExtra;
    const data = zip.subarray(dataAt, dataAt + size);
    assert.equal(zlib.crc32(data) >>> 0, crc, `crc of ${name}`);
    entries.push({ path: name, data: Buffer.from(data), method, flags });
    at += 46 + nameLength + extra + comment;
  }
  assert.equal(at, endAt);
  return entries;
}

function tempSite(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "site-test-"));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const text = (files: SiteFile[], name: string) => files.find((f) => f.path === name)?.data.toString("utf8");

// ------------------------------------------------------------------------------------------------

describe("stage 1: the launch page is published to Amplify", () => {
  let c: Capture;
  before(async () => {
    c = await plan({ stack: "dev", stage: 1 });
  });

  it("has the app, the branch and a deployment bound to both, under the site component", () => {
    const app = one(c, T.app);
    const branch = one(c, T.branch);
    const deployment = one(c, T.deployment);
    assert.ok(deployment.custom);
    assert.ok(deployment.dependencies.includes(branch.urn), "the deployment waits for the branch");
    assert.ok(deployment.dependencies.includes(app.urn), "the deployment waits for the app");
    assert.equal(deployment.parent, branch.parent);
    assert.equal(byUrn(c).get(deployment.parent!)?.type, "scaling:site:StaticSite");
    assert.equal(deployment.inputs.branchName, branch.inputs.branchName);
    assert.equal(deployment.inputs.appId, branch.inputs.appId, "the same app as the branch");
    assert.ok(deployment.inputs.timeoutSeconds > 0);
  });

  it("is bound to the stack's home region by an explicit input, like the app", () => {
    const deployment = one(c, T.deployment);
    assert.equal(deployment.inputs.region, "us-east-1");
    assert.equal(deployment.region, one(c, T.app).region);
  });

  it("follows the home region of another stack", async () => {
    const eu = await plan({ stack: "dev", stage: 1, set: ["aws:region=eu-west-1", 'regions=["eu-west-1"]'] });
    assert.equal(one(eu, T.deployment).inputs.region, "eu-west-1");
    assert.equal(one(eu, T.app).region, "eu-west-1");
  });

  it("publishes site/ as it is in the repo, plus a config.js with the backend URL", () => {
    const deployment = one(c, T.deployment);
    const files = decodeFiles(deployment.inputs.files);
    assert.deepEqual(files.map((f) => f.path).sort(), [CONFIG_FILE, "index.html"]);
    assert.equal(text(files, "index.html"), fs.readFileSync(path.join(SITE_DIR, "index.html"), "utf8"));
    const apiUrl = String(c.outputs.apiUrl);
    assert.match(apiUrl, /^https:\/\/.+execute-api/);
    assert.equal(text(files, CONFIG_FILE), configScript(apiUrl));
    assert.ok(text(files, CONFIG_FILE)!.includes(`window.BACKEND_URL = "${apiUrl}"`));
    assert.equal(deployment.inputs.contentHash, contentHash(files), "the hash describes exactly the files shipped");
    const api = one(c, "aws:apigatewayv2/api:Api");
    assert.ok(deployment.dependencies.includes(api.urn), "config.js waits for the API's URL");
  });

  it("loads config.js in the page before the script that reads window.BACKEND_URL", () => {
    const html = fs.readFileSync(path.join(SITE_DIR, "index.html"), "utf8");
    const config = html.indexOf('<script src="config.js"></script>');
    assert.ok(config > 0, "index.html loads config.js");
    assert.ok(config < html.indexOf("window.BACKEND_URL"));
    assert.ok(!fs.existsSync(path.join(SITE_DIR, CONFIG_FILE)), "config.js is generated, never committed");
  });

  it("outputs the site URL once the deployment has run", () => {
    assert.match(String(c.outputs.siteUrl), /^https:\/\/main\..+amplifyapp\.com$/);
  });

  it("has no app, branch or deployment at stage 2", async () => {
    const two = await plan({ stack: "dev", stage: 2 });
    for (const type of Object.values(T)) assert.equal(ofType(two, type).length, 0, `${type} at stage 2`);
  });
});

describe("site content and its hash", () => {
  const dirs: string[] = [];
  const site = (files: Record<string, string>) => {
    const dir = tempSite(files);
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it("changes when a file's content changes, and only then", () => {
    const dir = site({ "index.html": "<h1>v1</h1>", "img/logo.svg": "<svg/>" });
    const first = contentHash(siteContent(dir, "https://api.example"));
    assert.equal(contentHash(siteContent(dir, "https://api.example")), first, "same content, same hash");
    fs.writeFileSync(path.join(dir, "index.html"), "<h1>v2</h1>");
    const second = contentHash(siteContent(dir, "https://api.example"));
    assert.notEqual(second, first);
    fs.writeFileSync(path.join(dir, "img/logo.svg"), "<svg />");
    assert.notEqual(contentHash(siteContent(dir, "https://api.example")), second, "a file in a subdirectory counts too");
  });

  it("changes when the backend URL (config.js) or a file's name changes, not when a dot-file does", () => {
    const dir = site({ "index.html": "<h1>hi</h1>" });
    const base = contentHash(siteContent(dir, "https://a.example"));
    assert.notEqual(contentHash(siteContent(dir, "https://b.example")), base);
    fs.writeFileSync(path.join(dir, ".DS_Store"), "junk");
    assert.equal(contentHash(siteContent(dir, "https://a.example")), base);
    fs.writeFileSync(path.join(dir, "extra.css"), "");
    assert.notEqual(contentHash(siteContent(dir, "https://a.example")), base, "an empty new file is new content");
  });

  it("does not depend on the order of the files", () => {
    const files = siteContent(site({ "index.html": "x", "a.css": "y", "b/c.js": "z" }), "u");
    assert.equal(contentHash([...files].reverse()), contentHash(files));
    assert.deepEqual(
      files.map((f) => f.path),
      ["a.css", "b/c.js", CONFIG_FILE, "index.html"],
    );
  });

  it("rejects a committed config.js and a site without index.html", () => {
    assert.throws(() => siteContent(site({ "index.html": "x", "config.js": "y" }), "u"), /config\.js is generated/);
    assert.throws(() => siteContent(site({ "home.html": "x" }), "u"), /no index\.html/);
  });

  it("round-trips through base64 inputs", () => {
    const files: SiteFile[] = [
      { path: "index.html", data: Buffer.from("<p>é</p>") },
      { path: "logo.png", data: Buffer.from([0, 255, 137, 80, 78, 71]) },
    ];
    assert.deepEqual(decodeFiles(encodeFiles(files)), files);
  });
});

describe("zip writer", () => {
  const files: SiteFile[] = [
    { path: "index.html", data: Buffer.from("<!doctype html><p>héllo</p>\n") },
    { path: CONFIG_FILE, data: Buffer.from(configScript("https://api.example")) },
    { path: "assets/logo.bin", data: Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 7) % 256)) },
    { path: "empty.txt", data: Buffer.alloc(0) },
  ];

  it("writes local headers, a central directory and an end record that agree, and round-trips", () => {
    const zip = zipFiles(files);
    const entries = readZip(zip);
    assert.deepEqual(
      entries.map((e) => [e.path, e.data.toString("hex")]),
      files.map((f) => [f.path, f.data.toString("hex")]),
    );
    for (const e of entries) {
      assert.equal(e.method, 0, "stored");
      assert.equal(e.flags & 0x0800, 0x0800, "UTF-8 names");
    }
    assert.equal(zip.readUInt32LE(0), 0x04034b50, "starts with a local header");
  });

  it("is deterministic: the same files give the same bytes", () => {
    assert.ok(zipFiles(files).equals(zipFiles(files.map((f) => ({ path: f.path, data: Buffer.from(f.data) })))));
  });

  it("writes an empty archive as a lone end record", () => {
    const zip = zipFiles([]);
    assert.equal(zip.length, 22);
    assert.deepEqual(readZip(zip), []);
  });

  it("refuses paths that would escape the site", () => {
    for (const bad of ["/etc/passwd", "../x", "a/../../x", "a\\b"])
      assert.throws(() => zipFiles([{ path: bad, data: Buffer.from("x") }]), /unsafe path/);
  });

  const hasUnzip = spawnSync("unzip", ["-v"]).status === 0;
  (hasUnzip ? it : it.skip)("is read back by Info-ZIP unzip (test integrity, then extract)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zip-test-"));
    try {
      const file = path.join(dir, "site.zip");
      fs.writeFileSync(file, zipFiles(files));
      const tested = execFileSync("unzip", ["-t", file], { encoding: "utf8" });
      assert.match(tested, /No errors detected/);
      execFileSync("unzip", ["-q", file, "-d", path.join(dir, "out")]);
      for (const f of files) assert.ok(fs.readFileSync(path.join(dir, "out", f.path)).equals(f.data), f.path);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ------------------------------------------------------------------------------------------------
// The provider against a stand-in Amplify: the SDK client's `send` is replaced, and the upload
// URL points at a local HTTP server that keeps what was PUT.

interface FakeAmplify {
  calls: { command: string; input: any; region: string }[];
  uploads: { method: string; contentType?: string; body: Buffer }[];
  /** Statuses GetJob returns, one per call (the last one repeats). */
  statuses: string[];
  uploadStatus: number;
}

describe("Amplify deployment provider", () => {
  let server: http.Server;
  let fake: FakeAmplify;
  let uploadUrl = "";
  const originalSend = amplify.AmplifyClient.prototype.send;

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        fake.uploads.push({ method: req.method!, contentType: req.headers["content-type"], body: Buffer.concat(chunks) });
        res.statusCode = fake.uploadStatus;
        res.end(fake.uploadStatus === 200 ? "" : "<Error>SignatureDoesNotMatch</Error>");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    uploadUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload?X-Amz-Signature=abc`;
    (amplify.AmplifyClient.prototype as any).send = async function (this: amplify.AmplifyClient, command: any) {
      const region = await this.config.region();
      const name = command.constructor.name.replace(/Command$/, "");
      fake.calls.push({ command: name, input: command.input, region });
      switch (name) {
        case "CreateDeployment":
          return { jobId: "7", zipUploadUrl: uploadUrl, fileUploadUrls: {} };
        case "StartDeployment":
          return { jobSummary: { jobId: command.input.jobId, status: "PENDING" } };
        case "GetJob": {
          await new Promise((r) => setTimeout(r, 5));
          const status = fake.statuses.length > 1 ? fake.statuses.shift() : fake.statuses[0];
          return {
            job: {
              summary: { jobId: command.input.jobId, status },
              steps: status === "FAILED" ? [{ stepName: "DEPLOY", status: "FAILED", statusReason: "Invalid zip" }] : [],
            },
          };
        }
        default:
          throw new Error(`unexpected Amplify call ${name}`);
      }
    };
  });
  beforeEach(() => {
    fake = { calls: [], uploads: [], statuses: ["SUCCEED"], uploadStatus: 200 };
  });
  after(async () => {
    amplify.AmplifyClient.prototype.send = originalSend;
    await new Promise((resolve) => server.close(resolve));
  });

  const siteFiles: SiteFile[] = [
    { path: "index.html", data: Buffer.from('<script src="config.js"></script>') },
    { path: CONFIG_FILE, data: Buffer.from(configScript("https://api.example")) },
  ];
  const inputs = (over: Partial<AmplifyDeploymentInputs> = {}): AmplifyDeploymentInputs => ({
    region: "eu-west-1",
    appId: "d1abc",
    branchName: "main",
    files: encodeFiles(siteFiles),
    contentHash: contentHash(siteFiles),
    timeoutSeconds: 60,
    ...over,
  });

  async function create(provider: pulumi.dynamic.ResourceProvider, args: AmplifyDeploymentInputs) {
    return provider.create(args);
  }

  it("creates a deployment, PUTs the zip, starts it and waits for SUCCEED, all in the input's region", async () => {
    const result = await create(amplifyDeploymentProvider, inputs());
    assert.deepEqual(
      fake.calls.map((c) => c.command),
      ["CreateDeployment", "StartDeployment", "GetJob"],
    );
    assert.ok(fake.calls.every((c) => c.region === "eu-west-1"));
    assert.deepEqual(fake.calls[0].input, { appId: "d1abc", branchName: "main" });
    assert.deepEqual(fake.calls[1].input, { appId: "d1abc", branchName: "main", jobId: "7" });
    assert.equal(fake.uploads.length, 1);
    assert.equal(fake.uploads[0].method, "PUT");
    assert.equal(fake.uploads[0].contentType, "application/zip");
    assert.deepEqual(
      readZip(fake.uploads[0].body).map((e) => [e.path, e.data.toString()]),
      siteFiles.map((f) => [f.path, f.data.toString()]),
    );
    assert.equal(result.id, "d1abc/main");
    assert.equal(result.outs.jobId, "7");
    assert.equal(result.outs.status, "SUCCEED");
    assert.equal(result.outs.contentHash, contentHash(siteFiles));
  });

  it("keeps polling GetJob while the job runs, backing off from 1 s to 5 s", async () => {
    fake.statuses = ["PENDING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "SUCCEED"];
    // The provider's pauses (1-5 s, no timer arguments) are recorded and skipped; other timers
    // (the fake's 5 ms, fetch's own timeouts) run as set.
    const pauses: number[] = [];
    const realSetTimeout = global.setTimeout;
    global.setTimeout = ((fn: (...a: unknown[]) => void, ms?: number, ...rest: unknown[]) => {
      const pause = rest.length === 0 && ms !== undefined && ms >= 1000 && ms <= 5000;
      if (pause) pauses.push(ms);
      return realSetTimeout(fn, pause ? 0 : ms, ...rest);
    }) as typeof setTimeout;
    try {
      const result = await create(amplifyDeploymentProvider, inputs());
      assert.equal(result.outs.status, "SUCCEED");
    } finally {
      global.setTimeout = realSetTimeout;
    }
    assert.equal(fake.calls.filter((c) => c.command === "GetJob").length, 6);
    assert.deepEqual(pauses, [1000, 2000, 4000, 5000, 5000]);
  });

  it("fails clearly when the job fails, times out, or the upload is refused", async () => {
    fake.statuses = ["FAILED"];
    await assert.rejects(create(amplifyDeploymentProvider, inputs()), /job 7 .*ended FAILED: DEPLOY: FAILED \(Invalid zip\)/);
    fake.statuses = ["RUNNING"];
    await assert.rejects(create(amplifyDeploymentProvider, inputs({ timeoutSeconds: 0.001 })), /still RUNNING after 0.001s/);
    fake.uploadStatus = 403;
    fake.calls = [];
    await assert.rejects(create(amplifyDeploymentProvider, inputs()), /uploading the site zip .* HTTP 403 .*SignatureDoesNotMatch/);
    assert.ok(!fake.calls.some((c) => c.command === "StartDeployment"), "nothing is started after a failed upload");
  });

  it("refuses content that does not match its hash, before calling AWS", async () => {
    await assert.rejects(create(amplifyDeploymentProvider, inputs({ contentHash: "0".repeat(64) })), /does not match/);
    assert.equal(fake.calls.length, 0);
  });

  it("diffs: new content is an update; a new app, branch or region a replacement; the same inputs nothing", async () => {
    const old = { ...inputs(), jobId: "7", status: "SUCCEED" };
    const diff = amplifyDeploymentProvider.diff!;
    assert.equal((await diff("id", old, inputs())).changes, false);
    const other: SiteFile[] = [siteFiles[0], { path: CONFIG_FILE, data: Buffer.from(configScript("https://other.example")) }];
    const content = await diff("id", old, inputs({ files: encodeFiles(other), contentHash: contentHash(other) }));
    assert.equal(content.changes, true);
    assert.deepEqual(content.replaces, []);
    for (const key of ["region", "appId", "branchName"] as const) {
      const d = await diff("id", old, inputs({ [key]: "changed" }));
      assert.equal(d.changes, true);
      assert.deepEqual(d.replaces, [key]);
    }
  });

  it("redeploys on update only when the content changed", async () => {
    const old = { ...inputs(), jobId: "3", status: "SUCCEED" };
    const same = await amplifyDeploymentProvider.update!("id", old, inputs({ timeoutSeconds: 900 }));
    assert.equal(same.outs.jobId, "3");
    assert.equal(fake.calls.length, 0);
    const other: SiteFile[] = [siteFiles[0], { path: CONFIG_FILE, data: Buffer.from(configScript("https://other.example")) }];
    const updated = await amplifyDeploymentProvider.update!(
      "id",
      old,
      inputs({ files: encodeFiles(other), contentHash: contentHash(other) }),
    );
    assert.equal(updated.outs.jobId, "7");
    assert.equal(fake.calls[0].command, "CreateDeployment");
  });

  it("deletes without calling AWS (the files go with the branch)", async () => {
    await amplifyDeploymentProvider.delete!("id", inputs());
    assert.equal(fake.calls.length, 0);
  });

  it("works as Pulumi serialises it into the plan: a self-contained closure that deploys", async () => {
    const c = await plan({ stack: "dev", stage: 1 });
    const serialized: string = one(c, T.deployment).inputs.__provider;
    assert.ok(serialized.length < 20000, `the provider closure is small (${serialized.length} chars)`);
    assert.ok(!/@pulumi\/pulumi|components\//.test(serialized), "it captures neither the Pulumi SDK nor project modules");
    const module = { exports: {} as { handler?: () => pulumi.dynamic.ResourceProvider } };
    new Function("exports", "require", serialized)(module.exports, require);
    const provider = module.exports.handler!();
    const result = await create(provider, inputs());
    assert.equal(result.outs.status, "SUCCEED");
    assert.equal(fake.uploads.length, 1);
  });
});
