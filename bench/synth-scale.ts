/**
 * Synth at scale: generates valid labs of 3, 31 and 301 K3s server VMs (odd counts for etcd
 * quorum, one server per Proxmox node), synthesizes each the way `npm run synth` does (tsx
 * main.ts, a fresh process), and prints synth time, peak memory and per-VM cost, the growth
 * between sizes, and the time of the whole jest suite.
 *
 *   npm run bench                      # 3 runs per size, then the jest suite
 *   npm run bench -- --runs 1 --no-jest
 *   npm run bench -- --sizes 3,31,301,1001
 *
 * Results also go to bench/results/synth-scale.{md,json} (git-ignored).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { validateLab, formatProblems } from "../config/load";
import { MEMORY_METHOD, machine, repeat, run, table } from "./lib/measure";
import { scaleLab } from "./lib/scale-lab";

const ROOT = join(__dirname, "..");
const RESULTS = join(__dirname, "results");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const JEST = join(ROOT, "node_modules", ".bin", "jest");

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const sizes = flag("--sizes", "3,31,301").split(",").map(Number);
const runs = Number(flag("--runs", "3"));
const withJest = !process.argv.includes("--no-jest");

interface Row {
  vms: number;
  seconds: number;
  cpuSeconds: number;
  peakMiB: number;
  outputKiB: number;
  vmResources: number;
  resources: number;
  runs: number[];
}

/** Size of what was written, and what the infra stack declares (to show VMs really are synthesized). */
function describeOutput(outdir: string): { outputKiB: number; vmResources: number; resources: number } {
  let bytes = 0;
  let vmResources = 0;
  let resources = 0;
  const stacks = join(outdir, "stacks");
  for (const stack of readdirSync(stacks)) {
    const file = join(stacks, stack, "cdk.tf.json");
    bytes += statSync(file).size;
    const json = JSON.parse(readFileSync(file, "utf8"));
    for (const [type, instances] of Object.entries<Record<string, unknown>>(json.resource ?? {})) {
      resources += Object.keys(instances).length;
      if (type === "proxmox_virtual_environment_vm") vmResources += Object.keys(instances).length;
    }
  }
  return { outputKiB: bytes / 1024, vmResources, resources };
}

function main(): void {
  const base = parse(readFileSync(join(ROOT, "__tests__", "fixtures", "labs", "default.yaml"), "utf8"));
  const work = mkdtempSync(join(tmpdir(), "homelab-bench-scale-"));
  const rows: Row[] = [];
  try {
    for (const vms of sizes) {
      const raw = scaleLab(base, vms);
      const checked = validateLab(raw);
      if (!checked.ok) {
        throw new Error(`the generated ${vms}-VM lab is invalid (fix bench/lib/scale-lab.ts):\n${formatProblems(checked.problems)}`);
      }
      const config = join(work, `lab-${vms}.yaml`);
      writeFileSync(config, stringify(raw));
      let outdir = "";
      let attempt = 0;
      const result = repeat(runs, () => {
        outdir = join(work, `out-${vms}-${attempt++}`);
        return run(TSX, ["main.ts"], { cwd: ROOT, env: { HOMELAB_CONFIG: config, CDKTF_OUTDIR: outdir } });
      });
      rows.push({ vms, ...result, ...describeOutput(outdir) });
      process.stderr.write(`synthesized ${vms} VMs: ${result.runs.map((s) => s.toFixed(2)).join(" s, ")} s\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const lines: string[] = [`Synth at scale (${runs} runs per size, median time, highest peak; memory: ${MEMORY_METHOD})`, machine(), ""];
  lines.push(
    table(
      ["VMs", "synth s", "CPU s", "peak MiB", "per-VM ms", "output KiB", "VM resources", "resources"],
      rows.map((r) => [
        String(r.vms),
        r.seconds.toFixed(2),
        r.cpuSeconds.toFixed(2),
        r.peakMiB.toFixed(0),
        ((r.seconds * 1000) / r.vms).toFixed(1),
        r.outputKiB.toFixed(0),
        String(r.vmResources),
        String(r.resources),
      ]),
    ),
  );

  // Growth: the fixed start-up cost (Node, tsx, cdktf) dominates small labs, so compare the cost
  // of each added VM between sizes. Linear growth keeps it flat; worse than linear makes it climb.
  // CPU time, not wall time: on a shared machine the wall clock also measures the neighbours.
  const steps = rows.slice(1).map((r, i) => {
    const prev = rows[i];
    return {
      from: prev.vms,
      to: r.vms,
      vmRatio: r.vms / prev.vms,
      cpuRatio: r.cpuSeconds / prev.cpuSeconds,
      marginalCpuMs: ((r.cpuSeconds - prev.cpuSeconds) * 1000) / (r.vms - prev.vms),
      marginalWallMs: ((r.seconds - prev.seconds) * 1000) / (r.vms - prev.vms),
    };
  });
  lines.push("");
  lines.push(
    table(
      ["step", "VMs ×", "CPU ×", "CPU ms per added VM", "wall ms per added VM"],
      steps.map((s) => [`${s.from} → ${s.to}`, s.vmRatio.toFixed(1), s.cpuRatio.toFixed(2), s.marginalCpuMs.toFixed(1), s.marginalWallMs.toFixed(1)]),
    ),
  );
  if (steps.length >= 2) {
    const [first, last] = [steps[0], steps[steps.length - 1]];
    // A small step (a few VMs) measures mostly noise: compare only when it added real work.
    const reliable = rows[1].cpuSeconds - rows[0].cpuSeconds > 0.2;
    const superLinear = reliable && last.marginalCpuMs > 2 * first.marginalCpuMs;
    lines.push(
      "",
      superLinear
        ? `growth: WORSE than linear (each added VM costs ${last.marginalCpuMs.toFixed(1)} CPU ms at ${last.to} VMs vs ${first.marginalCpuMs.toFixed(1)} at ${first.to})`
        : `growth: linear or better (CPU × ${(rows[rows.length - 1].cpuSeconds / rows[0].cpuSeconds).toFixed(2)} for VMs × ${(rows[rows.length - 1].vms / rows[0].vms).toFixed(0)}; ` +
            `${last.marginalCpuMs.toFixed(1)} CPU ms per added VM at ${last.to} VMs vs ${first.marginalCpuMs.toFixed(1)} at ${first.to})`,
    );
  }

  let jestSeconds: number | undefined;
  if (withJest) {
    process.stderr.write("running the jest suite once…\n");
    const jest = run(JEST, ["--silent"], { cwd: ROOT, allowFailure: true });
    jestSeconds = jest.seconds;
    const summary = /Tests:\s+(.*)/.exec(jest.stderr)?.[1] ?? "no summary";
    lines.push(
      "",
      `jest suite: ${jest.seconds.toFixed(1)} s wall, ${jest.cpuSeconds.toFixed(1)} s CPU, peak ${jest.peakMiB.toFixed(0)} MiB (${summary})${jest.status ? `, EXIT ${jest.status}` : ""}`,
    );
  }

  const report = lines.join("\n");
  console.log(report);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, "synth-scale.md"), `${report}\n`);
  writeFileSync(join(RESULTS, "synth-scale.json"), `${JSON.stringify({ machine: machine(), runs, rows, steps, jestSeconds }, null, 2)}\n`);
}

main();
