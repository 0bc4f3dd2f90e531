import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { renderInventory } from "../../constructs/ansible/inventory";
import { ansibleTreeSha256 } from "../../constructs/ansible/tree-hash";
import { K3sStack, type K3sServerVm } from "../../stacks/k3s-stack";
import { labWith, loadLab, synthJson, validLab } from "../helpers";

const FIXED_TREE = "0".repeat(64);

/** `tree: null` leaves the Ansible tree hash to the stack's default. */
function k3sStack(app: App = Testing.app(), servers?: K3sServerVm[], tree: string | null = FIXED_TREE) {
  return new K3sStack(app, "k3s", { lab: loadLab(), servers, ...(tree !== null ? { ansibleTreeSha256: tree } : {}) });
}

/** An infra-like stack with one resource per server, standing in for the VMs. */
function withInfra() {
  const app = Testing.app();
  const infra = new TerraformStack(app, "infra");
  new NullProvider(infra, "null");
  const servers = loadLab().k3s.servers.map((s) => ({ name: s.name, vmId: new Resource(infra, s.name, {}).id }));
  k3sStack(app, servers);
  // Cross-stack references are wired when the whole app synthesizes.
  app.synth();
  return JSON.parse(readFileSync(join(app.outdir, "stacks", "k3s", "cdk.tf.json"), "utf8"));
}

const json = synthJson(k3sStack());
const run = () => Object.values(json.resource.null_resource)[0] as any;

test("snapshot of the default lab", () => {
  expect(json).toMatchSnapshot();
});

test("the playbook run waits for the inventory file", () => {
  const [fileKey] = Object.keys(json.resource.local_file);
  expect(run().depends_on).toEqual([`local_file.${fileKey}`]);
  expect(json.resource.local_file[fileKey].content).toBe(renderInventory(loadLab()));
});

test("triggers are SHA-256 hashes: inventory, Ansible tree, pinned versions", () => {
  const t = run().triggers;
  expect(Object.keys(t).sort()).toEqual(["ansible_tree_sha256", "inventory_sha256", "versions_sha256"]);
  for (const v of Object.values(t)) expect(v).toMatch(/^[0-9a-f]{64}$/);
  expect(t.ansible_tree_sha256).toBe(FIXED_TREE);
});

test("by default the tree hash is computed from the project's ansible/ directory", () => {
  const t = (Object.values(synthJson(k3sStack(Testing.app(), undefined, null)).resource.null_resource)[0] as any).triggers;
  expect(t.ansible_tree_sha256).toBe(ansibleTreeSha256(join(__dirname, "..", "..", "ansible")));
});

test("K3S_TOKEN is only a reference to an alphanumeric random_password", () => {
  const [pwKey] = Object.keys(json.resource.random_password);
  expect(json.resource.random_password[pwKey]).toMatchObject({ length: 48, special: false });
  const env = run().provisioner[0]["local-exec"].environment;
  expect(env.K3S_TOKEN).toBe(`\${random_password.${pwKey}.result}`);
});

test("runs site.yml and hands the kubeconfig path as an absolute path computed by Terraform", () => {
  const exec = run().provisioner[0]["local-exec"];
  expect(exec.command).toMatch(/'playbooks\/site\.yml'$/);
  expect(exec.command).toContain("-e 'kubeconfig_dest=${abspath(path.root)}/../../../.kube/homelab.yaml'");
  expect(exec.working_dir).toBe("${path.root}/../../../ansible");
});

test("with the infra VMs: each VM id is a trigger read from the infra stack's outputs", () => {
  const synthesized = withInfra();
  const t = (Object.values(synthesized.resource.null_resource)[0] as any).triggers;
  for (const name of ["k3s-master-1", "k3s-master-2", "k3s-master-3"]) {
    expect(t[`vm_${name}`]).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-infra\.outputs\.[^}]+\}$/);
  }
  expect(synthesized.data.terraform_remote_state).toHaveProperty("cross-stack-reference-input-infra");
});

test("a changed K3s version reruns upgrade.yml after site.yml (drain, one server at a time)", () => {
  const runs = json.resource.null_resource as Record<string, any>;
  const [siteId] = Object.keys(runs).filter((id) => id.startsWith("site_"));
  const [upgrade] = Object.entries(runs).filter(([id]) => id.startsWith("upgrade_")).map(([, r]) => r);
  expect(upgrade.provisioner[0]["local-exec"].command).toContain("'playbooks/upgrade.yml'");
  expect(upgrade.depends_on).toEqual([`null_resource.${siteId}`]);
  expect(upgrade.triggers.versions_sha256).toBe(runs[siteId].triggers.versions_sha256);
  const bumpedLab = validLab(labWith({ "k3s.version": "v1.36.4+k3s1" }));
  const bumped = synthJson(new K3sStack(Testing.app(), "k3s", { lab: bumpedLab, ansibleTreeSha256: FIXED_TREE }));
  const bumpedUpgrade = Object.entries(bumped.resource.null_resource as Record<string, any>).find(([id]) => id.startsWith("upgrade_"))![1];
  expect(bumpedUpgrade.triggers.versions_sha256).not.toBe(upgrade.triggers.versions_sha256);
});

test("keeps the outputs the platform stack reads", () => {
  expect(json.output.api_endpoint.value).toBe("https://192.168.1.50:6443");
  expect(json.output.kubeconfig_path.value).toBe(".kube/homelab.yaml");
});

test("no secret-looking literal in the synthesized JSON", () => {
  const text = JSON.stringify(json);
  // A 48-character alphanumeric literal would be a token; hashes are 64 hex characters.
  expect(text.match(/(?<![A-Za-z0-9])[A-Za-z0-9]{48}(?![A-Za-z0-9])/g)).toBeNull();
  expect(text).not.toMatch(/"token"\s*:/i);
});

test("fails when a server VM is not in the config", () => {
  expect(() => k3sStack(Testing.app(), [{ name: "k3s-master-9", vmId: "${x.id}" }])).toThrow(
    'K3sStack: server VM "k3s-master-9" is not in k3s.servers (k3s-master-1, k3s-master-2, k3s-master-3)',
  );
});
