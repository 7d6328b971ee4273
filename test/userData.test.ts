import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { NODE_RUNTIME, renderUserData } from "../components/userData";
import { ofType, plan } from "./helpers";

/** The systemd unit the script writes, as section → key → values (keys may repeat). */
function unitOf(script: string): Record<string, Record<string, string[]>> {
  const body = /<<'UNIT'\n([\s\S]*?)\nUNIT\n/.exec(script)?.[1];
  assert.ok(body, "the script writes a systemd unit");
  const sections: Record<string, Record<string, string[]>> = {};
  let current = "";
  for (const line of body.split("\n")) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = header[1];
      sections[current] = {};
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current && eq > 0, `a key=value line inside a section: ${line}`);
    (sections[current][line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return sections;
}

const options = { region: "us-east-1", configParameter: "/pulumi/p/s/app/config", port: 80, role: "web" as const, cloudwatchAgent: false };

describe("the app's boot script and systemd unit", () => {
  it("keeps restarting the app however often its start fails: a delay between restarts and no start limit", () => {
    const unit = unitOf(renderUserData(options));
    assert.deepEqual(unit.Service.Restart, ["always"]);
    const delay = Number(unit.Service.RestartSec?.[0]);
    assert.ok(delay >= 1, `RestartSec of at least a second (systemd's default is 100 ms), got ${unit.Service.RestartSec}`);
    // StartLimitIntervalSec belongs to [Unit] (systemd.unit(5)); 0 switches the start rate limit off.
    assert.deepEqual(unit.Unit.StartLimitIntervalSec, ["0"]);
    assert.equal(unit.Service.StartLimitIntervalSec, undefined, "not in [Service], where systemd ignores it");
  });

  it("installs the current LTS Node.js package of Amazon Linux 2023 and runs its namespaced executable", () => {
    const data = JSON.parse(fs.readFileSync(path.resolve(__dirname, "..", "data", "al2023-nodejs.json"), "utf8"));
    assert.match(data.source, /^https:\/\/docs\.aws\.amazon\.com\/linux\/al2023\//);
    assert.match(data.read, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(data.major > 20, "nodejs20 reached end of life in April 2026");
    // AL2023 names packages nodejs{MAJOR} and executables node-{MAJOR}.
    assert.equal(data.package, `nodejs${data.major}`);
    assert.equal(data.executable, `/usr/bin/node-${data.major}`);
    const script = renderUserData(options);
    assert.match(script, new RegExp(`^install_pkgs ${data.package}$`, "m"));
    assert.doesNotMatch(script, /nodejs20|node-20/);
    assert.deepEqual(unitOf(script).Service.ExecStart, [`${data.executable} /opt/scaling-app/server.js`]);
    assert.equal(NODE_RUNTIME.package, data.package);
  });

  it("the host (stage 2) and every launch template (stage 6) carry that unit", async () => {
    const host = ofType(await plan({ stack: "dev", stage: 2 }), "aws:ec2/instance:Instance");
    assert.equal(host.length, 1);
    const scripts = [host[0].inputs.userData as string];
    for (const lt of ofType(await plan({ stack: "dev", stage: 6 }), "aws:ec2/launchTemplate:LaunchTemplate")) {
      scripts.push(Buffer.from(lt.inputs.userData as string, "base64").toString("utf8"));
    }
    assert.ok(scripts.length >= 3, "host, web and a service");
    for (const script of scripts) {
      const unit = unitOf(script);
      assert.deepEqual(unit.Unit.StartLimitIntervalSec, ["0"]);
      assert.ok(Number(unit.Service.RestartSec?.[0]) >= 1);
      assert.match(unit.Service.ExecStart[0], new RegExp(`^${NODE_RUNTIME.executable} `));
    }
  });
});
