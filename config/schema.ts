/**
 * The lab config: one declarative file (`homelab.yaml`) is the single source of truth for node
 * names, VM ids, addresses, pools, versions and hostnames. This module types it and checks the
 * shape of every field; cross-field rules (overlaps, capacity, quorum) live in `rules.ts`.
 *
 * Unknown keys are refused everywhere (strict objects): a typo must not silently become a default.
 */
import { z } from "zod";

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

const proxmoxNodeSchema = z.strictObject({
  name: hostname().describe("Proxmox node name, exactly as `pvecm nodes` shows it."),
  address: ipv4().describe("Management address of the node."),
  model: z.string().min(1).describe("Hardware model, for the plan and docs."),
  cpu: z.string().min(1).describe("CPU model, for the plan and docs."),
  threads: z.number().int().positive().describe("Hardware threads of the CPU (capacity check)."),
  memoryGiB: z.number().positive().describe("Installed RAM in GiB."),
  ssdStorage: z.string().min(1).default("local-lvm").describe("Proxmox storage on the SSD (VM OS disks)."),
  hddStorage: z.string().min(1).default("hdd").describe("Proxmox storage on the HDD (Longhorn data disks by default)."),
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
      instanceManagerCpuPercent: z
        .number()
        .int()
        .min(0)
        .max(40)
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
      ntfy: appToggle({
        storageGiB: z.number().int().positive().default(1).describe("Message cache and user database."),
      })
        .prefault({})
        .describe("Self-hosted ntfy: push notifications for the lab's alerts (phone app, web)."),
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
export type K3sServerConfig = LabConfig["k3s"]["servers"][number];
export type CloudImageConfig = LabConfig["vm"]["images"]["debian-13"];
