/**
 * What the runtime converge boots, applies and asserts: data, read by converge.ts. The machines
 * are the hosts of the inventory generated from the lab fixture, in the groups below; each group
 * says how its hosts are booted and what is asserted on them. See converge.ts's header for how to
 * add a host, a play or an assertion.
 */

/** A fixture file copied into a machine before it boots. */
export interface StandIn {
  /** Path inside the machine. */
  readonly path: string;
  /** File under fixtures/. */
  readonly fixture: string;
  readonly mode?: number;
  /** What it stands for and why, printed with the steps not exercised. */
  readonly note: string;
}

/** How the hosts of one inventory group become machines, and what is asserted on them. */
export interface HostProfile {
  /** Inventory group (the generated inventory's) whose hosts get this profile. */
  readonly group: string;
  /** Boot with the infra stack's cloud-init snippet of the host as the NoCloud seed (the VMs). */
  readonly cloudInitSeed: boolean;
  readonly standIns: readonly StandIn[];
  /** Units a container cannot run, allowed to be failed after boot, with the reason. */
  readonly expectedBootFailures: Readonly<Record<string, string>>;
  /** Units that must be active after each converge run (`systemctl is-active`). */
  readonly services: readonly string[];
  /** Timers that must be active and scheduled (`systemctl list-timers`). */
  readonly timers: readonly string[];
  /** Assertion playbooks (under verify/) run against the group after the second run. */
  readonly verify: readonly string[];
}

/**
 * One ansible-playbook run per round, limited to the booted machines. Plays of one lane run in
 * order; lanes run side by side, so plays of different lanes must not share hosts.
 */
export interface Play {
  /** Under ansible/playbooks/. */
  readonly playbook: string;
  readonly lane: string;
}

const NFS_KERNEL = "NFS kernel filesystems (nfsd, rpc_pipefs) do not exist in a container";

export const PROFILES: readonly HostProfile[] = [
  {
    group: "server",
    cloudInitSeed: true,
    standIns: [
      {
        path: "/etc/systemd/system/qemu-guest-agent.service",
        fixture: "stand-in-qemu-guest-agent.service",
        note: "qemu-guest-agent: a stand-in unit (a container has no virtio-serial port); runcmd must start it",
      },
      {
        path: "/etc/systemd/system/iscsid.service.d/zz-runtime-test-stand-in.conf",
        fixture: "stand-in-iscsid.conf",
        note: "iscsid: Debian's unit with a stand-in daemon (no iSCSI netlink in a container); runcmd must enable and start it",
      },
    ],
    expectedBootFailures: {
      "proc-fs-nfsd.mount": NFS_KERNEL,
      "run-rpc_pipefs.mount": NFS_KERNEL,
    },
    services: ["k3s.service", "qemu-guest-agent.service", "iscsid.service"],
    timers: ["homelab-etcd-backup-copy.timer"],
    verify: ["cloud-init.yml", "k3s-server.yml", "etcd-backup-copy.yml"],
  },
  {
    group: "raspberry_pi",
    cloudInitSeed: false,
    standIns: [],
    expectedBootFailures: {
      "proc-fs-nfsd.mount": NFS_KERNEL,
      "run-rpc_pipefs.mount": NFS_KERNEL,
    },
    services: ["adguardhome.service", "tfc-agent.service"],
    timers: [],
    verify: ["rpi.yml"],
  },
];

export const PLAYS: readonly Play[] = [
  { playbook: "rpi.yml", lane: "pi" },
  // site.yml imports backups.yml; backups.yml also runs on its own, as the README documents it.
  { playbook: "site.yml", lane: "k3s" },
  { playbook: "backups.yml", lane: "k3s" },
];

/** Tags the containers cannot run (see the roles' tag comments); their tasks are listed, not run. */
export const SKIP_TAGS = ["needs_kernel", "needs_cluster"];

/** Release assets the download server serves in place of GitHub's and HashiCorp's. */
export const DOWNLOAD_NOTES = [
  "k3s binary: fixtures/stand-in-k3s.py (no Kubernetes: node Ready, kube-vip election, kubeconfig on the VIP not exercised)",
  "AdGuard Home release: fixtures/stand-in-adguardhome.py in an arm64-named archive, checked against the test's checksums.txt (the pinned upstream hash is not)",
  "tfc-agent release: fixtures/stand-in-tfc-agent.sh in the release zip, checked against the test's SHA256SUMS",
  "kubectl for the tfc-agent's runs: the same stand-in K3s binary under its arm64 name, checked against the test's sha256sum list",
];
