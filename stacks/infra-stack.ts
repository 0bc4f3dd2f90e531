import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import { parseCidr } from "../config/ipv4";
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
