/**
 * The Debian 13 controller: the cached controller layer (ansible-core 2.19, ansible-lint 25,
 * cloud-init) over the node image, mounted as an overlay and entered with chroot. Directories the
 * commands need (the clone, a work directory) are bind-mounted at their own paths, so every path
 * means the same inside and out. Optionally inside a network namespace (the runtime lab's LAN).
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run, type RunOptions, type RunResult } from "./sh";

const shellQuote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

export class Controller {
  private root?: string;

  /**
   * @param dir scratch directory for the overlay (removed by close()).
   * @param binds host directories made visible at the same path.
   * @param netns network namespace to run in (none: the host's network).
   */
  constructor(
    private readonly images: { node: string; controller: string },
    readonly dir: string,
    private readonly binds: readonly string[],
    private readonly netns?: string,
  ) {}

  private mount(): string {
    if (this.root) return this.root;
    const [upper, work, root] = ["upper", "work", "root"].map((d) => join(this.dir, d));
    for (const d of [upper, work, root]) mkdirSync(d, { recursive: true });
    run(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${this.images.controller}:${this.images.node},upperdir=${upper},workdir=${work}`, root]);
    // nsenter needs the host's /proc (the machines' PIDs); /dev and /sys for Python and Ansible.
    for (const [fs, target] of [["proc", "proc"], ["sysfs", "sys"]]) run(["mount", "-t", fs, fs, join(root, target)]);
    run(["mount", "--bind", "/dev", join(root, "dev")]);
    for (const dir of this.binds) {
      mkdirSync(join(root, dir), { recursive: true });
      run(["mount", "--bind", dir, join(root, dir)]);
    }
    this.root = root;
    return root;
  }

  /** The host command that runs argv on the controller, in `cwd`, with only `env` (and PATH, HOME, LANG). */
  command(argv: readonly string[], options: { cwd: string; env?: Record<string, string> }): string[] {
    const root = this.mount();
    const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const script = `cd ${shellQuote(options.cwd)} && exec ${argv.map(shellQuote).join(" ")}`;
    const chroot = ["chroot", root, "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8", ...env, "/bin/sh", "-c", script];
    return this.netns ? ["ip", "netns", "exec", this.netns, ...chroot] : chroot;
  }

  /** Runs argv on the controller; with `log`, its output goes there too. */
  run(argv: readonly string[], options: RunOptions & { cwd: string }): RunResult {
    return run(this.command(argv, options), { ...options, env: undefined, cwd: undefined });
  }

  /** Unmounts everything and removes the scratch directory (never through a mount still there). */
  close(): void {
    for (const target of mountsUnder(this.dir)) run(["umount", "-l", target], { allowFailure: true });
    const left = mountsUnder(this.dir);
    if (left.length) throw new Error(`controller: still mounted, not deleting ${this.dir}: ${left.join(", ")}`);
    rmSync(this.dir, { recursive: true, force: true });
    this.root = undefined;
  }
}

/** Mount points under dir, deepest first. */
export function mountsUnder(dir: string): string[] {
  return readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => (line.split(" ")[1] ?? "").replace(/\\040/g, " "))
    .filter((target) => target.startsWith(dir + "/"))
    .sort((a, b) => b.length - a.length);
}
