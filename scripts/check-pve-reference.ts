/**
 * `npm run pve:reference -- <folder>`: runs the project's answer model (pve/answer-model.ts) over
 * the Proxmox VE installer's own test cases (`parse_answer/*.toml` it accepts,
 * `parse_answer_fail/*.toml` it refuses, with the machine of `run-env-*.json`) and reports, for
 * every case that uses only keys the model covers, whether the model agrees. Cases using keys the
 * model leaves to the installer (UNMODELLED_KEYS) are skipped, with the keys named.
 *
 * The folder is reference data (e.g. ../shared/pve-installer); nothing in the project needs it.
 * Exit 0 when every applicable case agrees, 1 otherwise, 2 on a wrong command line.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { checkAnswerText, type Machine } from "../pve/answer-model";

type RunEnvDisk = [number, string, number, string, number, string];

/** The machine a case runs on: the udev devices, restricted to the disks of its run-env. */
export function machineOf(folder: string, runEnvFile: string): Machine {
  const udev = JSON.parse(readFileSync(join(folder, "run-env-udev.json"), "utf8")) as {
    disks: Record<string, Record<string, string>>;
    nics: Record<string, Record<string, string>>;
  };
  const runEnv = JSON.parse(readFileSync(runEnvFile, "utf8")) as { disks: RunEnvDisk[] };
  const disks = Object.fromEntries(
    runEnv.disks.map(([index, path]) => [String(index), { path, props: udev.disks[String(index)] ?? {} }]),
  );
  return { nics: udev.nics, disks };
}

export interface CaseResult {
  readonly name: string;
  readonly expected: "accept" | "refuse";
  readonly verdict: "agree" | "disagree" | "skipped";
  readonly detail: string;
}

export function checkReferenceCases(folder: string): CaseResult[] {
  const results: CaseResult[] = [];
  for (const [dir, expected] of [
    ["parse_answer", "accept"],
    ["parse_answer_fail", "refuse"],
  ] as const) {
    for (const file of readdirSync(join(folder, dir)).filter((f) => f.endsWith(".toml")).sort()) {
      const name = `${dir}/${file.replace(/\.toml$/, "")}`;
      const ownEnv = join(folder, dir, file.replace(/\.toml$/, ".run-env.json"));
      const machine = machineOf(folder, existsSync(ownEnv) ? ownEnv : join(folder, "run-env-info.json"));
      const check = checkAnswerText(readFileSync(join(folder, dir, file), "utf8"), machine);
      if (check.unmodelled.length > 0) {
        results.push({ name, expected, verdict: "skipped", detail: `uses ${check.unmodelled.join(", ")} (not modelled: never generated)` });
        continue;
      }
      const accepted = check.ok;
      const agree = accepted === (expected === "accept");
      results.push({
        name,
        expected,
        verdict: agree ? "agree" : "disagree",
        detail: accepted ? "model accepts" : `model refuses: ${check.problems.join("; ")}`,
      });
    }
  }
  return results;
}

if (require.main === module) {
  const folder = process.argv[2];
  if (!folder) {
    console.error("usage: npm run pve:reference -- <folder of the installer's test cases, e.g. ../shared/pve-installer>");
    process.exit(2);
  }
  const results = checkReferenceCases(folder);
  for (const r of results) console.log(`${r.verdict.padEnd(9)} ${r.expected.padEnd(6)} ${r.name}: ${r.detail}`);
  const applicable = results.filter((r) => r.verdict !== "skipped");
  const agreeing = applicable.filter((r) => r.verdict === "agree");
  console.log(
    `pve:reference: ${results.length} cases, ${applicable.length} applicable, ${agreeing.length} agreeing, ` +
      `${results.length - applicable.length} skipped (keys the model leaves to the installer)`,
  );
  process.exitCode = agreeing.length === applicable.length ? 0 : 1;
}
