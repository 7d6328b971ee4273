/**
 * Runs every smoke scenario (test/smokeScenarios.ts) and prints one JSON object: each scenario's
 * outcome by name. test/smoke.test.ts queues it when it loads and checks the outcomes.
 */
import { runScenario, SCENARIOS, type Outcome, type ScenarioName } from "./smokeScenarios";

async function main(): Promise<void> {
  const outcomes: Partial<Record<ScenarioName, Outcome>> = {};
  for (const [name, scenario] of Object.entries(SCENARIOS)) outcomes[name as ScenarioName] = await runScenario(scenario);
  process.stdout.write(JSON.stringify(outcomes) + "\n");
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
