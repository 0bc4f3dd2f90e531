/**
 * `npm run inventory`: renders the Ansible inventory from the lab config (HOMELAB_CONFIG or
 * ./homelab.yaml) to ansible/inventory/hosts.yaml, for running playbooks by hand.
 * `--out <file>` writes elsewhere (CI writes the fixture's inventory to a temp dir).
 * `cdktf deploy k3s` writes the same bytes through the k3s stack.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { formatProblems, loadLabFile } from "../config/load";
import { INVENTORY_FILE } from "../config/paths";
import { renderInventory } from "../constructs/ansible/inventory";

function outArg(argv: readonly string[]): string {
  const i = argv.indexOf("--out");
  if (i === -1) return INVENTORY_FILE;
  const out = argv[i + 1];
  if (!out) {
    console.error("write-inventory: --out needs a file path, e.g. --out /tmp/hosts.yaml");
    process.exit(2);
  }
  return out;
}

const configFile = process.env.HOMELAB_CONFIG ?? "homelab.yaml";
const result = loadLabFile(configFile);
if (!result.ok) {
  console.error(`write-inventory: ${configFile} is not valid, no inventory written:\n${formatProblems(result.problems)}`);
  process.exit(1);
}
if (result.warnings.length) console.warn(formatProblems(result.warnings));
const out = outArg(process.argv.slice(2));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, renderInventory(result.lab), { mode: 0o644 });
console.log(`write-inventory: ${out} written from ${configFile}`);
