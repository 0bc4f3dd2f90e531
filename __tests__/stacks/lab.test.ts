/**
 * The three stacks together, as main.ts builds them: roadmap order, one state each, and the
 * infra VMs' ids crossing into the k3s stack so a re-created VM reruns the K3s playbook.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { buildLab } from "../../stacks/lab";
import { labWith, loadLab, synthJson, validLab } from "../helpers";

// A full app synth: cross-stack references are resolved only when the whole app is synthesized.
const app = Testing.app();
const lab = buildLab(app, loadLab());
app.synth();
const outdir = app.outdir;
const read = (stack: string) => JSON.parse(readFileSync(join(outdir, "stacks", stack, "cdk.tf.json"), "utf8"));
const infra = read("infra");
const k3s = read("k3s");
const platform = read("platform");

test("stacks depend on each other in roadmap order: infra -> k3s -> platform", () => {
  expect(lab.k3s.dependencies).toEqual([lab.infra]);
  expect(lab.platform.dependencies).toEqual([lab.k3s]);
});

test("each stack keeps its own local state file at the project root", () => {
  expect(infra.terraform.backend.local.path).toBe("../../../terraform.infra.tfstate");
  expect(k3s.terraform.backend.local.path).toBe("../../../terraform.k3s.tfstate");
  expect(platform.terraform.backend.local.path).toBe("../../../terraform.platform.tfstate");
});

test("the K3s playbook run is triggered by each infra VM's id, read from the infra state", () => {
  const [run] = Object.values(k3s.resource.null_resource) as any[];
  const remote = k3s.data.terraform_remote_state["cross-stack-reference-input-infra"];
  expect(remote.config.path).toBe("../../../terraform.infra.tfstate");
  for (const name of ["k3s-master-1", "k3s-master-2", "k3s-master-3"]) {
    expect(run.triggers[`vm_${name}`]).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-infra\.outputs\./);
  }
  const exported = Object.keys(infra.output).filter((o) => o.startsWith("cross-stack-output-"));
  expect(exported).toHaveLength(3);
});

test("with a Terraform Cloud organization, every stack uses its own workspace", () => {
  const tfc = buildLab(Testing.app(), validLab(labWith({ terraformCloud: { organization: "my-org" }, "raspberryPi.terraformCloudAgent": true })));
  for (const [stack, name] of [
    [tfc.infra, "homelab-infra"],
    [tfc.k3s, "homelab-k3s"],
    [tfc.platform, "homelab-platform"],
  ] as const) {
    const cloud = synthJson(stack).terraform.cloud;
    expect(cloud).toEqual({ hostname: "app.terraform.io", organization: "my-org", workspaces: { name } });
  }
});

test("the platform stack reaches the cluster with the k3s stack's credential, read from the k3s state", () => {
  const remote = platform.data.terraform_remote_state["cross-stack-reference-input-k3s"];
  expect(remote).toMatchObject({ backend: "local", config: { path: "../../../terraform.k3s.tfstate" } });
  const fromK3s = /^\$\{data\.terraform_remote_state\.cross-stack-reference-input-k3s\.outputs\.cross-stack-output-[^}]+\}$/;
  for (const provider of [platform.provider.kubernetes[0], platform.provider.helm[0].kubernetes]) {
    expect(provider.host).toBe("https://192.168.1.50:6443");
    for (const key of ["cluster_ca_certificate", "client_certificate", "client_key"]) expect(provider[key]).toMatch(fromK3s);
    expect(provider).not.toHaveProperty("config_path");
  }
  // cdktf marks every cross-stack output sensitive; the key is among them.
  const exported = Object.entries<any>(k3s.output).filter(([name]) => name.startsWith("cross-stack-output-"));
  expect(exported.map(([name]) => name.replace(/_[0-9A-F]{8}/, "")).sort()).toEqual([
    "cross-stack-output-tls_locally_signed_certcluster-ca_admincert_pem",
    "cross-stack-output-tls_private_keycluster-ca_admin-keyprivate_key_pem",
    "cross-stack-output-tls_self_signed_certcluster-ca_server-cacert_pem",
  ]);
  for (const [, output] of exported) expect(output.sensitive).toBe(true);
});

test("in Terraform Cloud mode the same references read the k3s workspace's state", () => {
  const tfcApp = Testing.app();
  buildLab(tfcApp, validLab(labWith({ terraformCloud: { organization: "my-org" }, "raspberryPi.terraformCloudAgent": true })));
  tfcApp.synth();
  const tfcPlatform = JSON.parse(readFileSync(join(tfcApp.outdir, "stacks", "platform", "cdk.tf.json"), "utf8"));
  expect(tfcPlatform.data.terraform_remote_state["cross-stack-reference-input-k3s"]).toEqual({
    backend: "remote",
    config: { hostname: "app.terraform.io", organization: "my-org", workspaces: { name: "homelab-k3s" } },
  });
  expect(tfcPlatform.provider.kubernetes[0].client_key).toMatch(/^\$\{data\.terraform_remote_state\.cross-stack-reference-input-k3s\.outputs\./);
});
