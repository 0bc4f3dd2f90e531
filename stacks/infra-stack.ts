import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { parseCidr } from "../config/ipv4";
import { EXAMPLE_KEY_COMMENT } from "../config/rules";
import { CloudImage } from "../constructs/proxmox/cloud-image";
import { CloudInitSnippet } from "../constructs/proxmox/cloud-init-snippet";
import { HaPinning } from "../constructs/proxmox/ha-pinning";
import { K3sNodeVm, type K3sNodeRole } from "../constructs/proxmox/k3s-node-vm";
import { ProxmoxApi } from "../constructs/proxmox/proxmox-api";
import { LabStack, type LabStackProps } from "./lab-stack";

/** What the k3s stack needs about one K3s VM (server or agent). */
export interface InfraServer {
  readonly name: string;
  readonly vmId: number;
  /** Static address from the config. */
  readonly address: string;
  readonly proxmoxNode: string;
  /**
   * Terraform reference to the VM's id: using it in another stack makes cdktf add a cross-stack
   * output, so whatever consumes it waits for (and is replaced with) the VM.
   */
  readonly idToken: string;
}

/** Why a plan of the infra stack fails while the shipped example key is in vm.sshPublicKeys. */
export const EXAMPLE_KEY_ERROR =
  `vm.sshPublicKeys in homelab.yaml still holds the example key (comment "${EXAMPLE_KEY_COMMENT}"), whose private half ` +
  "nobody has: the VM would boot with no login, and cloud-init writes keys only at first boot, so fixing it later " +
  "means rebuilding every VM. Replace it with your own public key (cat ~/.ssh/id_ed25519.pub), then deploy again.";

/** One K3s VM as the infra stack builds it, from a server's or an agent's config. */
interface VmSpec {
  readonly role: K3sNodeRole;
  readonly name: string;
  readonly vmId: number;
  readonly address: string;
  readonly proxmoxNode: string;
  readonly cores: number;
  readonly memoryMiB: number;
  readonly osDiskGiB: number;
  readonly dataDiskGiB?: number;
  readonly dataStorage: "ssd" | "hdd";
  readonly startupOrder: number;
  /** An agent's failover: where HA may restart it, and the shared storage of its disks. */
  readonly failover?: { readonly nodes: readonly string[]; readonly storage: string };
}

/** Phase 2: the K3s VMs on Proxmox, servers then agents (cloud image, cloud-init, HA pinning). */
export class InfraStack extends LabStack {
  /** The K3s server VMs, in config order. */
  public readonly servers: readonly InfraServer[];
  /** The K3s agent VMs, in config order. */
  public readonly agents: readonly InfraServer[];

  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    const { proxmox, network, vm: vmDefaults, k3s } = this.lab;
    new ProxmoxApi(this, "proxmox", {
      endpoint: `https://${proxmox.nodes[0].address}:${proxmox.apiPort}/`,
      insecureTls: proxmox.insecureTls,
      sshUser: proxmox.sshUser,
      nodes: proxmox.nodes.map((n) => ({ name: n.name, address: n.address })),
    });

    const image = vmDefaults.images[vmDefaults.image];
    const images = new Map(
      proxmox.nodes.map((node) => [
        node.name,
        new CloudImage(this, `image-${node.name}`, {
          proxmoxNode: node.name,
          datastoreId: proxmox.imageDatastore,
          url: image.url,
          checksum: image.checksum,
          checksumAlgorithm: image.checksumAlgorithm,
          fileName: image.fileName,
        }),
      ]),
    );
    const prefix = parseCidr(network.cidr).prefix;

    const build = (spec: VmSpec): K3sNodeVm => {
      const node = proxmox.nodes.find((n) => n.name === spec.proxmoxNode);
      const cloudImage = images.get(spec.proxmoxNode);
      if (!node || !cloudImage) {
        // The config rules refuse this first; kept for stacks built from an unchecked config.
        throw new Error(`InfraStack: ${spec.name} is on ${spec.proxmoxNode}, which is not in proxmox.nodes`);
      }
      const snippet = (proxmoxNode: string, snippetId: string) =>
        new CloudInitSnippet(this, snippetId, {
          hostname: spec.name,
          domain: network.domain,
          adminUser: vmDefaults.user,
          sshPublicKeys: vmDefaults.sshPublicKeys,
          timezone: vmDefaults.timezone,
          ntpServers: vmDefaults.ntpServers,
          proxmoxNode,
          datastoreId: proxmox.snippetsDatastore,
        });
      const userData = snippet(spec.proxmoxNode, `${spec.name}-cloud-init`);
      // Proxmox rebuilds the cloud-init drive at every start from the snippet the VM names: a VM
      // that HA restarts elsewhere needs the same file on that node's (node-local) snippets storage.
      for (const other of spec.failover?.nodes ?? []) snippet(other, `${spec.name}-cloud-init-${other}`);
      const vm = new K3sNodeVm(this, spec.name, {
        role: spec.role,
        name: spec.name,
        vmId: spec.vmId,
        proxmoxNode: spec.proxmoxNode,
        cores: spec.cores,
        memoryMiB: spec.memoryMiB,
        ssdDatastoreId: node.ssdStorage,
        hddDatastoreId: node.hddStorage,
        ...(spec.failover ? { osDatastoreId: spec.failover.storage, movedByHa: true } : {}),
        dataDiskStorage: spec.dataStorage,
        osDiskGiB: spec.osDiskGiB,
        ...(spec.dataDiskGiB !== undefined ? { dataDiskGiB: spec.dataDiskGiB } : {}),
        cloudImage,
        userData,
        bridge: network.bridge,
        ipv4Address: spec.address,
        ipv4PrefixLength: prefix,
        gateway: network.gateway,
        dnsServers: network.dnsServers,
        dnsDomain: network.domain,
        startupOrder: spec.startupOrder,
        // Synth keeps working with the example key (tests, a first look); a plan refuses it.
        preconditions: userData.userData.includes(EXAMPLE_KEY_COMMENT) ? [userData.mustNotContain(EXAMPLE_KEY_COMMENT, EXAMPLE_KEY_ERROR)] : [],
      });
      new HaPinning(this, `${spec.name}-ha`, {
        vmName: spec.name,
        vmId: spec.vmId,
        proxmoxNode: spec.proxmoxNode,
        ...(spec.failover ? { failoverNodes: spec.failover.nodes, storageSharedOrReplicated: true } : {}),
        dependsOn: [vm.vm],
        recreateWith: vm.generation,
      });
      return vm;
    };

    const servers = k3s.servers.map((s) => build({ role: "server", ...s }));
    const agents = k3s.agents.map((a) => build({ role: "agent", ...a }));
    const handOver = (vm: K3sNodeVm): InfraServer => ({
      name: vm.name,
      vmId: vm.vmId,
      address: vm.ipv4Address,
      proxmoxNode: vm.proxmoxNode,
      // Not the VM's own id: bpg sets it to the VM number, unchanged when the VM is re-created.
      idToken: vm.generation.id,
    });
    this.servers = servers.map(handOver);
    this.agents = agents.map(handOver);

    // vm_id is a reference, so the output only exists once the VM does; ip comes from the config.
    const byName = (vms: readonly K3sNodeVm[]) =>
      Object.fromEntries(vms.map((vm) => [vm.name, { vm_id: vm.vm.vmId, ip: vm.ipv4Address, node: vm.proxmoxNode }]));
    new TerraformOutput(this, "servers", {
      value: byName(servers),
      description: "K3s server VMs by name: Proxmox VM id, static address (from the config), Proxmox node",
    });
    if (agents.length > 0) {
      new TerraformOutput(this, "agents", {
        value: byName(agents),
        description: "K3s agent VMs by name: Proxmox VM id, static address (from the config), home Proxmox node",
      });
    }
  }
}
