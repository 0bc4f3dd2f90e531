/**
 * Entry point: reads the lab config (HOMELAB_CONFIG or ./homelab.yaml), refuses it with one
 * `path: message` line per problem before anything is written, then synthesizes the stacks.
 */
import { App } from "cdktf";
import { formatProblems, loadLabFile } from "./config/load";
import { buildLab } from "./stacks/lab";

const configFile = process.env.HOMELAB_CONFIG ?? "homelab.yaml";
const result = loadLabFile(configFile);
if (!result.ok) {
  console.error(`homelab: ${configFile} is not valid, nothing was synthesized:\n${formatProblems(result.problems)}`);
  process.exit(1);
}
if (result.warnings.length) console.warn(formatProblems(result.warnings));

const app = new App();
buildLab(app, result.lab);
app.synth();
