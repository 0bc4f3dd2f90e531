/**
 * The lab config: one declarative file (`homelab.yaml`) is the single source of truth for node
 * names, VM ids, addresses, pools, versions and hostnames. This module types it and checks the
 * shape of every field; cross-field rules (overlaps, capacity, quorum) live in `rules.ts`.
 *
 * Unknown keys are refused everywhere (strict objects): a typo must not silently become a default.
 */
import { z } from "zod";
import { COUNTRY_CODES, KEYBOARD_CODES } from "../pve/locales";

const NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** An exact version: no ranges, no `latest`. K3s versions look like `v1.35.8+k3s1`. */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;

const hostname = () =>
  z
    .string()
    .regex(NAME, { message: "must be a DNS label: lowercase letters, digits and '-', e.g. pve-01" });
const ipv4 = () => z.ipv4({ message: "must be an IPv4 address such as 192.168.1.21" });
const exactVersion = (example: string) =>
  z.string().regex(EXACT_VERSION, { message: `must be an exact version such as ${example} (no range, no 'latest')` });
const range = () =>
  z.strictObject({
    start: ipv4().describe("First address of the range (inclusive)."),
    end: ipv4().describe("Last address of the range (inclusive)."),
  });

const networkSchema = z
  .strictObject({
    cidr: z.cidrv4({ message: "must be an IPv4 network in CIDR form, e.g. 192.168.1.0/24" }).describe("The home LAN."),
    gateway: ipv4().describe("The ISP box (default route)."),
    dnsServers: z
      .array(ipv4())
      .min(1)
      .describe("Resolvers the VMs use, and AdGuard Home's upstreams when `adguard.upstreams` is empty."),
    dhcpRange: range().describe(
      "The range the ISP box leases by DHCP. Static addresses must stay out of it: copy it from the box's settings.",
    ),
    domain: z
      .string()
      .regex(/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, {
        message: "must be a DNS domain such as home.arpa",
      })
      .describe("Apps are served at https://<app>.<domain>. `home.arpa` is reserved for home networks (RFC 8375)."),
    bridge: z.string().min(1).default("vmbr0").describe("Proxmox Linux bridge the VMs attach to."),
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
  name: hostname().describe("Proxmox node name, exactly as `pvecm nodes` shows it."),
  address: ipv4().describe("Management address of the node."),
  model: z.string().min(1).describe("Hardware model, for the plan and docs."),
  cpu: z.string().min(1).describe("CPU model, for the plan and docs."),
  threads: z.number().int().positive().describe("Hardware threads of the CPU (capacity check)."),
  memoryGiB: z.number().positive().describe("Installed RAM in GiB."),
  ssdStorage: z.string().min(1).default("local-lvm").describe("Proxmox storage on the SSD (VM OS disks)."),
  hddStorage: z.string().min(1).default("hdd").describe("Proxmox storage on the HDD (Longhorn data disks by default)."),
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
  hostReserveMiB: z
    .number()
    .int()
    .nonnegative()
    .default(3072)
    .describe("RAM kept for Proxmox itself on every node (capacity check)."),
  cpuOvercommit: z
    .number()
    .positive()
    .max(8)
    .default(2)
    .describe("How many vCPUs a hardware thread may carry across all VMs of a node."),
  snippetsDatastore: z
    .string()
    .min(1)
    .default("local")
    .describe("Directory storage with the `snippets` content type, where cloud-init user data is uploaded."),
  imageDatastore: z
    .string()
    .min(1)
    .default("local")
    .describe("Directory storage with the `iso` content type, where cloud images are downloaded."),
  sshUser: z.string().min(1).default("root").describe("SSH user the bpg provider uses to upload snippets."),
  install: proxmoxInstallSchema.prefault({}),
});

const cloudImageSchema = z.strictObject({
  url: z.url({ protocol: /^https$/, message: "must be an https:// URL of a dated (pinned) image build" }),
  checksum: z.string().regex(/^[0-9a-f]{64}([0-9a-f]{64})?$/, {
    message: "must be the image's hex SHA-256 or SHA-512 checksum from the distribution's SUMS file",
  }),
  checksumAlgorithm: z.enum(["sha256", "sha512"]),
  fileName: z
    .string()
    .regex(/^[A-Za-z0-9._-]+\.img$/, { message: "must end in .img (Proxmox stores cloud images as iso content)" }),
});

const vmDefaultsSchema = z.strictObject({
  image: z.enum(["debian-13", "ubuntu-24.04"]).default("debian-13").describe("Cloud image of the K3s VMs."),
  images: z
    .strictObject({ "debian-13": cloudImageSchema, "ubuntu-24.04": cloudImageSchema })
    .describe("Pinned image builds (URL + checksum). Renovate proposes new builds; paste the checksum from the build's SUMS file by hand."),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: "must be a Linux user name such as homelab" })
    .default("homelab")
    .describe("Admin user created by cloud-init (sudo, SSH keys only)."),
  sshPublicKeys: z
    .array(
      z
        .string()
        .regex(/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/, {
          message: "must be an OpenSSH public key line (ssh-ed25519 AAAA… comment); never put a private key here",
        }),
    )
    .min(1, { message: "add at least one SSH public key, e.g. the content of ~/.ssh/id_ed25519.pub" })
    .describe("Public keys allowed to log in to the VMs. Public keys only."),
  interface: z
    .string()
    .min(1)
    .default("ens18")
    .describe("Name of the VMs' network interface inside the guest (virtio NIC on the default i440fx machine: ens18)."),
  timezone: z.string().min(1).default("Europe/Paris"),
  ntpServers: z.array(z.string().min(1)).default(["pool.ntp.org"]),
});

const k3sServerSchema = z.strictObject({
  name: hostname().describe("VM and Kubernetes node name."),
  vmId: z.number().int().min(100).max(999999999).describe("Proxmox VM id."),
  address: ipv4().describe("Static address, set by cloud-init."),
  proxmoxNode: hostname().describe("Proxmox node the VM is pinned to."),
  cores: z.number().int().positive().default(4),
  memoryMiB: z.number().int().min(2048, { message: "K3s servers with etcd need at least 2048 MiB" }),
  osDiskGiB: z.number().int().min(16).default(40),
  dataDiskGiB: z.number().int().min(10).default(200).describe("Second disk, mounted at /var/lib/longhorn."),
  dataStorage: z
    .enum(["ssd", "hdd"])
    .default("hdd")
    .describe("Which of the node's storages holds the Longhorn disk."),
  startupOrder: z.number().int().positive().default(1).describe("Proxmox boot order on its node."),
});

const k3sSchema = z.strictObject({
  version: exactVersion("v1.35.8+k3s1").describe("Pinned K3s release. Upgrade one minor version at a time."),
  apiVip: ipv4().describe("Virtual IP of the Kubernetes API, held by kube-vip (ARP)."),
  apiHostname: hostname().default("k3s").describe("DNS label of the API: <apiHostname>.<domain> is in every server's tls-san."),
  kubeVipVersion: exactVersion("v1.2.3").describe("kube-vip image tag."),
  allowServersPerNode: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe("How many K3s servers one Proxmox node may host. More than 1 lets one host failure take etcd quorum."),
  etcdSnapshotCron: z.string().min(9).default("0 */6 * * *"),
  etcdSnapshotRetention: z.number().int().positive().default(20),
  systemReserveMiB: z
    .number()
    .int()
    .nonnegative()
    .default(1536)
    .describe("Memory each server keeps for the OS, K3s and etcd before workloads (capacity check)."),
  systemReserveMilliCpu: z.number().int().nonnegative().default(500),
  servers: z.array(k3sServerSchema).min(1).describe("K3s servers (control plane + etcd + workloads), one VM each."),
});

const piSchema = z.strictObject({
  name: hostname(),
  address: ipv4(),
  arch: z.enum(["arm64", "armhf"]).default("arm64"),
  user: z.string().min(1).default("pi").describe("SSH user Ansible logs in as."),
  backupExportPath: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]+$/, { message: "must be an absolute path such as /srv/homelab-backups" })
    .default("/srv/homelab-backups")
    .describe("NFS export for Longhorn backups and etcd snapshots."),
  secondaryDns: z.boolean().default(true).describe("Run a secondary AdGuard Home on the Pi."),
  terraformCloudAgent: z
    .boolean()
    .default(false)
    .describe("Install a Terraform Cloud agent so remote runs reach Proxmox (needs `terraformCloud`)."),
});

const loadBalancerSchema = z.strictObject({
  pool: range().describe("MetalLB address pool. Keep it outside the DHCP range."),
  ingressIp: ipv4().describe("Traefik's fixed LoadBalancer address (every https://<app>.<domain> points here)."),
  dnsIp: ipv4().describe("AdGuard Home's DNS address (TCP+UDP 53): set it as primary DNS on the ISP box."),
  gitSshIp: ipv4().describe("Gitea's SSH address (port 22)."),
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
          email: z.email(),
          publicDomain: z.string().min(3).describe("A domain you own, whose DNS the provider below serves."),
          dnsProvider: z.enum(["cloudflare"]).describe("DNS-01 solver. Its API token comes from TF_VAR_cloudflare_api_token (a sensitive variable), never from this file."),
          staging: z.boolean().default(true).describe("Use Let's Encrypt staging until it works."),
        })
        .optional()
        .describe("Let's Encrypt wildcard via DNS-01. Without it, the lab's own CA signs everything."),
    })
    .prefault({}),
  longhorn: z
    .strictObject({
      replicaCount: z.number().int().min(1).max(3).default(2),
      backupSchedule: z.string().min(9).default("0 3 * * *"),
      backupRetain: z.number().int().positive().default(14),
      snapshotSchedule: z.string().min(9).default("0 * * * *"),
      snapshotRetain: z.number().int().positive().default(24),
    })
    .prefault({}),
  apps: z
    .strictObject({
      gitea: appToggle({ storageGiB: z.number().int().positive().default(10) }).prefault({}),
      argocd: appToggle({}).prefault({}),
      grafana: appToggle({ storageGiB: z.number().int().positive().default(2) }).prefault({}),
      loki: z
        .strictObject({
          retentionDays: z.number().int().positive().default(14),
          storageGiB: z.number().int().positive().default(20),
        })
        .prefault({}),
      vaultwarden: appToggle({
        signupsAllowed: z.boolean().default(false),
        storageGiB: z.number().int().positive().default(2),
      }).prefault({}),
      adguard: appToggle({
        upstreams: z
          .array(z.string().min(1))
          .default([])
          .describe("Upstream resolvers (e.g. https://dns.quad9.net/dns-query). Empty: the LAN's dnsServers."),
      }).prefault({}),
    })
    .prefault({}),
});

const terraformCloudSchema = z.strictObject({
  organization: z.string().min(1),
  workspacePrefix: hostname().default("homelab").describe("Workspaces are <prefix>-infra, <prefix>-k3s, <prefix>-platform."),
  hostname: z.string().min(1).default("app.terraform.io"),
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
    terraformCloud: terraformCloudSchema.optional().describe("Use Terraform Cloud for state (one workspace per stack)."),
  })
  .describe("homelab: one file describes the whole lab.");

/** The validated lab, with defaults applied. Stacks and constructs receive this object. */
export type LabConfig = z.output<typeof labSchema>;
export type ProxmoxNodeConfig = LabConfig["proxmox"]["nodes"][number];
export type NodeInstallConfig = NonNullable<ProxmoxNodeConfig["install"]>;
export type K3sServerConfig = LabConfig["k3s"]["servers"][number];
export type CloudImageConfig = LabConfig["vm"]["images"]["debian-13"];
