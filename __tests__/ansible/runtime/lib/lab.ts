/**
 * The lab network and machines of the runtime harness.
 *
 * - One network namespace, `<id>-lan`, holds a bridge with the lab's subnet: it stands for the
 *   house's LAN. The download server and the controller live there, on an address of the subnet
 *   that the lab does not use.
 * - Each machine is a Debian 13 container booted by systemd-nspawn (systemd as PID 1) in a network
 *   namespace of its own, `<id>-<host>`, joined to the bridge by a veth pair whose inner end has the
 *   lab's interface name and the host's address. Its root is an overlay over the cached node
 *   image, so a machine starts in seconds and is rebuilt by wiping its upper directory.
 * - The controller is the cached controller layer over the node image, entered with chroot inside
 *   the LAN namespace, with the clone and the work directory bind-mounted at their own paths.
 *   Ansible reaches the machines with the community.docker.nsenter connection (the leader PID).
 *
 * No test traffic leaves the namespaces; nothing here touches the host's own network.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { Controller, mountsUnder } from "./controller";
import { background, exited, run, sleep, waitFor, type RunOptions, type RunResult } from "./sh";

export interface MachineSpec {
  /** Inventory hostname; also the container's machine name. */
  readonly name: string;
  /** The lab address, e.g. 192.168.1.21. */
  readonly address: string;
  /** Interface name inside the container (the lab's, e.g. ens18). */
  readonly interface: string;
  /** Files written into the machine's root before boot, path (absolute) to content. */
  readonly files: Readonly<Record<string, { readonly content: string | Buffer; readonly mode?: number }>>;
}

export interface Machine {
  readonly spec: MachineSpec;
  /** Host PID of the container's systemd (PID 1 inside): the nsenter target. */
  readonly leader: number;
  /** The booted system's state once boot finished (running or degraded). */
  readonly bootState: string;
  /** Units failed at the end of boot. */
  readonly failedAtBoot: readonly string[];
}

export class Lab {
  readonly lanNs: string;
  readonly dir: string;
  private readonly machines = new Map<string, Machine & { process: ChildProcess; root: string }>();
  private http?: ChildProcess;
  private controllerInstance?: Controller;
  private veths = 0;

  /**
   * @param id short prefix for namespace names (one lab at a time per id).
   * @param cidrPrefix the lab subnet's prefix length.
   * @param serviceAddress the LAN address of the download server and the controller.
   */
  constructor(
    readonly id: string,
    readonly workDir: string,
    readonly cidrPrefix: number,
    readonly serviceAddress: string,
    private readonly images: { node: string; controller: string },
  ) {
    this.lanNs = `${id}-lan`;
    this.dir = join(workDir, "lab");
  }

  /** Removes what a previous, interrupted run with the same id left behind. */
  cleanStale(): void {
    // Containers and the download server of a run that was interrupted or kept (HOMELAB_RUNTIME_KEEP).
    const httpPid = Number(readIfExists(join(this.dir, "http.pid")).trim());
    const stale = [...processesMentioning(this.dir + "/"), ...(httpPid && !exited(httpPid) ? [httpPid] : [])];
    for (const pid of stale) run(["kill", "-TERM", String(pid)], { allowFailure: true });
    if (stale.length) {
      try {
        waitFor("the previous run's processes to exit", 30, () => (stale.every(exited) ? true : undefined));
      } catch {
        for (const pid of stale) run(["kill", "-KILL", String(pid)], { allowFailure: true });
        sleep(1000);
      }
    }
    for (const target of mountsUnder(this.dir)) run(["umount", "-l", target], { allowFailure: true });
    for (const ns of listNetns().filter((n) => n === this.lanNs || n.startsWith(`${this.id}-`))) run(["ip", "netns", "del", ns], { allowFailure: true });
    for (const root of cgroupRoots()) removeCgroupTree(join(root, "homelab-runtime"));
    // The controller bind-mounts the clone: never delete through a mount that is still there.
    const left = mountsUnder(this.dir);
    if (left.length) throw new Error(`runtime lab: still mounted, not deleting ${this.dir}: ${left.join(", ")}`);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The LAN: a namespace with a bridge carrying the service address. */
  createNetwork(): void {
    mkdirSync(this.dir, { recursive: true });
    run(["ip", "netns", "add", this.lanNs]);
    this.ipIn(this.lanNs, "link", "set", "lo", "up");
    this.ipIn(this.lanNs, "link", "add", "br0", "type", "bridge");
    this.ipIn(this.lanNs, "addr", "add", `${this.serviceAddress}/${this.cidrPrefix}`, "dev", "br0");
    this.ipIn(this.lanNs, "link", "set", "br0", "up");
  }

  private ipIn(ns: string, ...args: string[]): void {
    run(["ip", "-n", ns, ...args]);
  }

  /** Serves `dir` over HTTP on the service address (the stand-in of GitHub and HashiCorp releases). */
  startHttp(dir: string, port: number, log: string): string {
    this.http = background(
      ["ip", "netns", "exec", this.lanNs, "python3", "-u", "-m", "http.server", String(port), "--bind", this.serviceAddress, "--directory", dir],
      log,
    );
    writeFileSync(join(this.dir, "http.pid"), String(this.http.pid));
    const url = `http://${this.serviceAddress}:${port}`;
    waitFor(`the download server on ${url}`, 20, () =>
      run(["ip", "netns", "exec", this.lanNs, "python3", "-c", `import socket; socket.create_connection(("${this.serviceAddress}", ${port}), 1)`], {
        allowFailure: true,
      }).status === 0
        ? true
        : undefined,
    );
    return url;
  }

  /** Boots machines, all at once; returns when each has finished booting. */
  bootAll(specs: readonly MachineSpec[]): Machine[] {
    const starting = specs.map((spec) => this.start(spec));
    return starting.map((s) => this.waitBooted(s));
  }

  private start(spec: MachineSpec): { spec: MachineSpec; child: ChildProcess; root: string; log: string } {
    const base = join(this.dir, "machines", spec.name);
    const [upper, work, root] = ["upper", "work", "root"].map((d) => join(base, d));
    for (const d of [upper, work, root]) mkdirSync(d, { recursive: true });
    run(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${this.images.node},upperdir=${upper},workdir=${work}`, root]);
    for (const [path, file] of Object.entries(spec.files)) {
      const target = join(root, path);
      mkdirSync(join(target, ".."), { recursive: true });
      writeFileSync(target, file.content, { mode: file.mode ?? 0o644 });
    }

    const ns = `${this.id}-${spec.name}`.slice(0, 40);
    if (!listNetns().includes(ns)) {
      run(["ip", "netns", "add", ns]);
      // The veth's outer end is named after the machine's index: interface names are 15 bytes at most.
      const outer = `v${this.id}${this.veths++}`.slice(0, 15);
      this.ipIn(this.lanNs, "link", "add", outer, "type", "veth", "peer", "name", spec.interface, "netns", ns);
      this.ipIn(this.lanNs, "link", "set", outer, "master", "br0", "up");
      this.ipIn(ns, "link", "set", "lo", "up");
      this.ipIn(ns, "addr", "add", `${spec.address}/${this.cidrPrefix}`, "dev", spec.interface);
      this.ipIn(ns, "link", "set", spec.interface, "up");
    }

    const log = join(base, "console.log");
    // --keep-unit (no systemd on the host) puts the container in the caller's cgroup: each
    // machine gets its own first, or the containers' systemd would share (and fight over) one
    // cgroup tree, failing units at random with Result=resources.
    const cgroups = cgroupRoots().map((root) => join(root, "homelab-runtime", spec.name));
    const child = background(
      [
        "/bin/sh", "-c", 'for d in "$@"; do [ "$d" = -- ] && break; mkdir -p "$d" && echo $$ > "$d/cgroup.procs"; shift; done; shift; exec "$@"',
        "sh", ...cgroups, "--",
        "systemd-nspawn", "--quiet", "--boot", `--directory=${root}`, `--machine=${spec.name}`,
        `--network-namespace-path=/run/netns/${ns}`, "--register=no", "--keep-unit", "--console=pipe",
      ],
      log,
    );
    return { spec, child, root, log };
  }

  private waitBooted({ spec, child, root, log }: { spec: MachineSpec; child: ChildProcess; root: string; log: string }): Machine {
    const leader = waitFor(`${spec.name}'s systemd`, 30, () => {
      if (exited(child.pid!)) throw new Error(`systemd-nspawn for ${spec.name} exited: see ${log}`);
      const kids = readIfExists(`/proc/${child.pid}/task/${child.pid}/children`).trim().split(/\s+/).filter(Boolean).map(Number);
      return kids.find((pid) => readIfExists(`/proc/${pid}/comm`).trim() === "systemd");
    });
    const state = waitFor(`${spec.name} to finish booting`, 180, () => {
      const out = run(["nsenter", "-t", String(leader), "-a", "systemctl", "is-system-running"], { allowFailure: true }).stdout.trim();
      return ["running", "degraded"].includes(out) ? out : undefined;
    }, 1000);
    const failed = run(["nsenter", "-t", String(leader), "-a", "systemctl", "list-units", "--failed", "--plain", "--no-legend"], { allowFailure: true })
      .stdout.split("\n")
      .map((line) => line.trim().split(/\s+/)[0])
      .filter(Boolean);
    const machine = { spec, leader, bootState: state, failedAtBoot: failed, process: child, root };
    this.machines.set(spec.name, machine);
    return machine;
  }

  machine(name: string): Machine {
    const found = this.machines.get(name);
    if (!found) throw new Error(`no machine ${name} in the lab`);
    return found;
  }

  all(): Machine[] {
    return [...this.machines.values()];
  }

  /** Runs a command inside a machine (all its namespaces). */
  exec(name: string, argv: readonly string[], options: RunOptions = {}): RunResult {
    return run(["nsenter", "-t", String(this.machine(name).leader), "-a", ...argv], options);
  }

  /** Powers a machine off; with wipe, its disk (overlay upper) is discarded: a rebuilt VM. */
  stop(name: string, { wipe }: { wipe: boolean }): void {
    const machine = this.machines.get(name);
    if (!machine) return;
    run(["nsenter", "-t", String(machine.leader), "-a", "systemctl", "poweroff", "--no-block"], { allowFailure: true });
    try {
      waitFor(`${name} to power off`, 60, () => (exited(machine.process.pid!) ? true : undefined));
    } catch {
      run(["kill", "-KILL", String(machine.process.pid)], { allowFailure: true });
      sleep(1000);
    }
    run(["umount", machine.root], { allowFailure: true });
    this.machines.delete(name);
    if (wipe) {
      const base = join(this.dir, "machines", name);
      rmSync(join(base, "upper"), { recursive: true, force: true });
      rmSync(join(base, "work"), { recursive: true, force: true });
    }
  }

  /** The controller, in the LAN namespace (created on first use; the binds are fixed then). */
  controller(binds: readonly string[]): Controller {
    this.controllerInstance ??= new Controller(this.images, join(this.dir, "controller"), binds, this.lanNs);
    return this.controllerInstance;
  }

  /** Powers everything off and removes mounts and namespaces. */
  close(): void {
    for (const name of [...this.machines.keys()]) this.stop(name, { wipe: false });
    this.controllerInstance?.close();
    this.cleanStale();
  }
}

/** PIDs (not this process) whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .filter((pid) => readIfExists(`/proc/${pid}/cmdline`).includes(text))
    .map(Number);
}

/** Writable cgroup hierarchies a process must be placed in (hybrid: unified and name=systemd; v2: the root). */
function cgroupRoots(): string[] {
  const hybrid = ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd"].filter((d) => existsSync(join(d, "cgroup.procs")));
  if (hybrid.length) return hybrid;
  return existsSync("/sys/fs/cgroup/cgroup.procs") ? ["/sys/fs/cgroup"] : [];
}

/** Removes a cgroup and its children, deepest first (rmdir only works on empty cgroups). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
  try {
    rmdirSync(dir);
  } catch {
    // Still in use (a process left behind): kept, reported by the next boot if it matters.
  }
}

function listNetns(): string[] {
  return existsSync("/run/netns") ? readdirSync("/run/netns") : [];
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
