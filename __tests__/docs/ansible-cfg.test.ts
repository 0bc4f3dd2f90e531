/**
 * Two ansible.cfg files, one behaviour: ./ansible.cfg serves the commands run from the repository
 * root (README, docs/), ansible/ansible.cfg the runs from ansible/ (the k3s stack, `cd ansible`).
 * Ansible reads only the one in the current directory, so both must say the same; their relative
 * paths (relative to each file) must name the same files.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const ROOT = join(__dirname, "..", "..");
/** Settings whose value is a path (Ansible resolves it relative to the config file). */
const PATH_SETTINGS = new Set(["defaults.inventory", "defaults.roles_path"]);

/** `section.key` -> value, comments and blank lines left out. */
function parseIni(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const m = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new Error(`not an ini line: ${raw}`);
    out.set(`${section}.${m[1]}`, m[2]);
  }
  return out;
}

function effective(file: string): Record<string, string> {
  const settings = parseIni(readFileSync(file, "utf8"));
  return Object.fromEntries(
    [...settings].map(([key, value]) => [
      key,
      PATH_SETTINGS.has(key) ? value.split(":").map((p) => resolve(dirname(file), p)).join(":") : value,
    ]),
  );
}

test("the root ansible.cfg and ansible/ansible.cfg have the same settings, paths naming the same files", () => {
  const root = effective(join(ROOT, "ansible.cfg"));
  const inner = effective(join(ROOT, "ansible", "ansible.cfg"));
  expect(root).toEqual(inner);
  expect(root["defaults.roles_path"]).toBe(join(ROOT, "ansible", "roles"));
  expect(root["defaults.inventory"]).toBe(join(ROOT, "ansible", "inventory", "hosts.yaml"));
});
