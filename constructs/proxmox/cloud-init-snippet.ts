import { Construct } from "constructs";
import type { Precondition } from "cdktf";
import { stringify } from "yaml";
import { VirtualEnvironmentFile } from "../../.gen/providers/proxmox/virtual-environment-file";
import { DNS_LABEL, LINUX_USER, SSH_PUBLIC_KEY } from "../../config/formats";
import { resourceAddress } from "../resource-address";

/** Packages every K3s node needs before Ansible runs (phase 3) and Longhorn starts (phase 4). */
export const BASE_PACKAGES = [
  // Proxmox talks to the guest through it: clean shutdowns, fs-freeze during backups, fstrim.
  "qemu-guest-agent",
  // Longhorn attaches volumes over iSCSI (iscsid must run) and serves RWX volumes over NFSv4.
  "open-iscsi",
  "nfs-common",
  // etcd and TLS hate clock skew; chrony is what cloud-init's `ntp` module configures below.
  "chrony",
] as const;


/** What the first boot of a K3s VM needs to know. */
export interface CloudInitUserDataInput {
  /** Host name (a DNS label), also the VM name. */
  readonly hostname: string;
  /** DNS domain: the FQDN is `<hostname>.<domain>`. */
  readonly domain: string;
  /** Admin user created with passwordless sudo and SSH keys only. */
  readonly adminUser: string;
  /** OpenSSH public key lines allowed to log in as the admin user. */
  readonly sshPublicKeys: readonly string[];
  /** IANA time zone, e.g. `Europe/Paris`. */
  readonly timezone: string;
  /** NTP servers chrony syncs with, each a `pool` (a name that resolves to several servers, or one address). */
  readonly ntpServers: readonly string[];
}

/**
 * chrony.conf as cloud-init writes it (a Jinja template that cloud-init fills with `pools`).
 * cloud-init's own Debian template drops Debian's includes, so this one is Debian 13's
 * /etc/chrony/chrony.conf with the lab's pools instead of 2.debian.pool.ntp.org: DHCP-provided
 * servers (/run/chrony-dhcp), sources.d and conf.d drop-ins keep working. Ubuntu 24.04's
 * chrony.conf has the same includes. `leapseclist` is left out: chrony 4.5 (Ubuntu 24.04) does
 * not know it, and without it chrony takes leap seconds from its sources.
 * See https://cloudinit.readthedocs.io/en/latest/reference/modules.html#ntp
 */
export const CHRONY_CONF_TEMPLATE = [
  "## template:jinja",
  "# Written by cloud-init from the homelab snippet (Debian's chrony.conf, the lab's NTP pools).",
  "{% for pool in pools -%}",
  "pool {{ pool }} iburst",
  "{% endfor -%}",
  "sourcedir /run/chrony-dhcp",
  "sourcedir /etc/chrony/sources.d",
  "keyfile /etc/chrony/chrony.keys",
  "driftfile /var/lib/chrony/chrony.drift",
  "ntsdumpdir /var/lib/chrony",
  "logdir /var/log/chrony",
  "maxupdateskew 100.0",
  "rtcsync",
  "makestep 1 3",
  "confdir /etc/chrony/conf.d",
  "",
].join("\n");

/**
 * Renders the `#cloud-config` user data of a K3s VM: a pure function (same input, same bytes), so
 * the snapshot diff shows exactly what a config change does to first boot.
 *
 * Network settings are not here on purpose: Proxmox generates the network-config from the VM's
 * `initialization.ip_config`, so the address lives in one place (the config) and is visible in the
 * Proxmox UI. See https://cloudinit.readthedocs.io/en/latest/reference/modules.html
 */
export function renderCloudInitUserData(input: CloudInitUserDataInput): string {
  if (!DNS_LABEL.test(input.hostname)) {
    throw new Error(`cloud-init: hostname "${input.hostname}" is not a DNS label; use lowercase letters, digits and '-', e.g. k3s-master-1`);
  }
  if (!LINUX_USER.test(input.adminUser)) {
    throw new Error(`cloud-init: adminUser "${input.adminUser}" is not a Linux user name; use e.g. homelab`);
  }
  if (input.sshPublicKeys.length === 0) {
    throw new Error(`cloud-init: ${input.hostname} has no SSH public key; nobody could log in (passwords are off). Add one to vm.sshPublicKeys`);
  }
  for (const key of input.sshPublicKeys) {
    if (/PRIVATE KEY/.test(key) || !SSH_PUBLIC_KEY.test(key)) {
      throw new Error(
        `cloud-init: "${key.slice(0, 24)}…" is not an OpenSSH public key line; put only public keys (ssh-ed25519 AAAA… comment) in vm.sshPublicKeys`,
      );
    }
  }
  if (input.ntpServers.length === 0) {
    throw new Error(`cloud-init: ${input.hostname} has no NTP server; etcd needs synchronized clocks. Set vm.ntpServers, e.g. [pool.ntp.org]`);
  }
  const userData = {
    hostname: input.hostname,
    fqdn: `${input.hostname}.${input.domain}`,
    // /etc/hosts maps the hostname to itself, so `hostname -f` works before DNS knows the VM.
    manage_etc_hosts: true,
    // Only our admin user: no distro default user (debian/ubuntu) left without keys.
    users: [
      {
        name: input.adminUser,
        groups: ["sudo"],
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        // No password at all: the account cannot log in on the console or over SSH with one.
        lock_passwd: true,
        ssh_authorized_keys: [...input.sshPublicKeys],
      },
    ],
    disable_root: true,
    ssh_pwauth: false,
    package_update: true,
    packages: [...BASE_PACKAGES],
    timezone: input.timezone,
    // `pools`, not `servers`: cloud-init writes each server as one `server` line, so pool.ntp.org
    // would give a single address instead of a pool of them.
    ntp: {
      enabled: true,
      ntp_client: "chrony",
      pools: [...input.ntpServers],
      config: { confpath: "/etc/chrony/chrony.conf", template: CHRONY_CONF_TEMPLATE },
    },
    // runcmd is one shell script: `set -eu` makes any failed command fail it (and cloud-init's
    // status), not only the last one. iscsid is only socket-activated on Debian and Longhorn checks
    // for the running daemon: enable and start it. qemu-guest-agent's unit is static (a udev rule
    // starts it when its virtio port appears, which happened at boot, before the package existed),
    // so `enable` does nothing for it: start it.
    runcmd: ["set -eu", "systemctl enable --now iscsid", "systemctl start qemu-guest-agent"],
  };
  return `#cloud-config\n${stringify(userData, { lineWidth: 0 })}`;
}

export interface CloudInitSnippetProps extends CloudInitUserDataInput {
  /** Proxmox node of the VM: snippets are node-local files, the VM can only read its own node's. */
  readonly proxmoxNode: string;
  /** Directory storage with the `snippets` content type (the pve-cluster playbook enables it on `local`). */
  readonly datastoreId: string;
}

/**
 * The cloud-init user data of one VM, uploaded as a snippet to the VM's node (over SSH: snippets
 * cannot go through the Proxmox API). The VM references it with `initialization.user_data_file_id`.
 *
 * @example
 * new CloudInitSnippet(this, "k3s-master-1-cloud-init", {
 *   hostname: "k3s-master-1", domain: "home.arpa", adminUser: "homelab", sshPublicKeys: [key],
 *   timezone: "Europe/Paris", ntpServers: ["pool.ntp.org"], proxmoxNode: "pve-01", datastoreId: "local",
 * });
 */
export class CloudInitSnippet extends Construct {
  public readonly file: VirtualEnvironmentFile;
  /** Volume id of the snippet, e.g. `local:snippets/k3s-master-1-user-data.yaml`. */
  public readonly fileId: string;
  public readonly proxmoxNode: string;
  /** The rendered `#cloud-config` document. */
  public readonly userData: string;

  constructor(scope: Construct, id: string, props: CloudInitSnippetProps) {
    super(scope, id);
    if (!props.datastoreId) {
      throw new Error(`CloudInitSnippet ${id}: datastoreId is empty; name a directory storage with the snippets content type, e.g. local`);
    }
    this.userData = renderCloudInitUserData(props);
    this.proxmoxNode = props.proxmoxNode;
    this.file = new VirtualEnvironmentFile(this, "user-data", {
      contentType: "snippets",
      datastoreId: props.datastoreId,
      nodeName: props.proxmoxNode,
      // Terraform reads `${` and `%{` in any string as a template: escape them so a key comment
      // cannot turn into an interpolation.
      sourceRaw: { data: escapeTerraformTemplate(this.userData), fileName: `${props.hostname}-user-data.yaml` },
    });
    this.fileId = this.file.id;
  }

  /**
   * A precondition for the VM that boots from this snippet: its plan fails with `errorMessage`
   * while the uploaded user data contains `text`. Terraform evaluates it when planning (the data
   * is part of the configuration), so nothing is created first.
   */
  public mustNotContain(text: string, errorMessage: string): Precondition {
    if (!/^[\x20-\x7e]+$/.test(text)) {
      throw new Error(`CloudInitSnippet ${this.node.id}: mustNotContain text "${text}" must be printable ASCII`);
    }
    const data = resourceAddress(this.file, "source_raw[0].data");
    return { condition: `\${!strcontains(${data}, ${escapeTerraformTemplate(JSON.stringify(text))})}`, errorMessage };
  }
}

/** `${` -> `$${` and `%{` -> `%%{`: Terraform's escapes for a literal template opener. */
export function escapeTerraformTemplate(text: string): string {
  return text.replace(/\$\{/g, "$$${").replace(/%\{/g, "%%{");
}
