/**
 * `npm run doctor [-- --json]`: checks the lab config (HOMELAB_CONFIG or ./homelab.yaml) with every
 * synth rule plus the doctor's advice, and prints the plan. Exit 1 when there are errors, 2 on a
 * wrong command line.
 */
import { runDoctor } from "../doctor/cli";

const outcome = runDoctor({
  args: process.argv.slice(2),
  configFile: process.env.HOMELAB_CONFIG ?? "homelab.yaml",
  color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  env: process.env,
});
process.stdout.write(outcome.stdout);
process.stderr.write(outcome.stderr);
process.exitCode = outcome.exitCode;
