import type { Construct } from "constructs";
import { ProxmoxApi } from "../constructs/proxmox/proxmox-api";
import { LabStack, type LabStackProps } from "./lab-stack";

/** Phase 2: the K3s server VMs on Proxmox (cloud image, cloud-init, HA pinning). */
export class InfraStack extends LabStack {
  constructor(scope: Construct, id: string, props: LabStackProps) {
    super(scope, id, props);
    const { proxmox } = this.lab;
    new ProxmoxApi(this, "proxmox", {
      endpoint: `https://${proxmox.nodes[0].address}:${proxmox.apiPort}/`,
      insecureTls: proxmox.insecureTls,
      sshUser: proxmox.sshUser,
      nodes: proxmox.nodes.map((n) => ({ name: n.name, address: n.address })),
    });
  }
}
