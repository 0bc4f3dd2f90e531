/**
 * One K3s server VM on one Proxmox node, the way the infra stack builds three of them:
 * the provider, the node's cloud image, the VM's cloud-init snippet, the VM, its HA pinning.
 */
import { App, TerraformStack } from "cdktf";
import { CloudImage } from "../constructs/proxmox/cloud-image";
import { CloudInitSnippet } from "../constructs/proxmox/cloud-init-snippet";
import { HaPinning } from "../constructs/proxmox/ha-pinning";
import { K3sNodeVm } from "../constructs/proxmox/k3s-node-vm";
import { ProxmoxApi } from "../constructs/proxmox/proxmox-api";

export function proxmoxVmExample(app: App): TerraformStack {
  const stack = new TerraformStack(app, "example-proxmox-vm");
  new ProxmoxApi(stack, "proxmox", {
    endpoint: "https://192.168.1.11:8006/",
    insecureTls: true,
    sshUser: "root",
    nodes: [{ name: "pve-01", address: "192.168.1.11" }],
  });
  const image = new CloudImage(stack, "image-pve-01", {
    proxmoxNode: "pve-01",
    datastoreId: "local",
    url: "https://cloud.debian.org/images/cloud/trixie/20260712-2537/debian-13-genericcloud-amd64-20260712-2537.qcow2",
    checksum:
      "7ae53e9dbee282bfc16f289dec483dde3a8598769c38a267948310f7a2a52c662620198603bc52c142627efba379863d16079698a10b34102d55bcedd40e8d32",
    checksumAlgorithm: "sha512",
    fileName: "debian-13-genericcloud-amd64-20260712-2537.img",
  });
  const userData = new CloudInitSnippet(stack, "k3s-master-1-cloud-init", {
    proxmoxNode: "pve-01",
    datastoreId: "local",
    hostname: "k3s-master-1",
    domain: "home.arpa",
    adminUser: "homelab",
    sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINf2FaIBmpWPZk4/H0yxFFTimYAAdeY4hGONlEq1TGGh example-key-replace-me"],
    timezone: "Europe/Paris",
    ntpServers: ["pool.ntp.org"],
  });
  const vm = new K3sNodeVm(stack, "k3s-master-1", {
    name: "k3s-master-1",
    vmId: 201,
    proxmoxNode: "pve-01",
    cores: 4,
    memoryMiB: 12288,
    ssdDatastoreId: "local-lvm",
    hddDatastoreId: "hdd",
    osDiskGiB: 40,
    dataDiskGiB: 200,
    cloudImage: image,
    userData,
    bridge: "vmbr0",
    ipv4Address: "192.168.1.21",
    ipv4PrefixLength: 24,
    gateway: "192.168.1.1",
    dnsServers: ["192.168.1.1"],
    dnsDomain: "home.arpa",
    startupOrder: 1,
  });
  new HaPinning(stack, "k3s-master-1-ha", { vmName: "k3s-master-1", vmId: 201, proxmoxNode: "pve-01", dependsOn: [vm.vm] });
  return stack;
}
