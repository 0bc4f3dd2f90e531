/**
 * Synth at scale, the way a lab grows: 3 K3s servers (etcd stays 3 members) plus 0, 30 and 300
 * agents over 3, 15 and 150 Proxmox nodes (bench/lib/scale-lab.ts). Each lab is synthesized the
 * way `npm run synth` does it (tsx main.ts, a fresh process); the table gives synth time, CPU time,
 * peak memory and the CPU cost of each added VM, then whether growth is linear or better and the
 * issue's targets (the 300-agent lab under 3× the time of the 3-node lab, under 300 MiB), then the
 * time of the whole jest suite.
 *
 *   npm run bench                                   # 3 runs per lab, then the jest suite
 *   npm run bench -- --runs 1 --no-jest
 *   npm run bench -- --labs 0@3,30@15,300@150,1000@250   # agents@nodes
 *
 * Results also go to bench/results/synth-scale.{md,json} (git-ignored).
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { validateLab, formatProblems } from "../config/load";
import { growthSteps, growthVerdict, targetChecks } from "./lib/growth";
import { MEMORY_METHOD, machine, repeat, run, table } from "./lib/measure";
import { SCALE_SERVERS, scaleLab, type ScaleLabSize } from "./lib/scale-lab";

const ROOT = join(__dirname, "..");
const RESULTS = join(__dirname, "results");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const JEST = join(ROOT, "node_modules", ".bin", "jest");

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** `agents@nodes,…`, e.g. 0@3,30@15,300@150. */
function parseLabs(text: string): ScaleLabSize[] {
  return text.split(",").map((item) => {
    const m = /^(\d+)@(\d+)$/.exec(item.trim());
    if (!m) throw new Error(`--labs: "${item}" is not agents@nodes, e.g. 30@15`);
    return { agents: Number(m[1]), nodes: Number(m[2]) };
  });
}

const labs = parseLabs(flag("--labs", "0@3,30@15,300@150"));
const runs = Number(flag("--runs", "3"));
const withJest = !process.argv.includes("--no-jest");

interface Row {
  agents: number;
  nodes: number;
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
    for (const size of labs) {
      const vms = SCALE_SERVERS + size.agents;
      const raw = scaleLab(base, size);
      const checked = validateLab(raw);
      if (!checked.ok) {
        throw new Error(`the generated lab of ${size.agents} agents on ${size.nodes} nodes is invalid (fix bench/lib/scale-lab.ts):\n${formatProblems(checked.problems)}`);
      }
      const config = join(work, `lab-${size.agents}-${size.nodes}.yaml`);
      writeFileSync(config, stringify(raw));
      let outdir = "";
      let attempt = 0;
      const result = repeat(runs, () => {
        outdir = join(work, `out-${vms}-${attempt++}`);
        return run(TSX, ["main.ts"], { cwd: ROOT, env: { HOMELAB_CONFIG: config, CDKTF_OUTDIR: outdir } });
      });
      rows.push({ ...size, vms, ...result, ...describeOutput(outdir) });
      process.stderr.write(`synthesized ${SCALE_SERVERS} servers + ${size.agents} agents on ${size.nodes} nodes: ${result.runs.map((t) => t.toFixed(2)).join(" s, ")} s\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const lines: string[] = [`Synth at scale (${runs} runs per lab, median time, highest peak; memory: ${MEMORY_METHOD})`, machine(), ""];
  lines.push(
    table(
      ["lab", "VMs", "nodes", "synth s", "CPU s", "peak MiB", "per-VM ms", "output KiB", "VM resources", "resources"],
      rows.map((r) => [
        `${SCALE_SERVERS} servers + ${r.agents} agents`,
        String(r.vms),
        String(r.nodes),
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
  const steps = growthSteps(rows);
  lines.push(
    "",
    table(
      ["step", "VMs ×", "CPU ×", "CPU ms per added VM", "wall ms per added VM"],
      steps.map((st) => [`${st.from} → ${st.to}`, st.vmRatio.toFixed(1), st.cpuRatio.toFixed(2), st.marginalCpuMs.toFixed(1), st.marginalWallMs.toFixed(1)]),
    ),
    "",
    growthVerdict(rows),
  );
  if (rows.length >= 2) {
    lines.push(
      "",
      table(
        ["target (issue 17)", "measured", "target", "met"],
        targetChecks(rows).map((c) => [c.what, c.value, c.target, c.met ? "yes" : "NO"]),
      ),
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
  writeFileSync(join(RESULTS, "synth-scale.json"), `${JSON.stringify({ machine: machine(), runs, rows, steps, targets: targetChecks(rows), jestSeconds }, null, 2)}\n`);
}

main();
