import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { parseCidr } from "../config/ipv4";
import { EXAMPLE_KEY_COMMENT } from "../config/rules";
import { CloudImage } from "../constructs/proxmox/cloud-image";
import { CloudInitSnippet } from "../constructs/proxmox/cloud-init-snippet";
import { HaPinning } from "../constructs/proxmox/ha-pinning";
import { K3sServerVm } from "../constructs/proxmox/k3s-server-vm";
import { ProxmoxApi } from "../constructs/proxmox/proxmox-api";
import { LabStack, type LabStackProps } from "./lab-stack";

/** What the k3s stack needs about one server VM. */
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

/** Phase 2: the K3s server VMs on Proxmox (cloud image, cloud-init, HA pinning). */
export class InfraStack extends LabStack {
  /** The K3s server VMs, in config order. */
  public readonly servers: readonly InfraServer[];

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

    const vms = k3s.servers.map((server) => {
      const node = proxmox.nodes.find((n) => n.name === server.proxmoxNode);
      const cloudImage = images.get(server.proxmoxNode);
      if (!node || !cloudImage) {
        // The config rules refuse this first; kept for stacks built from an unchecked config.
        throw new Error(`InfraStack: ${server.name} is on ${server.proxmoxNode}, which is not in proxmox.nodes`);
      }
      const userData = new CloudInitSnippet(this, `${server.name}-cloud-init`, {
        hostname: server.name,
        domain: network.domain,
        adminUser: vmDefaults.user,
        sshPublicKeys: vmDefaults.sshPublicKeys,
        timezone: vmDefaults.timezone,
        ntpServers: vmDefaults.ntpServers,
        proxmoxNode: server.proxmoxNode,
        datastoreId: proxmox.snippetsDatastore,
      });
      const vm = new K3sServerVm(this, server.name, {
        name: server.name,
        vmId: server.vmId,
        proxmoxNode: server.proxmoxNode,
        cores: server.cores,
        memoryMiB: server.memoryMiB,
        ssdDatastoreId: node.ssdStorage,
        hddDatastoreId: node.hddStorage,
        dataDiskStorage: server.dataStorage,
        osDiskGiB: server.osDiskGiB,
        dataDiskGiB: server.dataDiskGiB,
        cloudImage,
        userData,
        bridge: network.bridge,
        ipv4Address: server.address,
        ipv4PrefixLength: prefix,
        gateway: network.gateway,
        dnsServers: network.dnsServers,
        dnsDomain: network.domain,
        startupOrder: server.startupOrder,
        // Synth keeps working with the example key (tests, a first look); a plan refuses it.
        preconditions: userData.userData.includes(EXAMPLE_KEY_COMMENT) ? [userData.mustNotContain(EXAMPLE_KEY_COMMENT, EXAMPLE_KEY_ERROR)] : [],
      });
      new HaPinning(this, `${server.name}-ha`, {
        vmName: server.name,
        vmId: server.vmId,
        proxmoxNode: server.proxmoxNode,
        dependsOn: [vm.vm],
        recreateWith: vm.generation,
      });
      return vm;
    });
    this.servers = vms.map((vm) => ({
      name: vm.name,
      vmId: vm.vmId,
      address: vm.ipv4Address,
      proxmoxNode: vm.proxmoxNode,
      // Not the VM's own id: bpg sets it to the VM number, unchanged when the VM is re-created.
      idToken: vm.generation.id,
    }));

    new TerraformOutput(this, "servers", {
      // vm_id is a reference, so the output only exists once the VM does; ip comes from the config.
      value: Object.fromEntries(
        vms.map((vm) => [vm.name, { vm_id: vm.vm.vmId, ip: vm.ipv4Address, node: vm.proxmoxNode }]),
      ),
      description: "K3s server VMs by name: Proxmox VM id, static address (from the config), Proxmox node",
    });
  }
}
