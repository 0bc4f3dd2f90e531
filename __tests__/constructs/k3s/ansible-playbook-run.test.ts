import { createHash } from "node:crypto";
import { TerraformStack, Testing } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { AnsiblePlaybookRun, type AnsiblePlaybookRunProps } from "../../../constructs/k3s/ansible-playbook-run";
import { synthJson } from "../../helpers";

const HASH_A = "a".repeat(64);
const HASH_B = "b".repeat(64);
const base: AnsiblePlaybookRunProps = {
  ansibleDir: "${path.root}/../../../ansible",
  playbook: "playbooks/site.yml",
  inventorySha256: HASH_A,
  treeSha256: HASH_B,
  pinnedVersions: { k3s: "v1.35.8+k3s1", "kube-vip": "v1.2.3" },
  secretEnvironment: { K3S_TOKEN: "${random_password.token.result}" },
  extraVars: { kubeconfig_dest: "/home/me/lab/.kube/homelab.yaml" },
};

function run(props: Partial<AnsiblePlaybookRunProps> = {}) {
  const stack = new TerraformStack(Testing.app(), "test");
  new NullProvider(stack, "null");
  new AnsiblePlaybookRun(stack, "site", { ...base, ...props });
  const [resource] = Object.values(synthJson(stack).resource.null_resource) as any[];
  return resource;
}

test("runs ansible-playbook from the ansible directory with the secret in the environment", () => {
  const [exec] = run().provisioner;
  expect(exec["local-exec"]).toEqual({
    command:
      "ansible-playbook -i 'inventory/hosts.yaml' -e 'kubeconfig_dest=/home/me/lab/.kube/homelab.yaml' 'playbooks/site.yml'",
    working_dir: "${path.root}/../../../ansible",
    environment: { ANSIBLE_CONFIG: "ansible.cfg", K3S_TOKEN: "${random_password.token.result}" },
  });
});

test("triggers are the inventory hash, the tree hash and a hash of the pinned versions", () => {
  const versions = createHash("sha256").update("k3s=v1.35.8+k3s1\nkube-vip=v1.2.3").digest("hex");
  expect(run().triggers).toEqual({ inventory_sha256: HASH_A, ansible_tree_sha256: HASH_B, versions_sha256: versions });
});

test("the versions hash does not depend on key order, and changes with a version", () => {
  const h = run().triggers.versions_sha256;
  expect(run({ pinnedVersions: { "kube-vip": "v1.2.3", k3s: "v1.35.8+k3s1" } }).triggers.versions_sha256).toBe(h);
  expect(run({ pinnedVersions: { k3s: "v1.36.0+k3s1", "kube-vip": "v1.2.3" } }).triggers.versions_sha256).not.toBe(h);
});

test("rerunOn values become triggers as they are (e.g. VM ids)", () => {
  expect(run({ rerunOn: { vm_a: "${data.x.id}" } }).triggers.vm_a).toBe("${data.x.id}");
});

test("quotes paths so a space stays inside one argument", () => {
  const [exec] = run({ extraVars: { dest: "/My Lab/it's.yaml" } }).provisioner;
  expect(exec["local-exec"].command).toContain(`-e 'dest=/My Lab/it'\\''s.yaml'`);
});

test("fails when a secret is passed as a literal", () => {
  expect(() => run({ secretEnvironment: { K3S_TOKEN: "abc123" } })).toThrow( // secret-scan: allow (a literal the construct must refuse)
    "AnsiblePlaybookRun site: environment K3S_TOKEN is a literal; pass a Terraform reference",
  );
});

test("fails when a hash is not a hex SHA-256", () => {
  expect(() => run({ inventorySha256: "deadbeef" })).toThrow('AnsiblePlaybookRun site: inventorySha256 "deadbeef" is not a hex SHA-256');
});

test("fails when the playbook path is absolute", () => {
  expect(() => run({ playbook: "/etc/site.yml" })).toThrow('AnsiblePlaybookRun site: playbook "/etc/site.yml" must be a relative .yml path');
});

test("fails when no pinned version is given", () => {
  expect(() => run({ pinnedVersions: {} })).toThrow("AnsiblePlaybookRun site: pinnedVersions is empty");
});

test("fails when a rerunOn key would overwrite a built-in trigger", () => {
  expect(() => run({ rerunOn: { inventory_sha256: "x" } })).toThrow('AnsiblePlaybookRun site: rerunOn key "inventory_sha256" collides');
});

test("fails when an environment name is not UPPER_SNAKE_CASE", () => {
  expect(() => run({ secretEnvironment: { "k3s-token": "${x.y}" } })).toThrow('environment name "k3s-token" is not UPPER_SNAKE_CASE');
});
