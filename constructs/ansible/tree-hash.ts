import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * What a playbook run depends on inside ansible/: the config, every playbook and every role.
 * Not the inventory (hashed on its own) nor the CI rootfs cache.
 */
export const ANSIBLE_TREE_ENTRIES: readonly string[] = ["ansible.cfg", "playbooks", "roles"];

function filesUnder(root: string, entry: string): string[] {
  const path = join(root, entry);
  if (!existsSync(path)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  if (statSync(path).isDirectory()) walk(path);
  else out.push(path);
  return out;
}

/**
 * Hex SHA-256 over the Ansible tree under `ansibleDir`: for each file, in sorted order, its path
 * relative to `ansibleDir` (with `/`) and the SHA-256 of its bytes. Relative paths and sorting make
 * it the same on every machine, so synth stays deterministic; any edit to a role changes it.
 */
export function ansibleTreeSha256(ansibleDir: string): string {
  const files = ANSIBLE_TREE_ENTRIES.flatMap((entry) => filesUnder(ansibleDir, entry))
    .map((p) => ({ p, rel: relative(ansibleDir, p).split(sep).join("/") }))
    .sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  if (files.length === 0) {
    throw new Error(`ansibleTreeSha256: no ansible.cfg, playbooks/ or roles/ under ${ansibleDir}; pass the project's ansible/ directory`);
  }
  const tree = createHash("sha256");
  for (const { p, rel } of files) {
    tree.update(`${rel}\0${createHash("sha256").update(readFileSync(p)).digest("hex")}\n`);
  }
  return tree.digest("hex");
}
