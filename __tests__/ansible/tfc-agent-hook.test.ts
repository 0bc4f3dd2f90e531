/**
 * The tfc-agent's pre-plan hook (ansible/roles/tfc_agent/files/terraform-pre-plan), run as the
 * agent would run it, with a PATH made of fixture stand-ins: it passes when every tool the runs
 * use is there, and fails with the missing tool and the fix otherwise.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const HOOK = join(__dirname, "..", "..", "ansible", "roles", "tfc_agent", "files", "terraform-pre-plan");
/** Real tools the hook itself needs to run. */
const BASICS = ["bash", "env", "sed", "sort", "head", "stat", "hostname"];

function which(tool: string): string {
  return spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
}

interface Setup {
  readonly without?: readonly string[];
  readonly ansibleCore?: string;
  readonly keyMode?: number | null;
  readonly extraEnv?: Record<string, string>;
}

/** A fixture bin folder and HOME; runs the hook there. */
function runHook({ without = [], ansibleCore = "2.19.4", keyMode = 0o600, extraEnv = {} }: Setup = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tfc-hook-"));
  const bin = join(dir, "bin");
  const home = join(dir, "home");
  mkdirSync(bin);
  mkdirSync(join(home, ".ssh"), { recursive: true });
  for (const tool of BASICS) symlinkSync(which(tool), join(bin, tool));
  const fakes: Record<string, string> = {
    "ansible-playbook": `echo "ansible-playbook [core ${ansibleCore}]"`,
    git: "exit 0",
    curl: "exit 0",
    kubectl: "exit 0",
    base64: "exit 0",
  };
  for (const [tool, body] of Object.entries(fakes)) {
    if (without.includes(tool)) continue;
    writeFileSync(join(bin, tool), `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
  }
  if (keyMode !== null) {
    writeFileSync(join(home, ".ssh", "id_homelab"), "fixture key\n");
    chmodSync(join(home, ".ssh", "id_homelab"), keyMode);
  }
  const run = spawnSync(join(bin, "bash"), [HOOK], { encoding: "utf8", env: { PATH: bin, HOME: home, ...extraEnv } });
  return { status: run.status, out: run.stdout + run.stderr };
}

test("passes when every tool and the key are in place", () => {
  const run = runHook();
  expect(run.out).toContain("homelab pre-plan hook: ansible-core 2.19.4, git, curl, kubectl and the SSH key are in place");
  expect(run.status).toBe(0);
});

test("fails when ansible-playbook is not on the agent's PATH, naming it and the fix", () => {
  const run = runHook({ without: ["ansible-playbook"] });
  expect(run.status).toBe(1);
  expect(run.out).toContain("cannot run the homelab's stacks; missing:\n  - ansible-playbook\n");
  expect(run.out).toContain("Fix: rerun ansible/playbooks/rpi.yml from the laptop (role tfc_agent).");
});

test("fails when kubectl and git are missing, listing both", () => {
  const run = runHook({ without: ["kubectl", "git"] });
  expect(run.status).toBe(1);
  expect(run.out).toMatch(/- git\n {2}- kubectl\n/);
});

test("fails when Debian's Ansible is older than 2.18", () => {
  const run = runHook({ ansibleCore: "2.14.18" });
  expect(run.status).toBe(1);
  expect(run.out).toContain("ansible-core >= 2.18 (found 2.14.18");
  expect(runHook({ ansibleCore: "2.18.0" }).status).toBe(0);
});

test("fails when the SSH key is missing or readable by others", () => {
  expect(runHook({ keyMode: null }).out).toMatch(/the SSH key .*\.ssh\/id_homelab \(rpi\.yml writes it from HOMELAB_AGENT_SSH_KEY\)/);
  const open = runHook({ keyMode: 0o644 });
  expect(open.status).toBe(1);
  expect(open.out).toContain("(it is 644; ssh refuses a key others can read)");
});

// HOMELAB_AGENT_SSH_KEY is the private key itself in the environment of the rpi.yml run; the hook
// once read it as the key's path, so where it was inherited the hook failed and printed the key.
test("a private key in HOMELAB_AGENT_SSH_KEY is neither the key's path nor printed", () => {
  const key = ["-----BEGIN ", "PRIVATE KEY-----\nMC4CAQAw\n-----END ", "PRIVATE KEY-----"].join("");
  const run = runHook({ extraEnv: { HOMELAB_AGENT_SSH_KEY: key } });
  expect(run.status).toBe(0);
  expect(run.out).not.toContain("PRIVATE KEY");
  expect(runHook({ keyMode: null, extraEnv: { HOMELAB_AGENT_SSH_KEY: key } }).out).not.toContain("PRIVATE KEY");
});

test("HOMELAB_AGENT_SSH_KEY_FILE names another key file", () => {
  const run = runHook({ keyMode: 0o600, extraEnv: { HOMELAB_AGENT_SSH_KEY_FILE: "/nonexistent/key" } });
  expect(run.status).toBe(1);
  expect(run.out).toContain("the SSH key /nonexistent/key");
});
