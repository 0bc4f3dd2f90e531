/**
 * `npm run doctor [-- --json]`: checks the lab config (HOMELAB_CONFIG or ./homelab.yaml) with every
 * synth rule plus the doctor's advice, and prints the plan. Exit 1 when there are errors, 2 on a
 * wrong command line.
 */
import { diagnoseFile } from "../doctor/diagnose";
import { buildPlan } from "../doctor/plan";
import { renderPlan } from "../doctor/render";

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== "--json");
if (unknown.length > 0) {
  console.error(`homelab doctor: unknown argument ${unknown.join(" ")}; usage: npm run doctor [-- --json]`);
  process.exit(2);
}

const configFile = process.env.HOMELAB_CONFIG ?? "homelab.yaml";
const plan = buildPlan(configFile, diagnoseFile(configFile));
if (args.includes("--json")) {
  process.stdout.write(JSON.stringify(plan, null, 2) + "\n");
} else {
  const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  process.stdout.write(renderPlan(plan, { color }));
}
process.exitCode = plan.ok ? 0 : 1;
