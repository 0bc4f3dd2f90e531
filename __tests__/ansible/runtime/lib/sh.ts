/** Process helpers of the runtime harness: commands as argv arrays, failures as errors with output. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, openSync, readFileSync, rmSync } from "node:fs";

export interface RunOptions {
  /** Extra environment (merged over the harness's own). */
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Standard input. */
  readonly input?: string;
  /** Return the result instead of throwing when the command fails. */
  readonly allowFailure?: boolean;
  /** Kill after this many seconds. */
  readonly timeoutS?: number;
}

export interface RunResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv, captures its output; throws (with the output) when it fails unless allowFailure. */
export function run(argv: readonly string[], options: RunOptions = {}): RunResult {
  const result = spawnSync(argv[0], argv.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    input: options.input,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    timeout: options.timeoutS ? options.timeoutS * 1000 : undefined,
  });
  if (result.error) throw new Error(`${argv.join(" ")}: ${result.error.message}`);
  const out: RunResult = { status: result.status ?? 1, stdout: result.stdout ?? "", stderr: result.stderr ?? "" };
  if (out.status !== 0 && !options.allowFailure) {
    throw new Error(`${argv.join(" ")} exited ${out.status}\n${tail(out.stdout + out.stderr, 40)}`);
  }
  return out;
}

/** Runs argv with its output appended to a log file; throws with the log's tail when it fails. */
export function runLogged(argv: readonly string[], log: string, options: RunOptions = {}): number {
  const fd = openSync(log, "a");
  const result = spawnSync(argv[0], argv.slice(1), {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", fd, fd],
    timeout: options.timeoutS ? options.timeoutS * 1000 : undefined,
  });
  if (result.error) throw new Error(`${argv.join(" ")}: ${result.error.message}`);
  const status = result.status ?? 1;
  if (status !== 0 && !options.allowFailure) throw new Error(`${argv.join(" ")} exited ${status}: see ${log}`);
  return status;
}

/**
 * Starts argv in the background, output to a log file. It stays in the harness's process group,
 * so Ctrl-C stops it too. The harness is synchronous (Node never sees the child exit): use
 * `exited(pid)` to know whether it is gone.
 */
export function background(argv: readonly string[], log: string): ChildProcess {
  const fd = openSync(log, "a");
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", fd, fd] });
  child.unref();
  return child;
}

/** Whether a process has exited (gone, or a zombie nobody reaped). */
export function exited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/**
 * Runs several commands side by side, each with its output in its own log; returns their exit
 * statuses in order. Synchronous: each command writes its status to a file that is polled.
 */
export function runParallel(jobs: readonly { argv: readonly string[]; log: string }[]): number[] {
  const children = jobs.map((job) => {
    const status = `${job.log}.status`;
    rmSync(status, { force: true });
    const child = spawn("/bin/sh", ["-c", '"$@" >"$0" 2>&1; echo $? >"$0.status"', job.log, ...job.argv], { stdio: "ignore" });
    child.unref();
    return status;
  });
  return children.map((status) => waitFor(`${status}`, 3600, () => (existsSync(status) && readFileSync(status, "utf8").trim() !== "" ? Number(readFileSync(status, "utf8")) : undefined), 500));
}

/** The last `lines` lines of a text. */
export function tail(text: string, lines: number): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Calls `probe` every `intervalMs` until it returns a value other than undefined, or throws. */
export function waitFor<T>(what: string, timeoutS: number, probe: () => T | undefined, intervalMs = 500): T {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutS} s waiting for ${what}`);
    sleep(intervalMs);
  }
}
