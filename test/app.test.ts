/** The app cloud-init installs, run for real on loopback: the endpoints the load balancer and ops use. */
import { strict as assert } from "node:assert";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { HEALTH_CHECK_PATH } from "../components/webTier";

const SERVER = path.resolve(__dirname, "..", "app", "server.js");

async function start(config: unknown): Promise<{ url: string; child: ChildProcess }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaling-app-"));
  const configFile = path.join(dir, "config.json");
  fs.writeFileSync(configFile, JSON.stringify(config));
  const child = spawn(process.execPath, [SERVER], {
    env: { PORT: "0", APP_ROLE: "web", CONFIG_FILE: configFile },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      const m = /listening on (\d+)/.exec(chunk.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

describe("the web app (app/server.js)", () => {
  const servers: net.Server[] = [];
  const listening = async (server: net.Server): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as net.AddressInfo).port;
  };
  // Every instance the tests need starts at once (each is a node process booting).
  let apps: Record<
    "healthOnly" | "databaseUp" | "databaseDown" | "noDatabase" | "noWriter" | "euWest",
    Promise<{ url: string; child: ChildProcess }>
  >;
  before(async () => {
    const db = net.createServer((socket) => socket.end());
    servers.push(db);
    const port = await listening(db);
    const closed = net.createServer();
    const deadPort = await listening(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const configs: Record<keyof typeof apps, unknown> = {
      healthOnly: { stage: 4, region: "us-east-1", database: { writer: "10.255.255.1", port: 5432 } },
      databaseUp: { stage: 3, region: "us-east-1", database: { writer: "127.0.0.1", port } },
      databaseDown: { stage: 3, region: "us-east-1", database: { writer: "127.0.0.1", port: deadPort } },
      noDatabase: { stage: 4, region: "us-east-1" },
      noWriter: { stage: 4, region: "us-east-1", database: { port: 5432 } },
      euWest: { stage: 5, region: "eu-west-1" },
    };
    apps = Object.fromEntries(
      Object.entries(configs).map(([key, config]) => {
        const app = start(config);
        app.catch(() => undefined); // a failed start is its test's to report
        return [key, app];
      }),
    ) as unknown as typeof apps;
  });
  after(() => {
    // Through the promises: an instance still booting is killed once it has started.
    Object.values(apps ?? {}).forEach((app) => app.then(({ child }) => child.kill()).catch(() => undefined));
    servers.forEach((s) => s.close());
  });

  it("answers the load balancer's health path without touching its dependencies", async () => {
    const { url } = await apps.healthOnly;
    const res = await fetch(`${url}${HEALTH_CHECK_PATH}`);
    assert.equal(res.status, 200);
    assert.equal((await res.text()).trim(), "ok");
    const service = await fetch(`${url}/orders${HEALTH_CHECK_PATH}`);
    assert.equal(service.status, 200, "a service's health path under its prefix");
  });

  it("reports readiness from the database it is configured with", async () => {
    const ready = await fetch(`${(await apps.databaseUp).url}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { database: true });
    assert.equal((await fetch(`${(await apps.databaseDown).url}/ready`)).status, 503);
  });

  it("is not ready without a database to reach (so Route 53 drops the region), while its health path stays up", async () => {
    for (const app of [apps.noDatabase, apps.noWriter]) {
      const { url } = await app;
      const ready = await fetch(`${url}/ready`);
      assert.equal(ready.status, 503, url);
      assert.deepEqual(await ready.json(), { database: false });
      assert.equal((await fetch(`${url}${HEALTH_CHECK_PATH}`)).status, 200);
    }
  });

  it("serves the stage and region from its config", async () => {
    const body = (await (await fetch(`${(await apps.euWest).url}/`)).json()) as { stage: number; region: string };
    assert.equal(body.stage, 5);
    assert.equal(body.region, "eu-west-1");
  });
});
