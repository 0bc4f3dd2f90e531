import { join } from "node:path";
import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { LocalProvider } from "@cdktf/provider-local/lib/provider";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { KUBECONFIG_FILE, STACK_TO_ROOT, fromStack } from "../config/paths";
import { AnsibleInventory } from "../constructs/ansible/ansible-inventory";
import { ansibleTreeSha256 } from "../constructs/ansible/tree-hash";
import { AnsiblePlaybookRun } from "../constructs/k3s/ansible-playbook-run";
import { JoinToken } from "../constructs/k3s/join-token";
import { LabStack, type LabStackProps } from "./lab-stack";

/** A K3s server VM as the infra stack made it. */
export interface K3sServerVm {
  /** Config name of the server (k3s.servers[].name). */
  readonly name: string;
  /** A value that changes each time the VM is created (the infra stack's `generation` id): a new VM reruns the playbook. */
  readonly vmId: string;
}

export interface K3sStackProps extends LabStackProps {
  /** The infra stack's server VMs. @default none: the stack then only depends on infra by order */
  readonly servers?: readonly K3sServerVm[];
  /** Hash of ansible/ (ansible.cfg, playbooks, roles). @default computed from the project's ansible/ */
  readonly ansibleTreeSha256?: string;
}

/** The project's ansible/ directory, from this file (stacks/) — read at synth, never emitted. */
const ANSIBLE_DIR = join(__dirname, "..", "ansible");

/** Phase 3: K3s in HA with embedded etcd and kube-vip, installed by Ansible. */
export class K3sStack extends LabStack {
  constructor(scope: Construct, id: string, props: K3sStackProps) {
    super(scope, id, props);
    new LocalProvider(this, "local");
    new NullProvider(this, "null");
    new RandomProvider(this, "random");

    const { k3s } = this.lab;
    const servers = props.servers ?? [];
    const known = new Set(k3s.servers.map((s) => s.name));
    for (const vm of servers) {
      if (!known.has(vm.name)) {
        throw new Error(`K3sStack: server VM "${vm.name}" is not in k3s.servers (${[...known].join(", ")}); pass the infra stack's VMs by config name`);
      }
    }

    const token = new JoinToken(this, "join-token");
    const inventory = new AnsibleInventory(this, "inventory", { lab: this.lab });
    const ansible = {
      ansibleDir: fromStack("ansible"),
      inventorySha256: inventory.sha256,
      treeSha256: props.ansibleTreeSha256 ?? ansibleTreeSha256(ANSIBLE_DIR),
      pinnedVersions: { k3s: k3s.version, "kube-vip": k3s.kubeVipVersion },
      secretEnvironment: { K3S_TOKEN: token.value },
    };
    const site = new AnsiblePlaybookRun(this, "site", {
      ...ansible,
      playbook: "playbooks/site.yml",
      rerunOn: Object.fromEntries(
        [...servers].sort((a, b) => (a.name < b.name ? -1 : 1)).map((vm) => [`vm_${vm.name}`, vm.vmId]),
      ),
      // Absolute, as the kubeconfig role expects; Terraform evaluates abspath() at apply time, so
      // cdktf.out holds no machine-specific path.
      extraVars: { kubeconfig_dest: `\${abspath(path.root)}/${STACK_TO_ROOT}/${KUBECONFIG_FILE}` },
      dependsOn: [inventory.file],
    });
    // A changed k3s.version reruns both: site.yml first (it installs K3s only on new servers), then
    // upgrade.yml, the safe path for running servers (etcd snapshot, drain, one at a time, version
    // check). Servers already on the pinned version are left alone.
    new AnsiblePlaybookRun(this, "upgrade", {
      ...ansible,
      playbook: "playbooks/upgrade.yml",
      dependsOn: [site.resource],
    });

    new TerraformOutput(this, "api_endpoint", {
      value: `https://${k3s.apiVip}:6443`,
      description: "Kubernetes API, served on the kube-vip virtual IP",
    });
    new TerraformOutput(this, "kubeconfig_path", {
      value: KUBECONFIG_FILE,
      description: "Admin kubeconfig (mode 0600, git-ignored), relative to the project root",
    });
  }
}
