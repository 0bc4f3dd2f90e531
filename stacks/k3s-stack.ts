import { join } from "node:path";
import { Fn, TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { NullProvider } from "@cdktf/provider-null/lib/provider";
import { RandomProvider } from "@cdktf/provider-random/lib/provider";
import { AnsibleBundle, BUNDLED_INVENTORY } from "../constructs/ansible/ansible-bundle";
import { K3S_API_PORT } from "../constructs/ansible/inventory";
import { AnsiblePlaybookRun } from "../constructs/k3s/ansible-playbook-run";
import { K3sClusterCa } from "../constructs/k3s/cluster-ca";
import { JoinToken } from "../constructs/k3s/join-token";
import type { ClusterAccess } from "../constructs/kubernetes-access";
import { LabStack, type LabStackProps } from "./lab-stack";

/** A K3s VM (server or agent) as the infra stack made it. */
export interface K3sVm {
  /** Config name of the VM (k3s.servers[].name or k3s.agents[].name). */
  readonly name: string;
  /** A value that changes each time the VM is created (the infra stack's `generation` id): a new VM reruns the playbook. */
  readonly vmId: string;
}

export interface K3sStackProps extends LabStackProps {
  /** The infra stack's server VMs. @default none: the stack then only depends on infra by order */
  readonly servers?: readonly K3sVm[];
  /** The infra stack's agent VMs: a new one reruns site.yml, which joins the agents after the servers. @default none */
  readonly agents?: readonly K3sVm[];
  /** Hash of ansible/ (ansible.cfg, playbooks, roles). @default computed from the project's ansible/ */
  readonly ansibleTreeSha256?: string;
}

/** The project's ansible/ directory, from this file (stacks/) — read at synth, copied into the stack. */
const ANSIBLE_DIR = join(__dirname, "..", "ansible");

/** Phase 3: K3s in HA with embedded etcd and kube-vip, then the agents, installed by Ansible. */
export class K3sStack extends LabStack {
  /** What the platform stack needs to reach the cluster (cross-stack references into this stack). */
  public readonly access: ClusterAccess;
  public readonly clusterCa: K3sClusterCa;

  constructor(scope: Construct, id: string, props: K3sStackProps) {
    super(scope, id, props);
    new NullProvider(this, "null");
    new RandomProvider(this, "random");

    const { k3s } = this.lab;
    const servers = props.servers ?? [];
    const agents = props.agents ?? [];
    for (const [vms, list, where] of [
      [servers, k3s.servers, "k3s.servers"],
      [agents, k3s.agents, "k3s.agents"],
    ] as const) {
      const known = new Set(list.map((s) => s.name));
      for (const vm of vms) {
        if (!known.has(vm.name)) {
          throw new Error(
            `K3sStack: ${where === "k3s.servers" ? "server" : "agent"} VM "${vm.name}" is not in ${where} (${[...known].join(", ") || "none"}); pass the infra stack's VMs by config name`,
          );
        }
      }
    }

    const token = new JoinToken(this, "join-token");
    this.clusterCa = new K3sClusterCa(this, "cluster-ca");
    const ansibleFiles = new AnsibleBundle(this, "ansible", {
      lab: this.lab,
      ansibleDir: ANSIBLE_DIR,
      ...(props.ansibleTreeSha256 ? { treeSha256: props.ansibleTreeSha256 } : {}),
    });
    const ansible = {
      ansibleDir: ansibleFiles.path,
      inventory: BUNDLED_INVENTORY,
      inventorySha256: ansibleFiles.inventorySha256,
      treeSha256: ansibleFiles.treeSha256,
      pinnedVersions: { k3s: k3s.version, "kube-vip": k3s.kubeVipVersion },
    };
    const site = new AnsiblePlaybookRun(this, "site", {
      ...ansible,
      playbook: "playbooks/site.yml",
      // The CA files reach the first server through the environment (roles/k3s_server/tasks/custom_ca.yml).
      secretEnvironment: { K3S_TOKEN: token.value, K3S_CA_FILES: this.clusterCa.filesJson },
      rerunOn: {
        // site.yml converges the servers, then joins the agents (agents.yml): a re-created VM of
        // either kind reruns it. Names are unique across both lists (config rule).
        ...Object.fromEntries([...servers, ...agents].sort((a, b) => (a.name < b.name ? -1 : 1)).map((vm) => [`vm_${vm.name}`, vm.vmId])),
        // A rotated token (docs/secrets.md) reruns the site playbook, which writes it on every
        // server and restarts them one at a time. The hash, never the token, is in the trigger.
        join_token_sha256: token.sha256,
        // Replaced CAs rerun it too: its CA check then fails loudly instead of a silent mismatch.
        cluster_ca_sha256: this.clusterCa.certificatesSha256,
      },
    });
    // A changed k3s.version reruns both: site.yml first (it installs K3s only on new servers), then
    // upgrade.yml, the safe path for running servers (etcd snapshot, drain, one at a time, version
    // check). Servers already on the pinned version are left alone.
    new AnsiblePlaybookRun(this, "upgrade", {
      ...ansible,
      playbook: "playbooks/upgrade.yml",
      secretEnvironment: { K3S_TOKEN: token.value },
      dependsOn: [site.resource],
    });

    const host = `https://${k3s.apiVip}:${K3S_API_PORT}`;
    this.access = {
      host,
      clusterCaCertificate: this.clusterCa.serverCaPem,
      clientCertificate: this.clusterCa.adminCertificatePem,
      clientKey: this.clusterCa.adminKeyPem,
    };
    new TerraformOutput(this, "api_endpoint", {
      value: host,
      description: "Kubernetes API, served on the kube-vip virtual IP",
    });
    new TerraformOutput(this, "cluster_ca_certificate", {
      value: this.clusterCa.serverCaPem,
      description: "PEM of the cluster's server CA (what API clients trust)",
    });
    new TerraformOutput(this, "admin_client_certificate", {
      value: this.clusterCa.adminCertificatePem,
      description: "PEM of the admin client certificate (O=system:masters), signed by the cluster's client CA",
    });
    new TerraformOutput(this, "admin_client_key", {
      value: this.clusterCa.adminKeyPem,
      sensitive: true,
      description: "PEM of the admin client key",
    });
    new TerraformOutput(this, "kubeconfig", {
      value: kubeconfig("homelab", host, this.clusterCa),
      sensitive: true,
      description: "Admin kubeconfig for kubectl (docs/secrets.md writes it, mode 0600): terraform -chdir=cdktf.out/stacks/k3s output -raw kubeconfig",
    });
  }
}

/** A kubeconfig with the admin certificate embedded, as a Terraform expression (yamlencode). */
function kubeconfig(name: string, server: string, ca: K3sClusterCa): string {
  return Fn.yamlencode({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server, "certificate-authority-data": Fn.base64encode(ca.serverCaPem) } }],
    users: [
      {
        name: `${name}-admin`,
        user: { "client-certificate-data": Fn.base64encode(ca.adminCertificatePem), "client-key-data": Fn.base64encode(ca.adminKeyPem) },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    "current-context": name,
  });
}
