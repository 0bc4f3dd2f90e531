/**
 * Entry point: reads the lab config (HOMELAB_CONFIG or ./homelab.yaml), refuses it with one
 * `path: message` line per problem before anything is written, then synthesizes the stacks.
 */
import { App } from "cdktf";
import { formatProblems, loadLabFile } from "./config/load";
import { parseAllowDestroy } from "./constructs/data-guard";
import { buildLab } from "./stacks/lab";

const configFile = process.env.HOMELAB_CONFIG ?? "homelab.yaml";
const result = loadLabFile(configFile);
if (!result.ok) {
  console.error(`homelab: ${configFile} is not valid, nothing was synthesized:\n${formatProblems(result.problems)}`);
  process.exit(1);
}
if (result.warnings.length) console.warn(formatProblems(result.warnings));

const app = new App();
const { destroyAllowed } = buildLab(app, result.lab, { allowDestroy: parseAllowDestroy(process.env.HOMELAB_ALLOW_DESTROY) });
if (destroyAllowed.length) console.warn(`homelab: HOMELAB_ALLOW_DESTROY lifts the destroy guard of ${destroyAllowed.join(", ")}: this run may destroy them`);
app.synth();
