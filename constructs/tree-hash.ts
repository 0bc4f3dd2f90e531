import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";

/**
 * Every file under `root` (or under the listed entries of it, files or folders), as sorted POSIX
 * paths relative to `root`. Missing entries are skipped.
 */
export function listTree(root: string, entries: readonly string[] = ["."]): string[] {
  const out: string[] = [];
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const e of readdirSync(path, { withFileTypes: true })) {
        if (e.isDirectory() || e.isFile()) walk(join(path, e.name));
      }
    } else {
      out.push(relative(root, path).split(sep).join("/"));
    }
  };
  for (const entry of entries) {
    const path = join(root, entry);
    if (existsSync(path)) walk(path);
  }
  return [...new Set(out)].sort();
}

/**
 * Hex SHA-256 of a folder of the repository: for each file, in sorted order, its path relative to
 * `root` (with `/`) and the SHA-256 of its bytes. Relative paths and sorting make it the same on
 * every machine, so it can trigger Terraform reruns without making synth impure; any edit changes it.
 */
export function treeSha256(root: string, entries?: readonly string[]): string {
  const files = listTree(root, entries);
  if (files.length === 0) {
    throw new Error(`treeSha256: no file under ${root}${entries ? ` (${entries.join(", ")})` : ""}; pass a folder of the repository`);
  }
  const tree = createHash("sha256");
  for (const rel of files) {
    tree.update(`${rel}\0${createHash("sha256").update(readFileSync(join(root, rel))).digest("hex")}\n`);
  }
  return tree.digest("hex");
}
