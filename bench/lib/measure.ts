/**
 * Timing helpers for the bench scripts: run a command, measure its wall time and the peak
 * resident memory of its biggest process, repeat, take medians, print tables.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";

export interface Measurement {
  readonly seconds: number;
  /** Peak RSS of the largest process of the command, MiB. */
  readonly peakMiB: number;
  /** User + system CPU time of the command and its children: steadier than wall time on a busy machine. */
  readonly cpuSeconds: number;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Fail loudly on a non-zero exit (default), or return the measurement. */
  readonly allowFailure?: boolean;
}

const GNU_TIME = "/usr/bin/time";
const PEAK_RSS_HOOK = join(__dirname, "peak-rss.cjs");

/**
 * How peak memory is measured: GNU time (`%M`, the largest process of the tree that was waited
 * for) when installed (Debian package `time`), else a preload that makes every Node process of
 * the command report its own peak (`process.resourceUsage().maxRSS`).
 */
export const MEMORY_METHOD = existsSync(GNU_TIME) ? "GNU time %M" : "Node preload (process.resourceUsage)";

export function run(command: string, args: readonly string[], options: RunOptions): Measurement {
  const scratch = mkdtempSync(join(tmpdir(), "homelab-bench-"));
  try {
    const report = join(scratch, "rss");
    const env = { ...process.env, ...options.env };
    let file = command;
    let argv = [...args];
    if (existsSync(GNU_TIME)) {
      file = GNU_TIME;
      argv = ["-f", "%M %U %S", "-o", report, command, ...args];
    } else {
      env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ""} --require ${PEAK_RSS_HOOK}`.trim();
      env.BENCH_RSS_FILE = report;
    }
    const started = process.hrtime.bigint();
    const child = spawnSync(file, argv, { cwd: options.cwd, env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (child.error) throw child.error;
    // GNU time: one "maxKiB user sys" line; the preload: one "pid maxKiB user sys" line per process.
    const lines = existsSync(report)
      ? readFileSync(report, "utf8").split("\n").map((l) => l.trim().split(/\s+/).map(Number)).filter((f) => f.length >= 3 && f.every((n) => !Number.isNaN(n)))
      : [];
    const kib = Math.max(...lines.map((f) => f[f.length - 3]));
    const cpuSeconds = lines.reduce((sum, f) => sum + f[f.length - 2] + f[f.length - 1], 0);
    const measurement = { seconds, peakMiB: kib / 1024, cpuSeconds, status: child.status, stdout: child.stdout, stderr: child.stderr };
    if (child.status !== 0 && !options.allowFailure) {
      throw new Error(`${command} ${args.join(" ")} exited ${child.status}:\n${child.stderr || child.stdout}`);
    }
    return measurement;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Repeated {
  /** Median wall time. */
  readonly seconds: number;
  /** Median CPU time (user + system). */
  readonly cpuSeconds: number;
  /** Highest peak memory of all runs. */
  readonly peakMiB: number;
  /** Wall time of each run. */
  readonly runs: number[];
}

/** Runs `times` times. */
export function repeat(times: number, once: () => Measurement): Repeated {
  const runs: Measurement[] = [];
  for (let i = 0; i < times; i++) runs.push(once());
  return {
    seconds: median(runs.map((r) => r.seconds)),
    cpuSeconds: median(runs.map((r) => r.cpuSeconds)),
    peakMiB: Math.max(...runs.map((r) => r.peakMiB)),
    runs: runs.map((r) => r.seconds),
  };
}

/** A Markdown table (also readable in a terminal); numeric columns are right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.]+( [\d.]+)*$|^failed$/.test(r[i])));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (numeric[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** One line on the machine, so that figures are read with their context. */
export function machine(): string {
  const load = loadavg().map((l) => l.toFixed(1)).join(" ");
  return `node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, load average ${load}`;
}
