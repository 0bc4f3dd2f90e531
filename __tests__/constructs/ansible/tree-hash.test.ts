import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ansibleTreeSha256 } from "../../../constructs/ansible/tree-hash";

let dirs: string[] = [];
afterEach(() => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  dirs = [];
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), "homelab-tree-"));
  dirs.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const base = {
  "ansible.cfg": "[defaults]\n",
  "playbooks/site.yml": "---\n",
  "roles/a/tasks/main.yml": "---\n- name: A\n",
  "roles/b/defaults/main.yml": "b: 1\n",
};

test("is the same for the same files, whatever the directory or creation order", () => {
  const reversed = Object.fromEntries(Object.entries(base).reverse());
  expect(ansibleTreeSha256(tree(base))).toBe(ansibleTreeSha256(tree(reversed)));
  expect(ansibleTreeSha256(tree(base))).toMatch(/^[0-9a-f]{64}$/);
});

test("changes when a role file changes, is added or is renamed", () => {
  const h = ansibleTreeSha256(tree(base));
  expect(ansibleTreeSha256(tree({ ...base, "roles/a/tasks/main.yml": "---\n- name: A2\n" }))).not.toBe(h);
  expect(ansibleTreeSha256(tree({ ...base, "roles/c/tasks/main.yml": "" }))).not.toBe(h);
  const { "roles/b/defaults/main.yml": b, ...rest } = base;
  expect(ansibleTreeSha256(tree({ ...rest, "roles/b/vars/main.yml": b }))).not.toBe(h);
});

test("ignores the inventory and the CI rootfs cache", () => {
  const h = ansibleTreeSha256(tree(base));
  expect(ansibleTreeSha256(tree({ ...base, "inventory/hosts.yaml": "all: {}\n", ".rootfs/x.tar": "x" }))).toBe(h);
});

test("fails when the directory has no Ansible tree", () => {
  const empty = tree({ "README.md": "" });
  expect(() => ansibleTreeSha256(empty)).toThrow(`ansibleTreeSha256: no ansible.cfg, playbooks/ or roles/ under ${empty}`);
});
