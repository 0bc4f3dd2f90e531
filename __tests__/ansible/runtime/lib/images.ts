/**
 * Debian 13 root filesystems of the runtime harness, built with debootstrap from the Debian mirror
 * apt already uses and cached outside the clone (HOMELAB_CI_CACHE, default /var/cache/homelab-ci):
 *
 * - the node image: what the cloud image and the Pi have before Ansible runs (systemd, python3,
 *   sudo, cloud-init, the snippet's packages) plus the packages the roles install. The lab network
 *   has no mirror, so the roles' apt tasks find their packages installed; the image has no apt
 *   sources, which keeps `apt-get update` (cloud-init's package_update) offline and successful.
 * - the controller layer: Debian 13's ansible and ansible-lint (ansible-core 2.19, ansible-lint 25),
 *   as an overlay layer over the node image, used through chroot.
 *
 * A cache entry is named after a hash of what it contains, so changing a package list builds a new
 * one; an entry is built in a scratch directory and renamed when complete.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, runLogged } from "./sh";

export const SUITE = "trixie";

/** debootstrap --include: what a minbase system needs to boot with systemd as PID 1. */
const BOOT_PACKAGES = ["systemd", "systemd-sysv", "dbus", "python3"];

/** What the VMs and the Pi have before Ansible runs, and what the roles install. */
export const NODE_PACKAGES = [
  // Ansible's needs on the target: become, the apt module.
  "sudo", "python3-apt",
  // The cloud image: cloud-init and what the snippet installs (constructs/proxmox/cloud-init-snippet.ts).
  "cloud-init", "openssh-server", "qemu-guest-agent", "open-iscsi", "nfs-common", "chrony",
  // What the roles of the runtime plays install (runtime-harness.test.ts checks this list covers
  // them): node_prereqs, etcd_backup_copy, nfs_backup_target, node_exporter, blackbox_exporter,
  // offsite_backup (restic, etcdctl for the drill, ssh for sftp), tfc_agent and what its runs use.
  "apparmor", "kmod", "e2fsprogs", "rsync", "nfs-kernel-server", "unzip",
  "prometheus-node-exporter", "prometheus-blackbox-exporter",
  "restic", "etcd-client", "openssh-client",
  "ansible", "git", "curl",
  // Inspection by the assertions.
  "iproute2", "procps", "ca-certificates",
];

export const CONTROLLER_PACKAGES = ["ansible", "ansible-lint"];

// Bump when the build steps change in a way the package lists do not show.
const BUILD_VERSION = 2;

export interface Images {
  /** The node image (a complete root filesystem). */
  readonly node: string;
  /** The controller layer (an overlay upper directory over the node image). */
  readonly controller: string;
  /** Whether this call built anything (false: both came from the cache). */
  readonly built: boolean;
}

export function cacheDir(): string {
  return process.env.HOMELAB_CI_CACHE || "/var/cache/homelab-ci";
}

const hash = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 12);

/** The Debian mirror apt is configured with (deb822 or one-line sources), else deb.debian.org. */
export function debianMirror(): string {
  const files = ["/etc/apt/sources.list", ...listDir("/etc/apt/sources.list.d").map((f) => `/etc/apt/sources.list.d/${f}`)];
  for (const file of files) {
    const text = existsSync(file) ? readFileSync(file, "utf8") : "";
    const uri = text.match(/^URIs:\s*(\S+\/debian)\/?\s*$/m)?.[1] ?? text.match(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s/m)?.[1];
    if (uri) return uri;
  }
  return "http://deb.debian.org/debian";
}

function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** The node image and controller layer, from the cache or built now (a few minutes). */
export function ensureImages(log: (line: string) => void): Images {
  const root = join(cacheDir(), "rootfs");
  mkdirSync(root, { recursive: true });
  const nodeKey = hash({ SUITE, BOOT_PACKAGES, NODE_PACKAGES, BUILD_VERSION });
  const node = join(root, `debian-13-node-${nodeKey}`);
  const controller = join(root, `debian-13-controller-${hash({ nodeKey, CONTROLLER_PACKAGES, BUILD_VERSION })}`);
  let built = false;
  if (!existsSync(node)) {
    buildNode(node, log);
    built = true;
  }
  if (!existsSync(controller)) {
    buildController(controller, node, log);
    built = true;
  }
  return { node, controller, built };
}

function scratch(target: string): string {
  const dir = `${target}.build-${process.pid}`;
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

/** Runs a shell script in a chroot with /proc, the host's resolver and no service starts. */
function inChroot(dir: string, script: string, logFile: string): void {
  writeFileSync(join(dir, "etc/resolv.conf"), readFileSync("/etc/resolv.conf"));
  // Build speed: no fsync per file, no documentation (about a third of the files unpacked).
  writeFileSync(
    join(dir, "etc/dpkg/dpkg.cfg.d/homelab-ci-build"),
    ["force-unsafe-io", "path-exclude=/usr/share/doc/*", "path-exclude=/usr/share/man/*", "path-exclude=/usr/share/locale/*", "path-include=/usr/share/locale/locale.alias", ""].join("\n"),
  );
  // As in any image build: packages must not start services inside the chroot.
  writeFileSync(join(dir, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  run(["mount", "-t", "proc", "proc", join(dir, "proc")]);
  try {
    runLogged(["chroot", dir, "/bin/sh", "-euc", script], logFile, { env: { DEBIAN_FRONTEND: "noninteractive", LC_ALL: "C.UTF-8" } });
  } finally {
    run(["umount", join(dir, "proc")]);
    rmSync(join(dir, "usr/sbin/policy-rc.d"), { force: true });
    rmSync(join(dir, "etc/dpkg/dpkg.cfg.d/homelab-ci-build"), { force: true });
  }
}

const OFFLINE = [
  // The lab network has no mirror: no sources, no lists (apt-get update then succeeds offline).
  "rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*",
  "rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin",
  "apt-get clean",
  ": > /etc/resolv.conf",
].join("\n");

function buildNode(target: string, log: (line: string) => void): void {
  const dir = scratch(target);
  const logFile = `${target}.log`;
  const mirror = debianMirror();
  const started = Date.now();
  log(`debootstrap ${SUITE} (minbase) from ${mirror}: the node image (log: ${logFile})`);
  writeFileSync(logFile, "");
  runLogged(["debootstrap", "--variant=minbase", `--include=${BOOT_PACKAGES.join(",")}`, SUITE, dir, mirror], logFile);
  inChroot(
    dir,
    [
      `echo 'deb ${mirror} ${SUITE} main' > /etc/apt/sources.list`,
      "apt-get update -qq",
      `apt-get install -y -qq --no-install-recommends ${NODE_PACKAGES.join(" ")}`,
      OFFLINE,
      // Each container gets its hostname from cloud-init or nspawn, its machine id at first boot.
      "rm -f /etc/hostname",
      ": > /etc/machine-id",
    ].join("\n"),
    logFile,
  );
  renameSync(dir, target);
  log(`node image cached in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
}

function buildController(target: string, node: string, log: (line: string) => void): void {
  const dir = scratch(target);
  const logFile = `${target}.log`;
  const mirror = debianMirror();
  const started = Date.now();
  log(`apt-get install ${CONTROLLER_PACKAGES.join(" ")} over the node image: the controller layer (log: ${logFile})`);
  writeFileSync(logFile, "");
  const upper = join(dir, "upper");
  const work = join(dir, "work");
  const merged = join(dir, "merged");
  for (const d of [upper, work, merged]) mkdirSync(d, { recursive: true });
  run(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${node},upperdir=${upper},workdir=${work}`, merged]);
  try {
    inChroot(
      merged,
      [
        `echo 'deb ${mirror} ${SUITE} main' > /etc/apt/sources.list`,
        "apt-get update -qq",
        `apt-get install -y -qq --no-install-recommends ${CONTROLLER_PACKAGES.join(" ")}`,
        OFFLINE,
      ].join("\n"),
      logFile,
    );
  } finally {
    run(["umount", merged]);
  }
  renameSync(upper, `${dir}.layer`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(`${dir}.layer`, target);
  log(`controller layer cached in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
}
