import { Construct } from "constructs";
import { DataResource, Token, type Precondition } from "cdktf";
import { VirtualEnvironmentVm } from "../../.gen/providers/proxmox/virtual-environment-vm";
import { DataGuard } from "../data-guard";
import { resourceAddress } from "../resource-address";
import { cidrContains, ipToInt, isIpv4, parseCidr } from "../../config/ipv4";
import type { CloudImage } from "./cloud-image";
import type { CloudInitSnippet } from "./cloud-init-snippet";
import { DNS_LABEL } from "../../config/formats";

export type DataDiskStorage = "ssd" | "hdd";

/** What a K3s VM is: a server (control plane + etcd) or an agent (a worker). */
export type K3sNodeRole = "server" | "agent";

/** Tags shown in the Proxmox UI. Proxmox stores tags sorted; an unsorted list would show as drift on every plan. */
export const K3S_SERVER_TAGS = ["homelab", "k3s", "server"] as const;
export const K3S_AGENT_TAGS = ["agent", "homelab", "k3s"] as const;

/** The Proxmox description of each role's VMs. */
const DESCRIPTIONS: Record<K3sNodeRole, string> = {
  server: "K3s server (control plane + etcd + workloads). Managed by homelab (CDKTF): edit homelab.yaml, not this VM.",
  agent: "K3s agent (worker: kubelet and containerd, no etcd). Managed by homelab (CDKTF): edit homelab.yaml, not this VM.",
};

/** In-guest serial of the Longhorn disk: it appears as /dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_longhorn-data. */
export const LONGHORN_DISK_SERIAL = "longhorn-data";

export interface K3sNodeVmProps {
  /** A server (etcd member) or an agent. @default "server" */
  readonly role?: K3sNodeRole;
  /** VM name and guest hostname (a DNS label). */
  readonly name: string;
  /** Proxmox VM id, fixed by the config (100–999999999). */
  readonly vmId: number;
  /** Proxmox node the VM lives on. Servers never move; an agent may (`movedByHa`, see HaPinning). */
  readonly proxmoxNode: string;
  readonly cores: number;
  /** Dedicated RAM; ballooning is off, so the guest always has all of it. */
  readonly memoryMiB: number;
  /** Storage on the node's SSD: OS disk (etcd lives there) and cloud-init drive, unless `osDatastoreId` says otherwise. */
  readonly ssdDatastoreId: string;
  /**
   * Storage of the OS disk and cloud-init drive when it is not the SSD: the shared storage of an
   * agent that HA may move. @default ssdDatastoreId
   */
  readonly osDatastoreId?: string;
  /** Storage on the node's HDD. */
  readonly hddDatastoreId: string;
  /** Which of the two holds the Longhorn data disk. @default "hdd" */
  readonly dataDiskStorage?: DataDiskStorage;
  readonly osDiskGiB: number;
  /** The Longhorn data disk. @default none (agents only: servers always carry one) */
  readonly dataDiskGiB?: number;
  /**
   * Proxmox HA may run the VM on another node (an agent with failover nodes): `node_name` is then
   * left to HA (ignore_changes, as bpg's multi-node guide advises), or every plan after a
   * recovery would move it back. Refused for servers and for a VM with a data disk. @default false
   */
  readonly movedByHa?: boolean;
  /** The cloud image downloaded on the same node; it seeds the OS disk. */
  readonly cloudImage: CloudImage;
  /** The cloud-init user data uploaded to the same node. */
  readonly userData: CloudInitSnippet;
  /** Linux bridge of the LAN, e.g. vmbr0. */
  readonly bridge: string;
  /** Static address from the config (never read back from the guest agent). */
  readonly ipv4Address: string;
  /** Prefix length of the LAN, e.g. 24. */
  readonly ipv4PrefixLength: number;
  readonly gateway: string;
  readonly dnsServers: readonly string[];
  /** DNS search domain, e.g. home.arpa. */
  readonly dnsDomain: string;
  /** Start order among the VMs of its node. */
  readonly startupOrder: number;
  /** Seconds Proxmox waits after starting this VM before starting the next one. @default 30 */
  readonly startupUpDelaySeconds?: number;
  /** Seconds Proxmox waits after shutting this VM down before the next one. @default 60 */
  readonly startupDownDelaySeconds?: number;
  /** Longest wait for the guest agent on any call, so a missing agent never stalls a plan for 15 minutes. @default "2m" */
  readonly agentTimeout?: string;
  /** @default K3S_SERVER_TAGS or K3S_AGENT_TAGS */
  readonly tags?: readonly string[];
  /**
   * Conditions a plan checks before creating or changing the VM (e.g.
   * `CloudInitSnippet.mustNotContain`): a false one fails the plan with its message.
   * @default none
   */
  readonly preconditions?: readonly Precondition[];
}

/** Explicit null: "provider default" for a key of an object-typed attribute, which must be present. */
const NULL_STRING = Token.asString(Token.nullValue());
const NULL_NUMBER = Token.asNumber(Token.nullValue());


/**
 * One K3s VM (a server, or an agent), pinned to its Proxmox node, built from a cloud image and configured by cloud-init.
 *
 * Servers and agents share the image, the cloud-init user data, the hardware and the pinning:
 * an agent differs only by its description and tags, an optional Longhorn disk, and the option to
 * be moved by Proxmox HA when its disks are on shared storage.
 *
 * Hardware choices:
 * - Proxmox's default machine (i440fx), not q35: on q35 the NIC sits behind a PCI bridge and the
 *   guest names it `enp6s18`; on i440fx it is `ens18`, the `vm.interface` that K3s (flannel-iface)
 *   and kube-vip (vip_interface) are given.
 * - SeaBIOS: the Debian and Ubuntu cloud images boot with either firmware; SeaBIOS needs no
 *   EFI vars disk (one less disk on local storage, and bpg replaces the VM when an `efi_disk`
 *   is added later). Secure Boot brings nothing to a LAN-only K3s node.
 * - CPU type `host`: all host instructions (AES-NI, AVX) for etcd/TLS; it forbids live migration
 *   between the AMD and Intel hosts, which pinning rules out anyway.
 * - `virtio-scsi-single` + iothread + discard + SSD emulation: one I/O thread per disk keeps etcd's
 *   fsyncs off the Longhorn disk's queue; discard returns freed blocks to the thin pool.
 * - Ballooning off (`floating` 0): Kubernetes sizes pods by the RAM it sees; a balloon taking it
 *   back would cause OOM kills instead of scheduling decisions.
 * - A serial port: the cloud images log their console to ttyS0 (`qm terminal <id>` shows it).
 *
 * @example
 * new K3sNodeVm(this, "k3s-master-1", {
 *   name: "k3s-master-1", vmId: 201, proxmoxNode: "pve-01", cores: 4, memoryMiB: 12288,
 *   ssdDatastoreId: "local-lvm", hddDatastoreId: "hdd", osDiskGiB: 40, dataDiskGiB: 200,
 *   cloudImage, userData, bridge: "vmbr0", ipv4Address: "192.168.1.21", ipv4PrefixLength: 24,
 *   gateway: "192.168.1.1", dnsServers: ["192.168.1.1"], dnsDomain: "home.arpa", startupOrder: 1,
 * });
 */
export class K3sNodeVm extends Construct {
  public readonly vm: VirtualEnvironmentVm;
  public readonly role: K3sNodeRole;
  /**
   * `prevent_destroy` on the VM when it holds data: an etcd member (a server's OS disk) or Longhorn
   * replicas (the data disk), so no plan destroys or replaces it unless the run lifts the guard by
   * the VM's name. An agent without a data disk holds nothing the cluster cannot re-create: none.
   */
  public readonly guard?: DataGuard;
  /** A `terraform_data` whose id is new each time the VM is created (see below). */
  public readonly generation: DataResource;
  public readonly name: string;
  public readonly vmId: number;
  public readonly proxmoxNode: string;
  /** Static address (no prefix), from the config. */
  public readonly ipv4Address: string;

  constructor(scope: Construct, id: string, props: K3sNodeVmProps) {
    super(scope, id);
    const where = `K3sNodeVm ${props.name}`;
    validate(where, props);

    const role = props.role ?? "server";
    const dataDiskStorage = props.dataDiskStorage ?? "hdd";
    const dataDatastoreId = dataDiskStorage === "ssd" ? props.ssdDatastoreId : props.hddDatastoreId;
    const osDatastoreId = props.osDatastoreId ?? props.ssdDatastoreId;
    this.role = role;
    this.name = props.name;
    this.vmId = props.vmId;
    this.proxmoxNode = props.proxmoxNode;
    this.ipv4Address = props.ipv4Address;

    this.vm = new VirtualEnvironmentVm(this, "vm", {
      vmId: props.vmId,
      name: props.name,
      nodeName: props.proxmoxNode,
      description: DESCRIPTIONS[role],
      tags: [...(props.tags ?? (role === "server" ? K3S_SERVER_TAGS : K3S_AGENT_TAGS))].sort(),
      // Proxmox starts HA-managed VMs itself and ignores on_boot for them; it still matters if
      // the HA resource is removed.
      onBoot: true,
      startup: {
        order: props.startupOrder,
        upDelay: props.startupUpDelaySeconds ?? 30,
        downDelay: props.startupDownDelaySeconds ?? 60,
      },
      started: true,
      bios: "seabios",
      operatingSystem: { type: "l26" },
      cpu: { type: "host", sockets: 1, cores: props.cores },
      memory: { dedicated: props.memoryMiB, floating: 0 },
      scsiHardware: "virtio-scsi-single",
      agent: {
        enabled: true,
        timeout: props.agentTimeout ?? "2m",
        trim: true,
        // Addresses come from the config, so the provider never has to wait for the agent to
        // report one (the agent is only installed by cloud-init, minutes after first boot).
        waitForIp: { disabled: true },
      },
      disk: [
        {
          interface: "scsi0",
          datastoreId: osDatastoreId,
          // file_id (not import_from): the image is `iso` content, which import_from refuses
          // ("needs to be 'images' or 'import'"); see CloudImage.
          fileId: props.cloudImage.fileId,
          size: props.osDiskGiB,
          iothread: true,
          discard: "on",
          ssd: true,
        },
        ...(props.dataDiskGiB === undefined
          ? []
          : [
              {
                interface: "scsi1",
                datastoreId: dataDatastoreId,
                size: props.dataDiskGiB,
                iothread: true,
                discard: "on",
                // Tell the guest the truth about rotation, so it schedules I/O for the real medium.
                ssd: dataDiskStorage === "ssd",
                // Longhorn keeps its own replicas and backups; a vzdump of this disk would be 200 GB of noise.
                backup: false,
                serial: LONGHORN_DISK_SERIAL,
              },
            ]),
      ],
      // network_device is an attribute (a list of objects) in bpg 0.111.1, not a block: Terraform
      // then wants every key of the object, so the unset ones are explicit nulls (provider defaults).
      networkDevice: [
        {
          bridge: props.bridge,
          model: "virtio",
          enabled: true,
          firewall: false,
          disconnected: false,
          macAddress: NULL_STRING,
          mtu: NULL_NUMBER,
          queues: NULL_NUMBER,
          rateLimit: NULL_NUMBER,
          trunks: NULL_STRING,
          vlanId: NULL_NUMBER,
        },
      ],
      initialization: {
        datastoreId: osDatastoreId,
        ipConfig: [{ ipv4: { address: `${props.ipv4Address}/${props.ipv4PrefixLength}`, gateway: props.gateway } }],
        dns: { servers: [...props.dnsServers], domain: props.dnsDomain },
        userDataFileId: props.userData.fileId,
      },
      serialDevice: [{ device: "socket" }],
      lifecycle: {
        ignoreChanges: [
          // The image only seeds the OS disk when the VM is created. A new pinned build in the
          // config must not replace all three etcd members in one apply (that loses the cluster);
          // rebuild one server at a time with `terraform apply -replace=…`. bpg also reports this
          // field as changed after an import (bpg/terraform-provider-proxmox#1998).
          "disk[0].file_id",
          // User data is first-boot only, and bpg marks user_data_file_id as forcing replacement:
          // an edited snippet is a replaced file resource, its id unknown at plan time, so the VM
          // would be destroyed and re-created (bpg/terraform-provider-proxmox#2901). Later
          // changes to a running server are Ansible's job (phase 3); new VMs get the new snippet.
          "initialization[0].user_data_file_id",
          // Not listed on purpose: ipv4_addresses, ipv6_addresses, network_interface_names and
          // mac_addresses are computed (agent-/Proxmox-reported) and never make a plan diff;
          // node_name stays managed, the config decides where a pinned VM lives.
          // A VM that HA may move runs wherever HA put it: node_name is HA's then.
          ...(props.movedByHa ? ["node_name"] : []),
        ],
        ...(props.preconditions?.length ? { precondition: [...props.preconditions] } : {}),
      },
    });
    if (role === "server" || props.dataDiskGiB !== undefined) {
      this.guard = new DataGuard(this, "guard", {
        resource: this.vm,
        name: props.name,
        holds: role === "server" ? "an etcd member (OS disk) and its Longhorn replicas (data disk)" : "its Longhorn replicas (data disk)",
      });
    }

    // bpg gives a VM the id of its VM number, so a re-created VM keeps the same `id`. This value
    // changes only when the VM is replaced (its id becomes unknown in the plan): what reruns the
    // K3s playbook and re-creates the HA pinning for a rebuilt VM, and nothing else.
    this.generation = new DataResource(this, "generation", {
      dependsOn: [this.vm],
      lifecycle: { replaceTriggeredBy: [resourceAddress(this.vm, "id")] },
    });
  }
}

function positiveInteger(where: string, name: string, value: number, fix: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new Error(`${where}: ${name} is ${value}; it must be a positive whole number (${fix})`);
  }
}

function validate(where: string, props: K3sNodeVmProps): void {
  const role = props.role ?? "server";
  if (role !== "server" && role !== "agent") {
    throw new Error(`${where}: role "${role}" is unknown; use "server" or "agent"`);
  }
  if (role === "server" && props.dataDiskGiB === undefined) {
    throw new Error(`${where}: a server needs its Longhorn disk; set dataDiskGiB, e.g. 200`);
  }
  if (props.movedByHa && role === "server") {
    throw new Error(`${where}: a server is never moved (one etcd member per host, local disks); movedByHa is for agents only`);
  }
  if (props.movedByHa && props.dataDiskGiB !== undefined) {
    throw new Error(`${where}: movedByHa with a data disk: the Longhorn disk lives on ${props.proxmoxNode}'s own storage; remove dataDiskGiB or movedByHa`);
  }
  if (props.osDatastoreId !== undefined && !props.osDatastoreId) {
    throw new Error(`${where}: osDatastoreId is empty; name the Proxmox storage of the OS disk, e.g. nfs-vm, or leave it unset`);
  }
  if (!DNS_LABEL.test(props.name)) {
    throw new Error(`${where}: name "${props.name}" is not a DNS label; use lowercase letters, digits and '-', e.g. k3s-master-1`);
  }
  if (!Number.isInteger(props.vmId) || props.vmId < 100 || props.vmId > 999999999) {
    throw new Error(`${where}: vmId ${props.vmId} is outside Proxmox's range 100–999999999; pick e.g. 201`);
  }
  positiveInteger(where, "cores", props.cores, "vCPUs, e.g. 4");
  positiveInteger(where, "memoryMiB", props.memoryMiB, "MiB of dedicated RAM, e.g. 8192");
  positiveInteger(where, "osDiskGiB", props.osDiskGiB, "GiB, e.g. 40");
  if (props.dataDiskGiB !== undefined) positiveInteger(where, "dataDiskGiB", props.dataDiskGiB, "GiB, e.g. 200");
  positiveInteger(where, "startupOrder", props.startupOrder, "e.g. 1");
  const storage = props.dataDiskStorage ?? "hdd";
  if (storage !== "ssd" && storage !== "hdd") {
    throw new Error(`${where}: dataDiskStorage "${storage}" is unknown; use "ssd" or "hdd" (the node's ssdStorage or hddStorage)`);
  }
  for (const [name, value] of [
    ["ssdDatastoreId", props.ssdDatastoreId],
    ["hddDatastoreId", props.hddDatastoreId],
    ["bridge", props.bridge],
  ] as const) {
    if (!value) throw new Error(`${where}: ${name} is empty; name the Proxmox ${name === "bridge" ? "bridge, e.g. vmbr0" : "storage, e.g. local-lvm"}`);
  }
  if (props.cloudImage.proxmoxNode !== props.proxmoxNode) {
    throw new Error(
      `${where}: the cloud image is on ${props.cloudImage.proxmoxNode} but the VM is on ${props.proxmoxNode}; ` +
        `images are node-local, pass the CloudImage of ${props.proxmoxNode}`,
    );
  }
  if (props.userData.proxmoxNode !== props.proxmoxNode) {
    throw new Error(
      `${where}: the cloud-init snippet is on ${props.userData.proxmoxNode} but the VM is on ${props.proxmoxNode}; ` +
        `snippets are node-local, upload it to ${props.proxmoxNode}`,
    );
  }
  for (const [name, ip] of [["ipv4Address", props.ipv4Address], ["gateway", props.gateway], ...props.dnsServers.map((d) => ["dnsServers", d])]) {
    if (!isIpv4(ip)) throw new Error(`${where}: ${name} "${ip}" is not an IPv4 address such as 192.168.1.21 (no prefix)`);
  }
  if (!Number.isInteger(props.ipv4PrefixLength) || props.ipv4PrefixLength < 1 || props.ipv4PrefixLength > 31) {
    throw new Error(`${where}: ipv4PrefixLength ${props.ipv4PrefixLength} must be 1–31, e.g. 24 for 192.168.1.0/24`);
  }
  const subnet = parseCidr(`${props.ipv4Address}/${props.ipv4PrefixLength}`);
  if (!cidrContains(subnet, ipToInt(props.gateway))) {
    throw new Error(
      `${where}: gateway ${props.gateway} is not in the VM's subnet ${props.ipv4Address}/${props.ipv4PrefixLength}; ` +
        `the VM could not reach it. Fix network.gateway or network.cidr`,
    );
  }
  if (props.dnsServers.length === 0) {
    throw new Error(`${where}: dnsServers is empty; the VM could not resolve names. Set network.dnsServers`);
  }
  const timeout = props.agentTimeout ?? "2m";
  if (!/^\d+(s|m)$/.test(timeout)) {
    throw new Error(`${where}: agentTimeout "${timeout}" must be a duration such as 90s or 2m`);
  }
}
