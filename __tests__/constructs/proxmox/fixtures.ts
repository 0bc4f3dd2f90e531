/** Shared inputs for the Proxmox construct tests (not a test file). */
import { App, TerraformStack, Testing } from "cdktf";
import { CloudImage, type CloudImageProps } from "../../../constructs/proxmox/cloud-image";
import { CloudInitSnippet, type CloudInitSnippetProps } from "../../../constructs/proxmox/cloud-init-snippet";
import type { K3sNodeVmProps } from "../../../constructs/proxmox/k3s-node-vm";

export const PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINf2FaIBmpWPZk4/H0yxFFTimYAAdeY4hGONlEq1TGGh test@example";

export function testStack(): TerraformStack {
  const app: App = Testing.app();
  return new TerraformStack(app, "test");
}

export const IMAGE: Omit<CloudImageProps, "proxmoxNode"> = {
  datastoreId: "local",
  url: "https://cloud.debian.org/images/cloud/trixie/20260712-2537/debian-13-genericcloud-amd64-20260712-2537.qcow2",
  checksum: "a".repeat(128),
  checksumAlgorithm: "sha512",
  fileName: "debian-13-genericcloud-amd64-20260712-2537.img",
};

export const USER_DATA: Omit<CloudInitSnippetProps, "proxmoxNode"> = {
  hostname: "k3s-master-1",
  domain: "home.arpa",
  adminUser: "homelab",
  sshPublicKeys: [PUBLIC_KEY],
  timezone: "Europe/Paris",
  ntpServers: ["pool.ntp.org"],
  datastoreId: "local",
};

/** Props of a valid VM on pve-01, with its image and snippet created in `stack`. */
export function vmProps(stack: TerraformStack, overrides: Partial<K3sNodeVmProps> = {}): K3sNodeVmProps {
  return {
    name: "k3s-master-1",
    vmId: 201,
    proxmoxNode: "pve-01",
    cores: 4,
    memoryMiB: 12288,
    ssdDatastoreId: "local-lvm",
    hddDatastoreId: "hdd",
    osDiskGiB: 40,
    dataDiskGiB: 200,
    cloudImage: new CloudImage(stack, "image-pve-01", { ...IMAGE, proxmoxNode: "pve-01" }),
    userData: new CloudInitSnippet(stack, "k3s-master-1-cloud-init", { ...USER_DATA, proxmoxNode: "pve-01" }),
    bridge: "vmbr0",
    ipv4Address: "192.168.1.21",
    ipv4PrefixLength: 24,
    gateway: "192.168.1.1",
    dnsServers: ["192.168.1.1"],
    dnsDomain: "home.arpa",
    startupOrder: 1,
    ...overrides,
  };
}

/** The only instance of a resource type in a synthesized stack. */
export function only(json: Record<string, any>, type: string): Record<string, any> {
  const instances = Object.values(json.resource?.[type] ?? {});
  if (instances.length !== 1) throw new Error(`expected one ${type}, found ${instances.length}`);
  return instances[0] as Record<string, any>;
}
