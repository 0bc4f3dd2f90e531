/**
 * The lab config: one declarative file (`homelab.yaml`) is the single source of truth for node
 * names, VM ids, addresses, pools, versions and hostnames. This module types it and checks the
 * shape of every field; cross-field rules (overlaps, capacity, quorum) live in `rules.ts`.
 *
 * Unknown keys are refused everywhere (strict objects): a typo must not silently become a default.
 */
import { z } from "zod";
import { cronProblem } from "./cron";
import {
  DNS_LABEL,
  DNS_NAME,
  EXACT_VERSION,
  INTERFACE_NAME,
  isTimeZone,
  kubeletRefusesLabelKey,
  LINUX_USER,
  nearest,
  NODE_LABEL,
  NODE_TAINT,
  TAINT_EFFECTS,
  PUBLIC_DOMAIN,
  SSH_PUBLIC_KEY,
  timeZoneNames,
} from "./formats";
import { COUNTRY_CODES, KEYBOARD_CODES } from "../pve/locales";
import { LONGHORN_DISK_LABEL_KEY } from "./placement";

const hostname = () =>
  z
    .string()
    .regex(DNS_LABEL, { message: "must be a DNS label: lowercase letters, digits and '-' (at most 63), e.g. pve-01" });
const ipv4 = () => z.ipv4({ message: "must be an IPv4 address such as 192.168.1.21" });
const exactVersion = (example: string) =>
  z.string().regex(EXACT_VERSION, { message: `must be an exact version such as ${example} (no range, no 'latest')` });
const dnsName = (example: string) =>
  z.string().regex(DNS_NAME, { message: `must be a lowercase DNS name such as ${example}` });
const linuxUser = (example: string) =>
  z.string().regex(LINUX_USER, { message: `must be a Linux user name (lowercase letters, digits, '_' and '-') such as ${example}` });
const interfaceName = (example: string) =>
  z.string().regex(INTERFACE_NAME, {
    message: `must be a Linux interface name (at most 15 letters, digits, '.', '_' or '-', no spaces) such as ${example}`,
  });
/** A Proxmox storage id, as `pvesm add` accepts it. */
const storageId = (example: string) =>
  z.string().regex(/^[a-z][a-z0-9._-]*[a-z0-9]$/, {
    message: `must be a Proxmox storage id (lowercase letters, digits, '.', '_' and '-'), e.g. ${example}`,
  });
/** A free-text label shown in the plan and the diagram: one line, no quotes or angle brackets. */
const label = (example: string) =>
  z.string().regex(/^[^\x00-\x1f"<>`]{1,80}$/, {
    message: `must be one line of at most 80 characters without quotes or angle brackets, e.g. ${example}`,
  });
/** A cron line as K3s and Longhorn read it (robfig/cron standard: 5 fields or @daily…). */
const cron = (example: string) =>
  z.string().superRefine((line, ctx) => {
    const problem = cronProblem(line);
    if (problem) ctx.addIssue({ code: "custom", message: `is not a 5-field cron line: ${problem} (e.g. "${example}")` });
  });
const timeZone = () =>
  z.string().superRefine((tz, ctx) => {
    if (isTimeZone(tz)) return;
    const guess = nearest(tz, timeZoneNames());
    ctx.addIssue({
      code: "custom",
      message: `is not a time zone of the tz database${guess ? `: did you mean ${guess}?` : ""} (e.g. Europe/Paris, UTC; list them with timedatectl list-timezones)`,
    });
  });
/** An NTP server: a host name or an IPv4 address. */
const ntpServer = () =>
  z.union([z.ipv4(), z.string().regex(DNS_NAME)], {
    error: () => "must be an NTP server's host name or IPv4 address, e.g. pool.ntp.org",
  });
/** A whole number of a unit, within bounds a homelab can have (the unit is in the key's name). */
const whole = (min: number, max: number) => z.number().int().min(min).max(max);
const range = () =>
  z.strictObject({
    start: ipv4().describe("First address of the range (inclusive)."),
    end: ipv4().describe("Last address of the range (inclusive)."),
  });

const networkSchema = z
  .strictObject({
    cidr: z
      .cidrv4({ message: "must be an IPv4 network in CIDR form, e.g. 192.168.1.0/24" })
      .refine((c) => Number(c.split("/")[1]) >= 8 && Number(c.split("/")[1]) <= 30, {
        message: "must have a prefix from /8 to /30 (a home LAN is usually /24), e.g. 192.168.1.0/24",
      })
      .meta({ examples: ["192.168.1.0/24"] })
      .describe("The home LAN."),
    gateway: ipv4().meta({ examples: ["192.168.1.1"] }).describe("The ISP box (default route)."),
    dnsServers: z
      .array(ipv4())
      .min(1)
      .meta({ examples: [["192.168.1.1"]] })
      .describe("Resolvers the VMs use, and AdGuard Home's upstreams when `adguard.upstreams` is empty."),
    dhcpRange: range().describe(
      "The range the ISP box leases by DHCP. Static addresses must stay out of it: copy it from the box's settings.",
    ),
    domain: dnsName("home.arpa")
      .describe("Apps are served at https://<app>.<domain>. `home.arpa` is reserved for home networks (RFC 8375)."),
    bridge: interfaceName("vmbr0").default("vmbr0").describe("Proxmox Linux bridge the VMs attach to."),
  })
  .describe("The LAN behind the ISP box.");

// --- Unattended Proxmox VE installation (issue 14): the facts the automated installer needs ---
// Per node: the NIC that identifies the machine and carries the management address, the install
// disk, the filesystem. Lab-wide: keyboard, country, mail, reboot mode, the Pi's answer port.
// `npm run pve:answers` turns them into one answer.toml per node (pve/answers.ts).

/** A MAC address as `ip link` prints it (link/ether). */
const MAC = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;

const nodeInstallSchema = z
  .strictObject({
    mac: z
      .string()
      .regex(MAC, { message: "must be a MAC address such as a0:36:9f:0a:b3:82 (`ip link` shows it after link/ether)" })
      .describe("MAC address of the NIC on the LAN. The installer picks that NIC for the management address; the Pi's answer service recognises the machine by it."),
    disk: z
      .strictObject({
        serial: z
          .string()
          .regex(/^[A-Za-z0-9._:-]+$/, { message: "must be the disk's serial as `lsblk -d -o NAME,SERIAL` prints it, e.g. S4EWNX0R123456" })
          .optional()
          .describe("Serial number of the install disk (udev ID_SERIAL_SHORT, `lsblk -d -o NAME,SERIAL`). The most reliable choice."),
        model: z
          .string()
          .regex(/^[A-Za-z0-9._ -]+$/, { message: "must be the disk's model as `lsblk -d -o NAME,MODEL` prints it, e.g. Samsung SSD 970 EVO Plus 500GB" })
          .optional()
          .describe("Model of the install disk (`lsblk -d -o NAME,MODEL`; spaces become udev's underscores). With `serial`, both must match."),
        device: z
          .string()
          .regex(/^[a-z][a-z0-9]*$/, { message: "must be a kernel disk name without /dev/, e.g. nvme0n1 or sda" })
          .optional()
          .describe("Kernel name of the install disk (nvme0n1, sda). Names can change between boots: prefer `serial`. Not with serial or model."),
      })
      .describe("The disk Proxmox VE is installed on (it is wiped): set `serial`, or `model`, or `device`."),
    filesystem: z
      .enum(["ext4", "xfs", "zfs", "btrfs"])
      .default("ext4")
      .describe("Root filesystem. ext4 and xfs give the `local-lvm` storage, zfs `local-zfs`, btrfs `local-btrfs` (one disk: RAID0)."),
  })
  .describe("Facts for the unattended install (`npm run pve:answers`, docs/proxmox-install.md).");

const proxmoxInstallSchema = z
  .strictObject({
    keyboard: z
      .enum(KEYBOARD_CODES, { message: `must be a keyboard layout of the Proxmox installer: ${KEYBOARD_CODES.join(", ")}` })
      .optional()
      .describe("Console keyboard layout. Defaults to the installer's layout for `country`."),
    country: z
      .string()
      .refine((code) => COUNTRY_CODES.includes(code), {
        message: "must be a lowercase two-letter country code of the Proxmox installer, e.g. fr, de, us",
      })
      .optional()
      .describe("Country (lowercase ISO 3166 code), used for the package mirror. Defaults to the country of vm.timezone."),
    mailto: z
      .string()
      .min(3)
      .default("root@localhost")
      .describe("Where the node mails root's notifications (Proxmox asks for one at install)."),
    rebootMode: z
      .enum(["power-off", "reboot"])
      .default("power-off")
      .describe("What a node does once installed. power-off: pull the stick, then power it on (no reinstall loop if the stick boots first)."),
    answerPort: z
      .number()
      .int()
      .min(1024)
      .max(65535)
      .default(8443)
      .describe("HTTPS port of the Pi's answer service (one stick for every node)."),
  })
  .describe("Lab-wide settings of the unattended Proxmox VE install. The root password is never here: its hash comes from PVE_ROOT_PASSWORD_HASH.");
// --- end of the unattended-installation block ---

const proxmoxNodeSchema = z.strictObject({
  name: hostname().meta({ examples: ["pve-01"] }).describe("Proxmox node name, exactly as `pvecm nodes` shows it."),
  address: ipv4().meta({ examples: ["192.168.1.11"] }).describe("Management address of the node."),
  model: label("HP 715q").describe("Hardware model, for the plan and docs."),
  cpu: label("AMD Ryzen Pro").describe("CPU model, for the plan and docs."),
  threads: whole(1, 1024).meta({ examples: [8] }).describe("Hardware threads of the CPU (capacity check)."),
  memoryGiB: z.number().positive().max(4096).meta({ examples: [16] }).describe("Installed RAM in GiB."),
  ssdStorage: storageId("local-lvm").default("local-lvm").describe("Proxmox storage on the SSD (VM OS disks)."),
  hddStorage: storageId("hdd").default("hdd").describe("Proxmox storage on the HDD (Longhorn data disks by default)."),

  install: nodeInstallSchema.optional(),
});

const proxmoxSchema = z.strictObject({
  clusterName: hostname().default("homelab").describe("Corosync cluster name."),
  nodes: z.array(proxmoxNodeSchema).min(1).describe("Proxmox VE nodes. The first one forms the cluster and serves the API."),
  apiPort: z.number().int().min(1).max(65535).default(8006),
  insecureTls: z
    .boolean()
    .default(true)
    .describe("Accept the self-signed certificate Proxmox installs by default. Set false once the API has a trusted certificate."),
  hostReserveMiB: whole(0, 1048576)
    .default(3072)
    .describe("RAM kept for Proxmox itself on every node (capacity check)."),
  cpuOvercommit: z
    .number()
    .positive()
    .max(8)
    .default(2)
    .describe("How many vCPUs a hardware thread may carry across all VMs of a node."),
  sharedStorage: z
    .array(storageId("nfs-vm"))
    .default([])
    .describe(
      "Proxmox storages every node reads (NFS, Ceph RBD, iSCSI…, added to Proxmox as shared). Only an agent's disks may live there " +
        "(k3s.agents[].failover): the servers keep local disks, one etcd member per host.",
    ),
  snippetsDatastore: storageId("local")
    .default("local")
    .describe("Directory storage with the `snippets` content type, where cloud-init user data is uploaded."),
  imageDatastore: storageId("local")
    .default("local")
    .describe("Directory storage with the `iso` content type, where cloud images are downloaded."),
  sshUser: linuxUser("root").default("root").describe("SSH user the bpg provider uses to upload snippets."),

  install: proxmoxInstallSchema.prefault({}),
});

/** Hex characters of each checksum algorithm Proxmox's download verifies. */
export const CHECKSUM_HEX_LENGTH = { sha256: 64, sha512: 128 } as const;

const cloudImageSchema = z.strictObject({
  url: z
    .url({ protocol: /^https$/, message: "must be an https:// URL of a dated (pinned) image build" })
    .regex(/^https:\/\/\S+$/, { message: "must start with https:// (lowercase) and hold no spaces: the URL of a dated (pinned) image build" }),
  checksum: z.string().regex(/^[0-9a-f]{64}([0-9a-f]{64})?$/, {
    message: "must be the image's lowercase hex SHA-256 or SHA-512 checksum from the distribution's SUMS file",
  }),
  checksumAlgorithm: z.enum(["sha256", "sha512"]),
  fileName: z
    .string()
    .regex(/^[A-Za-z0-9._-]+\.img$/, { message: "must be a plain file name ending in .img (Proxmox stores cloud images as iso content)" }),
}).superRefine((image, ctx) => {
  const want = CHECKSUM_HEX_LENGTH[image.checksumAlgorithm];
  // A checksum that is not hex at all is already reported by its own format check.
  if (/^[0-9a-f]+$/.test(image.checksum) && image.checksum.length !== want) {
    ctx.addIssue({
      code: "custom",
      path: ["checksum"],
      message:
        `has ${image.checksum.length} hex characters, but a ${image.checksumAlgorithm} checksum has ${want}: copy it from the ` +
        `build's ${image.checksumAlgorithm.toUpperCase()}SUMS file, or set checksumAlgorithm to ` +
        `${image.checksumAlgorithm === "sha256" ? "sha512" : "sha256"}`,
    });
  }
});

const vmDefaultsSchema = z.strictObject({
  image: z.enum(["debian-13", "ubuntu-24.04"]).default("debian-13").describe("Cloud image of the K3s VMs."),
  images: z
    .strictObject({ "debian-13": cloudImageSchema, "ubuntu-24.04": cloudImageSchema })
    .describe("Pinned image builds (URL + checksum). Renovate proposes new builds; paste the checksum from the build's SUMS file by hand."),
  user: linuxUser("homelab")
    .default("homelab")
    .describe("Admin user created by cloud-init (sudo, SSH keys only)."),
  sshPublicKeys: z
    .array(
      z
        .string()
        .regex(SSH_PUBLIC_KEY, {
          message: "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment); never put a private key here",
        }),
    )
    .min(1, { message: "add at least one SSH public key, e.g. the content of ~/.ssh/id_ed25519.pub" })
    .describe("Public keys allowed to log in to the VMs. Public keys only."),
  interface: interfaceName("ens18")
    .default("ens18")
    .describe("Name of the VMs' network interface inside the guest (virtio NIC on the default i440fx machine: ens18)."),
  timezone: timeZone().default("Europe/Paris").describe("Time zone of the VMs, a tz database name."),
  ntpServers: z
    .array(ntpServer())
    .min(1, { message: "needs at least one NTP server: etcd needs synchronized clocks (e.g. [pool.ntp.org])" })
    .default(["pool.ntp.org"])
    .describe("NTP pools or servers the VMs' chrony uses."),
});

const k3sServerSchema = z.strictObject({
  name: hostname().meta({ examples: ["k3s-master-1"] }).describe("VM and Kubernetes node name."),
  vmId: whole(100, 999999999).meta({ examples: [201] }).describe("Proxmox VM id."),
  address: ipv4().meta({ examples: ["192.168.1.21"] }).describe("Static address, set by cloud-init."),
  proxmoxNode: hostname().meta({ examples: ["pve-01"] }).describe("Proxmox node the VM is pinned to."),
  cores: whole(1, 512).default(4).describe("vCPUs of the VM."),
  memoryMiB: whole(2048, 4194304)
    .meta({ examples: [8192] })
    .describe("Dedicated RAM of the VM in MiB (K3s servers with etcd need at least 2048)."),
  osDiskGiB: whole(16, 65536).default(40),
  dataDiskGiB: whole(10, 65536).default(200).describe("Second disk, mounted at /var/lib/longhorn."),
  dataStorage: z
    .enum(["ssd", "hdd"])
    .default("hdd")
    .describe("Which of the node's storages holds the Longhorn disk."),
  startupOrder: whole(1, 9999).default(1).describe("Proxmox boot order on its node."),
});

/** A node label as K3s's node-label takes it; the kubelet refuses some keys, homelab sets one itself. */
const nodeLabel = () =>
  z.string().superRefine((text, ctx) => {
    if (!NODE_LABEL.test(text)) {
      ctx.addIssue({
        code: "custom",
        message:
          "must be a Kubernetes label key=value such as homelab/pool=general (key: an optional DNS prefix and '/', " +
          "then at most 63 letters, digits, '-', '_' or '.'; value: the same, or empty)",
      });
      return;
    }
    const key = text.slice(0, text.indexOf("="));
    if (kubeletRefusesLabelKey(key)) {
      ctx.addIssue({
        code: "custom",
        message:
          `uses the ${key.slice(0, key.indexOf("/"))} namespace, whose labels the kubelet refuses to set on its own node (K3s would not start): ` +
          `use a prefix of your own, e.g. homelab/${key.slice(key.indexOf("/") + 1)}${text.slice(text.indexOf("="))} ` +
          "(node-role.kubernetes.io/ labels are set with kubectl label)",
      });
    }
    if (key === LONGHORN_DISK_LABEL_KEY) {
      ctx.addIssue({ code: "custom", message: "is set by homelab on every node with a Longhorn disk (dataDiskGiB): remove it" });
    }
  });

/** A node taint as K3s's node-taint takes it. */
const nodeTaint = () =>
  z.string().regex(NODE_TAINT, {
    message: `must be a Kubernetes taint key=value:Effect or key:Effect such as homelab/pool=batch:NoSchedule (Effect: ${TAINT_EFFECTS.join(", ")})`,
  });

const k3sAgentSchema = z
  .strictObject({
    name: hostname().meta({ examples: ["k3s-agent-1"] }).describe("VM and Kubernetes node name."),
    vmId: whole(100, 999999999).meta({ examples: [211] }).describe("Proxmox VM id."),
    address: ipv4().meta({ examples: ["192.168.1.31"] }).describe("Static address, set by cloud-init."),
    proxmoxNode: hostname()
      .meta({ examples: ["pve-04"] })
      .describe("Proxmox node the VM runs on. It may hold a server too: an agent is no etcd member."),
    cores: whole(1, 512).default(4).describe("vCPUs of the VM."),
    memoryMiB: whole(1024, 4194304)
      .meta({ examples: [8192] })
      .describe("Dedicated RAM of the VM in MiB (an agent runs no etcd and no API server: 1024 at least)."),
    osDiskGiB: whole(16, 65536).default(40),
    dataDiskGiB: whole(10, 65536)
      .optional()
      .describe(
        "Longhorn disk (a second disk, mounted at /var/lib/longhorn). Without it the agent holds no Longhorn replica; " +
          "its pods still use volumes, served over iSCSI from the nodes that have one.",
      ),
    dataStorage: z.enum(["ssd", "hdd"]).default("hdd").describe("Which of the node's storages holds the Longhorn disk."),
    labels: z
      .array(nodeLabel())
      .default([])
      .meta({ examples: [["homelab/pool=general"]] })
      .describe("Kubernetes labels of the node (K3s node-label, set when the node registers; later changes go through kubectl)."),
    taints: z
      .array(nodeTaint())
      .default([])
      .meta({ examples: [["homelab/pool=batch:NoSchedule"]] })
      .describe(
        "Kubernetes taints of the node (K3s node-taint, set when the node registers). NoSchedule and NoExecute keep the platform " +
          "off it: the doctor counts only untainted nodes for the platform's pods.",
      ),
    startupOrder: whole(1, 9999).default(2).describe("Proxmox boot order on its node (servers boot first, at 1)."),
    failover: z
      .strictObject({
        nodes: z
          .array(hostname())
          .min(1, { message: "list at least one other Proxmox node the agent may be restarted on, e.g. [pve-02]" })
          .describe("Proxmox nodes the agent may be recovered on when its own node dies (its own node stays preferred)."),
        storage: storageId("nfs-vm").describe("Storage of the OS disk and cloud-init drive: one of proxmox.sharedStorage."),
      })
      .optional()
      .describe(
        "Proxmox HA may restart the agent on another node when its own dies, instead of waiting for it. Its disks must then " +
          "be on shared storage, and it carries no Longhorn disk (node-local). Without it the agent is pinned, like the servers.",
      ),
  })
  .superRefine((agent, ctx) => {
    const seen = new Map<string, number>();
    agent.labels.forEach((label, i) => {
      const key = label.slice(0, label.indexOf("="));
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else ctx.addIssue({ code: "custom", path: ["labels", i], message: `sets ${key} again (labels[${first}] sets it first): keep one value per key` });
    });
    const taints = new Map<string, number>();
    agent.taints.forEach((taint, i) => {
      const key = `${taint.replace(/[=:].*$/, "")}:${taint.slice(taint.lastIndexOf(":") + 1)}`;
      const first = taints.get(key);
      if (first === undefined) taints.set(key, i);
      else ctx.addIssue({ code: "custom", path: ["taints", i], message: `repeats the key and effect of taints[${first}]: Kubernetes keeps one taint per key and effect; remove one` });
    });
    if (!agent.failover) return;
    if (agent.failover.nodes.includes(agent.proxmoxNode)) {
      ctx.addIssue({
        code: "custom",
        path: ["failover", "nodes"],
        message: `lists ${agent.proxmoxNode}, the agent's own node: list only the nodes it may move to`,
      });
    }
    const twice = agent.failover.nodes.find((n, i) => agent.failover!.nodes.indexOf(n) !== i);
    if (twice) ctx.addIssue({ code: "custom", path: ["failover", "nodes"], message: `lists ${twice} twice: list each node once` });
    if (agent.dataDiskGiB !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["failover"],
        message:
          `is refused with a Longhorn disk (dataDiskGiB ${agent.dataDiskGiB}): that disk lives on ${agent.proxmoxNode}'s own storage, so the VM ` +
          "could not start elsewhere (and Longhorn already keeps replicas on other nodes); remove dataDiskGiB, or remove failover to keep the agent pinned",
      });
    }
  });

const k3sSchema = z.strictObject({
  version: exactVersion("v1.35.8+k3s1").meta({ examples: ["v1.35.8+k3s1"] }).describe("Pinned K3s release. Upgrade one minor version at a time."),
  apiVip: ipv4().meta({ examples: ["192.168.1.50"] }).describe("Virtual IP of the Kubernetes API, held by kube-vip (ARP)."),
  apiHostname: hostname().default("k3s").describe("DNS label of the API: <apiHostname>.<domain> is in every server's tls-san."),
  kubeVipVersion: exactVersion("v1.2.3").meta({ examples: ["v1.2.3"] }).describe("kube-vip image tag."),
  allowServersPerNode: whole(1, 7)
    .default(1)
    .describe("How many K3s servers one Proxmox node may host. More than 1 lets one host failure take etcd quorum."),
  etcdSnapshotCron: cron("0 */6 * * *").default("0 */6 * * *").describe("When K3s takes an etcd snapshot (5-field cron)."),
  etcdSnapshotRetention: whole(1, 1000).default(20).describe("etcd snapshots K3s keeps on each server."),
  systemReserveMiB: whole(0, 1048576)
    .default(1536)
    .describe("Memory each server keeps for the OS, K3s and etcd before workloads (capacity check)."),
  systemReserveMilliCpu: whole(0, 64000).default(500).describe("CPU each server keeps for the OS, K3s and etcd (millicores)."),
  servers: z
    .array(k3sServerSchema)
    .min(1)
    .describe("K3s servers (control plane + etcd, and workloads unless taintServers), one VM each: 1 (not HA), 3, 5 or 7."),
  agents: z
    .array(k3sAgentSchema)
    .default([])
    .describe("K3s agents (workers: kubelet and containerd, no etcd), one VM each. They join through the API VIP after the servers."),
  taintServers: z
    .boolean()
    .default(false)
    .describe(
      "Taint every server node-role.kubernetes.io/control-plane:NoSchedule: the platform and your apps run on the agents, " +
        "etcd and the API keep the servers' CPU and RAM. Only with an untainted agent.",
    ),
  agentSystemReserveMiB: whole(0, 1048576)
    .default(1024)
    .describe("Memory each agent keeps for the OS, the kubelet and containerd before workloads (capacity check)."),
  agentSystemReserveMilliCpu: whole(0, 64000).default(250).describe("CPU each agent keeps for the OS, the kubelet and containerd (millicores)."),
});

// --- Off-site backups (issue 16) -----------------------------------------------------------------

/** An S3 bucket name as S3-compatible services accept it (AWS rules: 3–63 lowercase letters, digits, '.', '-'). */
const S3_BUCKET = /^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** A path inside a bucket or on a server: segments of letters, digits, '.', '_' and '-'. */
const REPOSITORY_SEGMENTS = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Which fields each repository type reads; the others are refused for that type. */
export const OFFSITE_FIELDS = {
  s3: { required: ["endpoint", "bucket"], optional: ["prefix", "region"] },
  sftp: { required: ["host", "user", "path"], optional: ["port"] },
  rest: { required: ["url"], optional: [] },
} as const;
export type OffsiteType = keyof typeof OFFSITE_FIELDS;

/** An http(s) URL without credentials in it (they come from the environment at deploy time). */
const serviceUrl = (example: string, credentials: string) =>
  z
    .url({ protocol: /^https?$/, message: `must be an http(s) URL such as ${example}` })
    .superRefine((text, ctx) => {
      const url = new URL(text);
      if (url.username || url.password) {
        ctx.addIssue({
          code: "custom",
          message: `must not carry credentials (user:password@): remove them and export ${credentials} when running rpi.yml`,
        });
      }
    });

const offsiteRepositorySchema = z
  .strictObject({
    type: z
      .enum(["s3", "sftp", "rest"])
      .describe(
        "s3: any S3-compatible service (Backblaze B2, Wasabi, a friend's MinIO); sftp: a server you can SSH to; " +
          "rest: a restic REST server (rest-server, rclone serve restic).",
      ),
    endpoint: serviceUrl("https://s3.eu-central-003.backblazeb2.com", "HOMELAB_OFFSITE_ACCESS_KEY_ID and HOMELAB_OFFSITE_SECRET_ACCESS_KEY")
      .optional()
      .describe("s3: the service's S3 endpoint, e.g. https://s3.eu-central-003.backblazeb2.com (B2), https://s3.eu-central-1.wasabisys.com (Wasabi)."),
    bucket: z
      .string()
      .regex(S3_BUCKET, { message: "must be an S3 bucket name: 3–63 lowercase letters, digits, '.' or '-', e.g. my-homelab-backups" })
      .optional()
      .describe("s3: the bucket (create it first, private)."),
    prefix: z
      .string()
      .regex(REPOSITORY_SEGMENTS, { message: "must be a path inside the bucket such as homelab (letters, digits, '.', '_', '-', '/')" })
      .optional()
      .describe("s3: a folder inside the bucket for this repository."),
    region: z
      .string()
      .regex(/^[a-z0-9-]{2,32}$/, { message: "must be a region name such as eu-central-003" })
      .optional()
      .describe("s3: the bucket's region, when the service does not find it by itself (MinIO: us-east-1)."),
    host: z
      .union([z.ipv4(), z.string().regex(DNS_NAME)], { error: () => "must be a host name or IPv4 address, e.g. backup.example.org" })
      .optional()
      .describe("sftp: the server."),
    port: whole(1, 65535).optional().describe("sftp: the SSH port (22 when unset)."),
    user: linuxUser("homelab").optional().describe("sftp: the account on the server (the Pi's own key logs in: rpi.yml prints it)."),
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._/-]+$/, { message: "must be an absolute path such as /srv/restic/homelab" })
      .optional()
      .describe("sftp: the repository's directory on the server."),
    url: serviceUrl("https://backup.example.org:8000/homelab/", "HOMELAB_OFFSITE_REST_USERNAME and HOMELAB_OFFSITE_REST_PASSWORD")
      .optional()
      .describe("rest: the repository's URL on the REST server."),
  })
  .superRefine((repo, ctx) => {
    const fields = OFFSITE_FIELDS[repo.type];
    const allowed = new Set<string>(["type", ...fields.required, ...fields.optional]);
    for (const key of fields.required) {
      if (repo[key] === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `is required for type ${repo.type}: set ${key} (see docs/backups.md)` });
      }
    }
    for (const [key, value] of Object.entries(repo)) {
      if (value === undefined || allowed.has(key)) continue;
      const owner = (Object.keys(OFFSITE_FIELDS) as OffsiteType[]).filter((t) => (OFFSITE_FIELDS[t].required as readonly string[]).includes(key) || (OFFSITE_FIELDS[t].optional as readonly string[]).includes(key));
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `is not read by type ${repo.type} (it belongs to ${owner.join(", ")}): remove it, or set type to ${owner[0]}`,
      });
    }
  });

const offsiteBackupSchema = z
  .strictObject({
    repository: offsiteRepositorySchema.describe(
      "Where the restic repository lives. Credentials and the repository password come from the environment when rpi.yml runs, never from this file.",
    ),
    schedule: cron("30 4 * * *")
      .default("30 4 * * *")
      .describe("When the Pi sends its backups off-site (5-field cron, in vm.timezone): after Longhorn's nightly backup."),
    retention: z
      .strictObject({
        daily: whole(0, 3650).default(7).describe("Daily snapshots kept (restic forget --keep-daily)."),
        weekly: whole(0, 520).default(4).describe("Weekly snapshots kept (--keep-weekly)."),
        monthly: whole(0, 240).default(12).describe("Monthly snapshots kept (--keep-monthly)."),
      })
      .superRefine((r, ctx) => {
        if (r.daily + r.weekly + r.monthly === 0) {
          ctx.addIssue({
            code: "custom",
            message: "keeps nothing (daily, weekly and monthly are all 0): restic forget would keep no snapshot; keep at least daily: 7",
          });
        }
      })
      .prefault({})
      .describe("What restic forget --prune keeps, in the off-site repository and in the Pi's state repository."),
    drill: z
      .strictObject({
        schedule: cron("0 6 * * 0").default("0 6 * * 0").describe("When the restore drill runs (5-field cron, in vm.timezone): weekly by default."),
        readDataPercent: whole(1, 100)
          .default(5)
          .describe("Share of the repository's data the drill downloads and verifies (restic check --read-data-subset): egress costs money on some services."),
      })
      .prefault({})
      .describe("The weekly restore drill: repository check, newest etcd snapshot and Terraform state restored and read."),
  })
  .describe("Encrypted off-site copies (restic) of the Pi's backups, the Terraform state and the Pi's own services (docs/backups.md).");
// --- end of the off-site backups block -------------------------------------------------------------

const piSchema = z.strictObject({
  name: hostname().meta({ examples: ["rpi-01"] }),
  address: ipv4().meta({ examples: ["192.168.1.5"] }),
  arch: z.enum(["arm64", "armhf"]).default("arm64"),
  user: linuxUser("pi").default("pi").describe("SSH user Ansible logs in as."),
  backupExportPath: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, { message: "must be an absolute path such as /srv/homelab-backups" })
    .default("/srv/homelab-backups")
    .describe("NFS export for Longhorn backups and etcd snapshots."),
  secondaryDns: z.boolean().default(true).describe("Run a secondary AdGuard Home on the Pi."),
  terraformCloudAgent: z
    .boolean()
    .default(false)
    .describe("Run the Terraform Cloud agent that executes the lab's runs on the LAN (needed by, and only with, `terraformCloud`)."),
  k3sAgent: z
    .boolean()
    .default(false)
    .describe(
      "Join the Pi to the cluster as a K3s agent, tainted homelab/node-class=raspberry-pi:NoExecute: only pods that tolerate " +
        "it run there (none of the platform's). Off by default: the Pi's side services (backups, secondary DNS) stay independent of the cluster.",
    ),
  interface: interfaceName("eth0")
    .default("eth0")
    .describe("The Pi's LAN interface (a Pi 4's wired port: eth0): K3s's node IP and flannel use it when the Pi is a K3s agent."),
  offsiteBackup: offsiteBackupSchema.optional(),
});

const loadBalancerSchema = z.strictObject({
  pool: range().describe("MetalLB address pool. Keep it outside the DHCP range."),
  ingressIp: ipv4().meta({ examples: ["192.168.1.60"] }).describe("Traefik's fixed LoadBalancer address (every https://<app>.<domain> points here)."),
  dnsIp: ipv4().meta({ examples: ["192.168.1.61"] }).describe("AdGuard Home's DNS address (TCP+UDP 53): set it as primary DNS on the ISP box."),
  gitSshIp: ipv4().meta({ examples: ["192.168.1.62"] }).describe("Gitea's SSH address (port 22)."),
});

const appToggle = <T extends z.core.$ZodLooseShape>(extra: T) =>
  z.strictObject({
    enabled: z.boolean().default(true),
    hostname: hostname().optional().describe("DNS label; defaults to the app's name."),
    ...extra,
  });

const platformSchema = z.strictObject({
  tls: z
    .strictObject({
      acme: z
        .strictObject({
          email: z.email({ message: "must be an e-mail address such as you@example.org" }),
          publicDomain: z
            .string()
            .regex(PUBLIC_DOMAIN, {
              message: "must be a lowercase domain you own, with at least two labels, e.g. lab.example.org",
            })
            .describe("A domain you own, whose DNS the provider below serves."),
          dnsProvider: z.enum(["cloudflare"]).describe("DNS-01 solver. Its API token comes from TF_VAR_cloudflare_api_token (a sensitive variable), never from this file."),
          staging: z.boolean().default(true).describe("Use Let's Encrypt staging until it works."),
        })
        .optional()
        .describe("Let's Encrypt wildcard via DNS-01. Without it, the lab's own CA signs everything."),
    })
    .prefault({}),
  longhorn: z
    .strictObject({
      replicaCount: whole(1, 3).default(2).describe("Copies of every volume, each on a different server."),
      // Longhorn refuses recurring jobs that retain more than its recurring-job-max-retention (100).
      backupSchedule: cron("0 3 * * *").default("0 3 * * *").describe("When every volume is backed up to the Pi (5-field cron)."),
      backupRetain: whole(1, 100).default(14).describe("Backups kept per volume."),
      snapshotSchedule: cron("0 * * * *").default("0 * * * *").describe("When every volume is snapshotted (5-field cron)."),
      snapshotRetain: whole(1, 100).default(24).describe("Snapshots kept per volume."),
      instanceManagerCpuPercent: whole(0, 40)
        .default(12)
        .describe(
          "CPU Longhorn reserves on every node for its instance manager, in percent of the node's CPU " +
            "(chart setting guaranteedInstanceManagerCPU; Longhorn's default 12). The capacity check counts it.",
        ),
    })
    .prefault({}),
  monitoring: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe("Metrics and alerts: Prometheus, Alertmanager and the exporters (kube-prometheus-stack), dashboards in Grafana."),
      retentionDays: z.number().int().positive().max(365).default(15).describe("Days of metrics Prometheus keeps."),
      storageGiB: z
        .number()
        .int()
        .min(2)
        .default(20)
        .describe("Prometheus volume on Longhorn. Prometheus also stops at 85% of it, whatever retentionDays says."),
      alertmanagerStorageGiB: z.number().int().positive().default(1).describe("Alertmanager volume (silences, notification log)."),
      scrapeIntervalSeconds: z
        .number()
        .int()
        .min(10)
        .max(300)
        .default(60)
        .describe("How often every target is scraped. Halving it doubles the samples Prometheus stores."),
      runbookBaseUrl: z
        .url({ protocol: /^https?$/, message: "must be an http(s) URL such as https://github.com/you/homelab/blob/main" })
        .optional()
        .describe(
          "Where your copy of this repository is browsable: alerts then link to <runbookBaseUrl>/docs/observability.md#<alert>. " +
            "Without it, the link is the path in the repository.",
        ),
      ntfy: z
        .strictObject({
          topic: z
            .string()
            .regex(/^[-_A-Za-z0-9]{1,64}$/, { message: "must be an ntfy topic: 1–64 letters, digits, '-' or '_'" })
            .default("homelab-alerts")
            .describe("Topic that receives the alerts (Alertmanager) and Proxmox's notifications."),
          serverUrl: z
            .url({ protocol: /^https?$/, message: "must be the http(s) URL of an ntfy server, e.g. https://ntfy.sh" })
            .optional()
            .describe(
              "An external ntfy server. Without it, the lab's own ntfy (platform.apps.ntfy) receives the alerts. " +
                "Its access token comes from TF_VAR_ntfy_token (a sensitive variable), never from this file.",
            ),
        })
        .prefault({})
        .describe("Where alerts reach a person: an ntfy topic (phone app, web, e-mail)."),
    })
    .prefault({})
    .describe("Metrics, dashboards and alerts (docs/observability.md)."),
  apps: z
    .strictObject({
      gitea: appToggle({ storageGiB: whole(1, 65536).default(10) }).prefault({}),
      argocd: appToggle({}).prefault({}),
      grafana: appToggle({ storageGiB: whole(1, 65536).default(2) }).prefault({}),
      loki: z
        .strictObject({
          retentionDays: whole(1, 3650).default(14),
          storageGiB: whole(1, 65536).default(20),
        })
        .prefault({}),
      vaultwarden: appToggle({
        signupsAllowed: z.boolean().default(false),
        storageGiB: whole(1, 65536).default(2),
      }).prefault({}),
      ntfy: appToggle({
        storageGiB: z.number().int().positive().default(1).describe("Message cache and user database."),
      })
        .prefault({})
        .describe("Self-hosted ntfy: push notifications for the lab's alerts (phone app, web)."),
      adguard: appToggle({
        upstreams: z
          .array(
            z.string().regex(/^(\[\/[^\]\s]+\/\])?((udp|tcp|tls|https|quic|h3|sdns):\/\/\S+|\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|[a-z0-9.-]+\.[a-z]{2,})$/, {
              message: "must be an AdGuard Home upstream: an IPv4 address, or tls://, https://, quic:// or sdns:// URL, e.g. https://dns.quad9.net/dns-query",
            }),
          )
          .default([])
          .describe("Upstream resolvers (e.g. https://dns.quad9.net/dns-query). Empty: the LAN's dnsServers."),
      }).prefault({}),
    })
    .prefault({}),
});

const terraformCloudSchema = z.strictObject({
  organization: z
    .string()
    .regex(/^[A-Za-z0-9_-]{3,40}$/, { message: "must be a Terraform Cloud organization name (letters, digits, '_' and '-'), e.g. my-homelab" })
    .meta({ examples: ["my-homelab"] }),
  workspacePrefix: hostname().default("homelab").describe("Workspaces are <prefix>-infra, <prefix>-k3s, <prefix>-platform."),
  hostname: dnsName("app.terraform.io").default("app.terraform.io"),
});

export const labSchema = z
  .strictObject({
    network: networkSchema,
    proxmox: proxmoxSchema,
    vm: vmDefaultsSchema,
    k3s: k3sSchema,
    raspberryPi: piSchema.optional(),
    loadBalancer: loadBalancerSchema,
    platform: platformSchema.prefault({}),
    terraformCloud: terraformCloudSchema
      .optional()
      .describe("Run the stacks in Terraform Cloud, on the Pi's agent: one workspace per stack, set up by the tfc stack (README \"Terraform Cloud\")."),
  })
  .describe("homelab: one file describes the whole lab.");

/** The validated lab, with defaults applied. Stacks and constructs receive this object. */
export type LabConfig = z.output<typeof labSchema>;
export type ProxmoxNodeConfig = LabConfig["proxmox"]["nodes"][number];
export type NodeInstallConfig = NonNullable<ProxmoxNodeConfig["install"]>;
export type K3sServerConfig = LabConfig["k3s"]["servers"][number];
export type K3sAgentConfig = LabConfig["k3s"]["agents"][number];
export type CloudImageConfig = LabConfig["vm"]["images"]["debian-13"];
export type OffsiteBackupConfig = NonNullable<NonNullable<LabConfig["raspberryPi"]>["offsiteBackup"]>;
export type OffsiteRepositoryConfig = OffsiteBackupConfig["repository"];
