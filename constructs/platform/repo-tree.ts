import { createHash } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, sep } from "node:path";

/** Every file under `root`, as sorted POSIX paths relative to it. */
export function listTree(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(relative(root, full).split(sep).join("/"));
    }
  };
  walk(root);
  return out.sort();
}

/**
 * SHA-256 of a folder of the repository (paths and contents, in sorted order): the same files give
 * the same digest on every machine, so it can trigger Terraform re-runs without making synth impure.
 */
export function treeSha256(root: string): string {
  const hash = createHash("sha256");
  for (const path of listTree(root)) {
    hash.update(`${path}\0`);
    hash.update(readFileSync(join(root, path)));
    hash.update("\0");
  }
  return hash.digest("hex");
}
