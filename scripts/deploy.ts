/**
 * `npm run deploy [-- <stacks and cdktf options>]`: `cdktf deploy` (infra k3s platform when no stack
 * is named), then each deployed stack's Terraform state copied, encrypted, to the Raspberry Pi
 * (scripts/lib/deploy.ts says why a wrapper). Reads HOMELAB_CONFIG or ./homelab.yaml.
 */
import { formatProblems, loadLabFile } from "../config/load";
import { deploy } from "./lib/deploy";

const configFile = process.env.HOMELAB_CONFIG ?? "homelab.yaml";
const result = loadLabFile(configFile);
if (!result.ok) {
  console.error(`homelab deploy: ${configFile} is not valid, nothing was deployed:\n${formatProblems(result.problems)}`);
  process.exit(1);
}
process.exit(deploy(result.lab, process.argv.slice(2)));
