import { readFileSync } from "node:fs";
import { join } from "node:path";
import { App, TerraformStack, Testing } from "cdktf";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { Resource } from "@cdktf/provider-null/lib/resource";
import { StackBundle } from "../../constructs/stack-bundle";
import { ansibleTreeSha256 } from "../../constructs/ansible/tree-hash";
import { K3sStack, type K3sVm } from "../../stacks/k3s-stack";
import { buildLab } from "../../stacks/lab";
import { labWith, loadLab, synthJson, validLab } from "../helpers";

const FIXED_TREE = "0".repeat(64);

/** `tree: null` leaves the Ansible tree hash to the stack's default. */
function k3sStack(app: App = Testing.app(), servers?: K3sVm[], tree: string | null = FIXED_TREE) {
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
  // The bundle's folder is named by the hash of every Ansible file: masked, so an edit to a role
  // changes the tree-hash trigger (FIXED_TREE here) and not the snapshot.
  const masked = JSON.stringify(json).replace(/(assets\/ansible_files_[A-Z0-9]+\/)[0-9a-f]{64}/g, "$1<sha256 of the bundle>");
  expect(JSON.parse(masked)).toMatchSnapshot();
});

test("the playbooks and the inventory run from a copy inside the stack directory, nothing outside it", () => {
  const exec = run().provisioner[0]["local-exec"];
  expect(exec.working_dir).toMatch(/^assets\/ansible_files_[A-Z0-9]+\/[0-9a-f]{64}$/);
  expect(exec.command).toBe("ansible-playbook -i 'inventory/hosts.yaml' 'playbooks/site.yml'");
  expect(JSON.stringify(json)).not.toMatch(/path\.root\}\/\.\.|\.kube|abspath/);
  expect(json.resource.local_file).toBeUndefined();
  const [bundle] = StackBundle.all(k3sStack());
  expect(bundle.files).toContain("inventory/hosts.yaml");
  expect(bundle.files).toContain("roles/k3s_server/tasks/custom_ca.yml");
  expect(bundle.files).toContain("requirements.yml");
  expect(bundle.files.some((f) => f.startsWith(".rootfs"))).toBe(false);
});

test("triggers are SHA-256 hashes: inventory, Ansible tree, pinned versions, join token and CA certificates (hashed by Terraform)", () => {
  const { join_token_sha256: token, cluster_ca_sha256: ca, ...hashes } = run().triggers;
  expect(ca).toMatch(/^\$\{sha256\(join\("", \[tls_self_signed_cert\.cluster-ca_server-ca_[A-Z0-9]+\.cert_pem, /);
  expect(Object.keys(hashes).sort()).toEqual(["ansible_tree_sha256", "inventory_sha256", "versions_sha256"]);
  for (const v of Object.values(hashes)) expect(v).toMatch(/^[0-9a-f]{64}$/);
  expect(hashes.ansible_tree_sha256).toBe(FIXED_TREE);
  const [pwKey] = Object.keys(json.resource.random_password);
  expect(token).toBe(`\${nonsensitive(sha256(random_password.${pwKey}.result))}`);
});

test("a rotated join token reruns site.yml (which writes it on every server), not upgrade.yml; no trigger is the token", () => {
  const runs = Object.entries(json.resource.null_resource as Record<string, any>);
  const [, site] = runs.find(([id]) => id.startsWith("site_"))!;
  const [, upgrade] = runs.find(([id]) => id.startsWith("upgrade_"))!;
  expect(site.triggers).toHaveProperty("join_token_sha256");
  expect(upgrade.triggers).not.toHaveProperty("join_token_sha256");
  for (const [, r] of runs) {
    for (const value of Object.values(r.triggers)) expect(value).not.toMatch(/^\$\{random_password\.[^}]+\.result\}$/);
  }
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

test("the CA files reach Ansible as one sensitive JSON reference; upgrade.yml gets only the token", () => {
  const runs = Object.entries(json.resource.null_resource as Record<string, any>);
  const env = runs.find(([id]) => id.startsWith("site_"))![1].provisioner[0]["local-exec"].environment;
  expect(env.K3S_CA_FILES).toMatch(/^\$\{jsonencode\(\{"server-ca\.crt" = tls_self_signed_cert\./);
  for (const file of ["server-ca.key", "client-ca.key", "request-header-ca.key", "etcd/peer-ca.key", "etcd/server-ca.key", "service.key"]) {
    expect(env.K3S_CA_FILES).toContain(`"${file}" = tls_private_key.`);
  }
  const upgradeEnv = runs.find(([id]) => id.startsWith("upgrade_"))![1].provisioner[0]["local-exec"].environment;
  expect(Object.keys(upgradeEnv).sort()).toEqual(["ANSIBLE_CONFIG", "K3S_TOKEN"]);
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

test("outputs the API, the server CA, the admin certificate, and (sensitive) the key and a kubeconfig", () => {
  expect(json.output.api_endpoint.value).toBe("https://192.168.1.50:6443");
  expect(json.output.cluster_ca_certificate.value).toMatch(/^\$\{tls_self_signed_cert\.cluster-ca_server-ca_[A-Z0-9]+\.cert_pem\}$/);
  expect(json.output.admin_client_certificate.value).toMatch(/^\$\{tls_locally_signed_cert\.cluster-ca_admin_[A-Z0-9]+\.cert_pem\}$/);
  expect(json.output.admin_client_key).toMatchObject({ sensitive: true, value: expect.stringMatching(/^\$\{tls_private_key\.cluster-ca_admin-key_[A-Z0-9]+\.private_key_pem\}$/) });
  expect(json.output.kubeconfig.sensitive).toBe(true);
  expect(json.output.kubeconfig.value).toMatch(/^\$\{yamlencode\(/);
  expect(json.output.kubeconfig.value).toContain('"server" = "https://192.168.1.50:6443"');
  expect(json.output.kubeconfig.value).toContain('"client-key-data" = base64encode(tls_private_key.');
  expect(json.output).not.toHaveProperty("kubeconfig_path");
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

describe("with agents (the agents lab)", () => {
  /** The whole lab built together, as buildLab does: the agents' VMs cross from the infra stack. */
  function agentsK3s() {
    const app = Testing.app();
    const built = buildLab(app, loadLab("agents"));
    app.synth();
    const dir = join(app.outdir, "stacks", "k3s");
    return { built, dir, json: JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) };
  }
  const { built, dir, json: agentsJson } = agentsK3s();
  const runs = Object.entries(agentsJson.resource.null_resource as Record<string, any>);
  const [, site] = runs.find(([id]) => id.startsWith("site_"))!;

  test("one site run converges the servers, then the agents (site.yml imports agents.yml): no second run for them", () => {
    expect(runs.map(([id]) => id.replace(/_[A-F0-9]+$/, "")).sort()).toEqual(["site_run", "upgrade_run"]);
    expect(site.provisioner[0]["local-exec"].command).toBe("ansible-playbook -i 'inventory/hosts.yaml' 'playbooks/site.yml'");
  });

  test("every VM's generation, servers and agents, reruns it", () => {
    const vmTriggers = Object.keys(site.triggers).filter((k) => k.startsWith("vm_"));
    expect(vmTriggers).toEqual(["vm_k3s-agent-1", "vm_k3s-agent-2", "vm_k3s-master-1", "vm_k3s-master-2", "vm_k3s-master-3"]);
    for (const key of vmTriggers) {
      expect(site.triggers[key]).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-infra\.outputs\.[^}]+\}$/);
    }
    expect(built.infra.agents.map((a) => a.name)).toEqual(["k3s-agent-1", "k3s-agent-2"]);
  });

  test("the bundled inventory holds the agent group", () => {
    const ansibleDir = site.provisioner[0]["local-exec"].working_dir;
    const inventory = readFileSync(join(dir, ansibleDir, "inventory", "hosts.yaml"), "utf8");
    expect(inventory).toContain("        agent:\n          hosts:\n            k3s-agent-1: { ansible_host: 192.168.1.31,");
  });

  test("fails when an agent VM is not in the config", () => {
    expect(() => new K3sStack(Testing.app(), "k3s", { lab: loadLab(), agents: [{ name: "k3s-agent-9", vmId: "${x.id}" }], ansibleTreeSha256: FIXED_TREE })).toThrow(
      'K3sStack: agent VM "k3s-agent-9" is not in k3s.agents (none); pass the infra stack\'s VMs by config name',
    );
  });
});
