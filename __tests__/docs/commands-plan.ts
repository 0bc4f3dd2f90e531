/**
 * The documented commands of README.md and docs/ (doc-commands.ts extracts them), each classified:
 * run here (RUNS) or not, with the reason (NOT_RUN). commands.test.ts checks the classification
 * (npm test); commands.slow.ts runs every runnable one in a scratch copy (npm run test:slow, .ci/run).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { documentedCommands, segments, stripComment, type DocCommand } from "./doc-commands";

export const ROOT = join(__dirname, "..", "..");

/** Commands that run here, by what they are. */
export const RUNS: readonly { readonly kind: "npm" | "ansible" | "cd" | "export"; readonly pattern: RegExp }[] = [
  { kind: "npm", pattern: /^npm run (-s )?(synth|inventory|doctor|diagram|schema|docs:constructs|render)( |$)/ },
  { kind: "ansible", pattern: /^ansible-playbook / },
  // `cd dir` and `export NAME=value` (no command substitution) apply to the rest of their block.
  { kind: "cd", pattern: /^cd [\w./-]+$/ },
  { kind: "export", pattern: /^export [A-Za-z_][A-Za-z0-9_]*=(?!.*\$\()/ },
];

/** Documented commands that do not run here, and why. Each entry must match a documented command. */
export const NOT_RUN: readonly { readonly pattern: RegExp; readonly reason: string }[] = [
  { pattern: /^npm ci( |$)/, reason: "installs node_modules from the npm registry; the scratch copy links the working tree's" },
  { pattern: /^npm test( |$)/, reason: "the suite this test belongs to" },
  { pattern: /^npm run typecheck( |$)/, reason: ".ci/run runs it after npm test (tsc over the project takes longer than this suite's budget)" },
  { pattern: /^npm run (ansible:(check|runtime)|pve:converge|offsite:converge)( |$)/, reason: ".ci/run runs it (ansible-lint; the converges need root, debootstrap Debian 13 and boot it with systemd-nspawn)" },
  { pattern: /^npm run test:slow( |$)/, reason: ".ci/run runs it: minutes (it runs every documented command but itself, and builds every one-gate mutation)" },
  { pattern: /^npm run alerts:check( |$)/, reason: ".ci/run runs it: promtool and amtool come from Debian's prometheus packages, installed there" },
  { pattern: /^npm run bench( |$)/, reason: "a benchmark of several minutes that prints figures; never part of the tests" },
  { pattern: /^npm run test:unasserted( |$)/, reason: "runs the whole suite again under recording proxies, or once per mutant: minutes, a development aid" },
  { pattern: /^npm run (chart-keys|crd-schemas)( |$)/, reason: "reads a folder of pinned chart sources (or their rendered CRDs) that the repository does not hold" },
  { pattern: /^(npx )?cdktf (deploy|destroy|output)( |$)/, reason: "needs the lab: Proxmox, the cluster and the stacks' state" },
  // Off-site backups and disaster recovery (docs/backups.md, docs/runbooks/disaster-recovery.md).
  { pattern: /^npm run deploy( |$)/, reason: "cdktf deploy, then the state copied to the Pi: needs the lab (__tests__/scripts/deploy.test.ts runs it with stand-ins)" },
  { pattern: /^restic /, reason: "reads the off-site repository with its password and key (scripts/offsite-backup-converge.sh runs the same commands on a loopback repository)" },
  { pattern: /^read -rs [A-Z_]+$/, reason: "asks for the restic password on the terminal" },
  { pattern: /^export RESTIC_PASSWORD$/, reason: "exports the password read on the terminal just before" },
  { pattern: /^git clone https:\/\/github\.com\/you\//, reason: "clones your fork of the project from the network" },
  {
    pattern: /^terraform -chdir=cdktf\.out\/stacks\/\w+ (init|output|state|apply|taint|show)( |$)/,
    reason: "needs a deployed stack's state (init needs the Terraform registry for the providers)",
  },
  { pattern: /^export [A-Za-z_][A-Za-z0-9_]*="\$\(terraform /, reason: "reads a secret from a deployed stack's state" },
  { pattern: /^kubectl /, reason: "needs the cluster" },
  // Writing the admin kubeconfig from the k3s stack's state (README "Deploy"): one subshell.
  { pattern: /^umask 077$/, reason: "applies to the kubeconfig written from a deployed k3s stack's state, in the same subshell" },
  { pattern: /^mkdir -p \.kube$/, reason: "makes the folder for the kubeconfig of a deployed k3s stack, in the same subshell" },
  // Terraform Cloud (README "Terraform Cloud").
  { pattern: /^terraform login$/, reason: "logs in to Terraform Cloud over the internet" },
  { pattern: /^ssh-keygen -t ed25519 /, reason: "creates a key pair in your ~/.ssh" },
  { pattern: /^export (TF_VAR_agent_ssh_private_key|HOMELAB_AGENT_SSH_KEY)="\$\(cat ~\/\.ssh\//, reason: "reads your private SSH key" },
  { pattern: /^ssh /, reason: "logs in to a machine of the lab" },
  { pattern: /^ssh-keygen -R /, reason: "edits ~/.ssh/known_hosts for a machine of the lab" },
  { pattern: /^sudo /, reason: "runs on a K3s server, in the session its runbook opened" },
  { pattern: /^docker run /, reason: "pulls an image from Docker Hub" },
  { pattern: /^rm -rf /, reason: "deletes the deploy machine's lab files after a teardown: nothing to check offline" },
  // The unattended Proxmox VE install (docs/proxmox-install.md).
  { pattern: /^export PVE_ROOT_PASSWORD_HASH="\$\(openssl passwd -6\)"/, reason: "asks for the root password on the terminal" },
  {
    pattern: /^npm run pve:answers( |$)/,
    reason: "needs PVE_ROOT_PASSWORD_HASH from the user's terminal (the line before); __tests__/pve/answers.test.ts runs it with a stand-in hash",
  },
  {
    pattern: /^npm run pve:(reference|locales) -- <folder>$/,
    reason: "reads a folder of the Proxmox installer's own data (test cases, locales.json) that the repository does not hold",
  },
  { pattern: /^(ip -br link|lsblk -d -o NAME,SIZE,MODEL,SERIAL)$/, reason: "runs on the mini-PC to install (its own NICs and disks)" },
  {
    pattern: /^proxmox-auto-install-assistant prepare-iso /,
    reason: "needs Proxmox's assistant (a Proxmox VE host, or Debian with Proxmox's repository) and a Proxmox VE ISO",
  },
];

type Classified =
  | { readonly kind: "npm" | "ansible" | "cd" | "export" }
  | { readonly kind: "not-run"; readonly reason: string; readonly entry: number }
  | { readonly kind: "unknown" };

export function classify(segment: string): Classified {
  const run = RUNS.find((r) => r.pattern.test(segment));
  if (run) return { kind: run.kind };
  const entry = NOT_RUN.findIndex((n) => n.pattern.test(segment));
  if (entry >= 0) return { kind: "not-run", reason: NOT_RUN[entry].reason, entry };
  return { kind: "unknown" };
}

export interface Run {
  /** The bash script: the block's earlier `cd`/`export` lines, then the command. */
  readonly script: string;
  readonly command: string;
  readonly where: string[];
  readonly needsAnsible: boolean;
}

/** Adds --syntax-check to every ansible-playbook invocation (right after the program name). */
function syntaxCheck(command: string): string {
  return command.replace(/(^|[\s(;&|])ansible-playbook(?=\s)/g, "$1ansible-playbook --syntax-check");
}

export function plan(commands: readonly DocCommand[]) {
  const runs = new Map<string, Run>();
  const notRun: { where: string; command: string; reason: string }[] = [];
  const unknown: string[] = [];
  const used = new Set<number>();
  const preamble = new Map<string, string[]>();
  const add = (command: string, where: string, context: readonly string[]) => {
    const script = [...context, syntaxCheck(command)].join("\n");
    // The same command twice (its comment aside) runs once.
    const key = [...context, command].map((line) => stripComment(line.replace(/\\\n\s*/g, " ")).replace(/\s+/g, " ")).join("\n");
    const found = runs.get(key);
    if (found) found.where.push(where);
    else runs.set(key, { script, command, where: [where], needsAnsible: /ansible-playbook/.test(command) });
  };
  for (const c of commands) {
    const where = `${c.file}:${c.line}`;
    const blockKey = `${c.file}#${c.block}`;
    const context = preamble.get(blockKey) ?? [];
    const parts = segments(c.text).map((s) => ({ segment: s, as: classify(s) }));
    for (const p of parts) {
      if (p.as.kind === "unknown") unknown.push(`${where}: ${p.segment}`);
      if (p.as.kind === "not-run") {
        used.add(p.as.entry);
        notRun.push({ where, command: p.segment, reason: p.as.reason });
      }
    }
    if (parts.every((p) => p.as.kind !== "not-run" && p.as.kind !== "unknown")) {
      if (parts.length === 1 && (parts[0].as.kind === "cd" || parts[0].as.kind === "export")) {
        preamble.set(blockKey, [...context, c.text]);
      } else add(c.text, where, context);
    } else {
      // `npm ci && npm run synth`: the parts that can run, run alone.
      for (const p of parts) if (p.as.kind === "npm" || p.as.kind === "ansible") add(p.segment, `${where} (part)`, context);
    }
  }
  const unused = NOT_RUN.filter((_, i) => !used.has(i)).map((n) => n.pattern.source);
  return { runs: [...runs.values()], notRun, unknown, unused };
}

export const documented = documentedCommands(ROOT);
export const { runs, notRun, unknown, unused } = plan(documented.commands);
export const hasAnsible = spawnSync("ansible-playbook", ["--version"], { stdio: "ignore" }).status === 0;
export const requireAnsible = process.env.HOMELAB_REQUIRE_ANSIBLE === "1";

