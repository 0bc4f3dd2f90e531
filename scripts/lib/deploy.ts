/**
 * `npm run deploy`: cdktf deploy, then the Terraform state of each stack copied, encrypted, to the
 * Raspberry Pi (ansible/playbooks/state-backup.yml), from where the Pi's off-site job takes it.
 *
 * A wrapper rather than a step inside the stacks: the state a deploy leaves is final only once
 * Terraform has exited (a resource of the stack would copy the state of the run before), the copy
 * must also happen after a failed deploy (a partial state is the one you need most), and a resource
 * that runs on every apply would put a change in every plan.
 *
 * Local state: the files at the repository root. Terraform Cloud: `terraform state pull` of each
 * deployed stack into a private temporary folder, removed afterwards (Terraform Cloud keeps every
 * version, the copy on the Pi and off-site survives losing the account), with the tfc stack's own
 * local state (the workspaces, the agent token).
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STATE_STACKS, TFC_STACK } from "../../config/backups";
import { INVENTORY_FILE, localStateFile } from "../../config/paths";
import type { LabConfig } from "../../config/schema";

export const STATE_PLAYBOOK = "ansible/playbooks/state-backup.yml";

/** What the wrapper does after the deploy. */
export type StateCopy =
  | { readonly kind: "local"; readonly stacks: readonly string[] }
  | { readonly kind: "terraform-cloud"; readonly stacks: readonly string[] }
  | { readonly kind: "none"; readonly reason: string };

/** The stacks a `cdktf deploy` argument list names (all of them when it names none). */
export function deployedStacks(args: readonly string[]): string[] {
  const named = args.filter((a) => (STATE_STACKS as readonly string[]).includes(a) || a === TFC_STACK);
  return named.length ? named : [...STATE_STACKS];
}

/** Whether and how the state is copied for this lab. */
export function stateCopy(lab: LabConfig, args: readonly string[]): StateCopy {
  if (!lab.raspberryPi) return { kind: "none", reason: "homelab.yaml has no raspberryPi to hold the copies" };
  if (!lab.raspberryPi.offsiteBackup) {
    return { kind: "none", reason: "raspberryPi.offsiteBackup is not set (the copies go to its restic repositories: docs/backups.md)" };
  }
  const stacks = deployedStacks(args);
  return lab.terraformCloud ? { kind: "terraform-cloud", stacks } : { kind: "local", stacks };
}

export interface DeployIo {
  /** Runs a program with inherited output; returns its exit status. */
  readonly run: (program: string, args: readonly string[]) => number;
  /** Runs a program and captures its output. */
  readonly capture: (program: string, args: readonly string[]) => Pick<SpawnSyncReturns<Buffer>, "status" | "stdout" | "stderr">;
  readonly log: (line: string) => void;
}

export const processIo: DeployIo = {
  run: (program, args) => spawnSync(program, [...args], { stdio: "inherit" }).status ?? 1,
  capture: (program, args) => spawnSync(program, [...args], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 512 * 1024 * 1024 }),
  log: (line) => console.error(line),
};

/**
 * Deploys, then copies the state. Exit status: the deploy's when it failed (the state is copied
 * anyway), else the copy's.
 */
export function deploy(lab: LabConfig, args: readonly string[], io: DeployIo = processIo): number {
  const deployArgs = args.length ? [...args] : [...STATE_STACKS];
  const deployed = io.run("cdktf", ["deploy", ...deployArgs]);
  const copy = stateCopy(lab, deployArgs);
  if (copy.kind === "none") {
    io.log(`homelab deploy: the Terraform state was NOT copied: ${copy.reason}`);
    return deployed;
  }
  let stateDir: string | undefined;
  let copied: number;
  try {
    const extra: string[] = [];
    let stacks = [...copy.stacks];
    if (copy.kind === "terraform-cloud") {
      stateDir = mkdtempSync(join(tmpdir(), "homelab-state-"));
      chmodSync(stateDir, 0o700);
      // The tfc stack's state is local (the laptop's): copied as it is, whenever it exists.
      if (existsSync(localStateFile(TFC_STACK))) {
        copyFileSync(localStateFile(TFC_STACK), join(stateDir, localStateFile(TFC_STACK)));
        chmodSync(join(stateDir, localStateFile(TFC_STACK)), 0o600);
        if (!stacks.includes(TFC_STACK)) stacks.push(TFC_STACK);
      }
      for (const stack of copy.stacks.filter((s) => s !== TFC_STACK)) {
        const pulled = io.capture("terraform", [`-chdir=cdktf.out/stacks/${stack}`, "state", "pull"]);
        if (pulled.status !== 0 || pulled.stdout.length === 0) {
          io.log(`homelab deploy: terraform state pull of ${stack} failed (${String(pulled.stderr).trim() || "no state"}); not copied`);
          continue;
        }
        writeFileSync(join(stateDir, `terraform.${stack}.tfstate`), pulled.stdout, { mode: 0o600 });
      }
      extra.push("-e", `homelab_state_dir=${stateDir}`);
    }
    io.log(`homelab deploy: copying the Terraform state of ${stacks.join(", ")} to the Pi (${STATE_PLAYBOOK})`);
    copied = io.run("ansible-playbook", ["-i", INVENTORY_FILE, STATE_PLAYBOOK, "-e", `{"state_backup_stacks": ${JSON.stringify(stacks)}}`, ...extra]);
  } finally {
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
  if (copied !== 0) {
    io.log(`homelab deploy: copying the state to the Pi FAILED; rerun: ansible-playbook -i ${INVENTORY_FILE} ${STATE_PLAYBOOK}`);
  }
  return deployed !== 0 ? deployed : copied;
}
