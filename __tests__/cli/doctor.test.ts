/**
 * `npm run doctor` as a user runs it: the plan on stdout, exit 0 on the default lab, exit 1 with
 * the config path printed (and no stack trace) on a bad one; `--json` prints one parseable object.
 * Most cases run the command in-process (runDoctor); two spawn the real script to prove the wiring
 * (exit code, streams, no stack trace).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { runDoctor } from "../../doctor/cli";
import { TEST_HASH } from "../pve/support";
import { FIXTURES, labWith } from "../helpers";

const ROOT = join(__dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");
const DEFAULT_LAB = join(FIXTURES, "labs", "default.yaml");
const STACK_TRACE = /\bat .*\.(ts|js):\d+/;

function spawnDoctor(configFile: string, ...args: string[]) {
  return spawnSync(TSX, ["scripts/doctor.ts", ...args], {
    cwd: ROOT,
    // A usable root password hash, so that the environment advice does not depend on the developer's shell.
    env: { ...process.env, HOMELAB_CONFIG: configFile, PVE_ROOT_PASSWORD_HASH: TEST_HASH },
    encoding: "utf8",
  });
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "homelab-doctor-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function writeConfig(text: string): string {
  const file = join(work, "bad.yaml");
  writeFileSync(file, text);
  return file;
}

describe("npm run doctor (spawned)", () => {
  test("--json on the default lab: exit 0, one parseable object with every section", () => {
    const run = spawnDoctor(DEFAULT_LAB, "--json");
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const plan = JSON.parse(run.stdout);
    expect(plan).toMatchObject({ config: DEFAULT_LAB, ok: true, lan: "192.168.1.0/24" });
    expect(plan.addresses.length).toBeGreaterThan(10);
    expect(plan.urls).toContainEqual({ component: "grafana", url: "https://grafana.home.arpa", address: "192.168.1.60" });
    expect(plan.capacity.hosts).toHaveLength(3);
    expect(plan.nMinusOne).toHaveLength(3);
    expect(plan.problems).toEqual([
      expect.objectContaining({ severity: "warning", path: "vm.sshPublicKeys[0]" }),
      expect.objectContaining({ severity: "warning", path: expect.stringContaining("proxmox.nodes[0].install.mac") }),
      expect.objectContaining({ severity: "warning", path: "raspberryPi.offsiteBackup" }),
    ]);
  }, 30_000);

  test("fails when the YAML is malformed: exit 1, file:line:col printed, no stack trace, no colors", () => {
    const config = writeConfig("network:\n  cidr: 192.168.1.0/24\n gateway: 192.168.1.1\n");
    const run = spawnDoctor(config);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`error: ${config}:3:1: YAML syntax`);
    expect(run.stdout + run.stderr).not.toMatch(STACK_TRACE);
    expect(run.stdout).not.toContain("\u001b[");
  }, 30_000);
});

describe("runDoctor", () => {
  test("prints the default lab's plan and exits 0", () => {
    const out = runDoctor({ args: [], configFile: DEFAULT_LAB, color: false });
    expect(out.exitCode).toBe(0);
    expect(out.stderr).toBe("");
    expect(out.stdout).toContain(`homelab doctor: ${DEFAULT_LAB}`);
    expect(out.stdout).toContain("If one Proxmox node goes down (n−1)");
    expect(out.stdout).toContain("warning: vm.sshPublicKeys[0]: this is the example key");
    expect(out.stdout).not.toContain("\u001b[");
  });

  test("colors only when asked", () => {
    expect(runDoctor({ args: [], configFile: DEFAULT_LAB, color: true }).stdout).toContain("\u001b[32msurvives");
  });

  test.each([
    ["a VM bigger than its host", stringify(labWith({ "k3s.servers[2].memoryMiB": 14336 })), "error: k3s.servers[2].memoryMiB: k3s-master-3 asks 14336 MiB"],
    ["a wrong type", stringify(labWith({ "k3s.servers[0].cores": "four" })), 'error: k3s.servers[0].cores: got "four", a text; expected a whole number from 1 to 512'],
    ["an even server count", stringify(labWith({ "k3s.servers[2]": undefined })), "error: k3s.servers: 2 K3s servers: etcd needs a majority"],
  ])("fails when the config has %s: exit 1, the path printed", (_why, text, expected) => {
    const out = runDoctor({ args: [], configFile: writeConfig(text), color: false });
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toContain(expected);
    expect(out.stdout).toMatch(/NOT OK: \d+ errors?/);
  });

  test("--json on a bad config: exit 1, ok false, the problems listed", () => {
    const out = runDoctor({ args: ["--json"], configFile: writeConfig("network: 42\n"), color: false });
    expect(out.exitCode).toBe(1);
    const plan = JSON.parse(out.stdout);
    expect(plan.ok).toBe(false);
    expect(plan.problems).toContainEqual(expect.objectContaining({ severity: "error", path: "network" }));
  });

  test("fails when the config file does not exist, naming it", () => {
    const missing = join(work, "missing.yaml");
    const out = runDoctor({ args: [], configFile: missing, color: false });
    expect(out.exitCode).toBe(1);
    expect(out.stdout).toContain(`error: ${missing}: cannot read the lab config`);
  });

  test("fails on an unknown argument with the usage", () => {
    const out = runDoctor({ args: ["--jsno"], configFile: DEFAULT_LAB, color: false });
    expect(out).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: "homelab doctor: unknown argument --jsno; usage: npm run doctor [-- --json]\n",
    });
  });

  test("with the environment: explains how to make the root password hash the answers need", () => {
    const without = runDoctor({ args: ["--json"], configFile: DEFAULT_LAB, color: false, env: {} });
    const advice = JSON.parse(without.stdout).problems.find((p: { path: string }) => p.path === "PVE_ROOT_PASSWORD_HASH (environment)");
    expect(without.exitCode).toBe(0);
    expect(advice).toEqual({
      severity: "warning",
      path: "PVE_ROOT_PASSWORD_HASH (environment)",
      message: expect.stringContaining('npm run pve:answers needs it: PVE_ROOT_PASSWORD_HASH is not set: export PVE_ROOT_PASSWORD_HASH="$(openssl passwd -6)"'),
    });
    expect(advice.message).toContain("mkpasswd -m sha-512");
    const plain = runDoctor({ args: ["--json"], configFile: DEFAULT_LAB, color: false, env: { PVE_ROOT_PASSWORD_HASH: "hunter2" } }); // secret-scan: allow
    expect(plain.stdout).toContain("is not a crypt hash at all");
    expect(plain.stdout).not.toContain("hunter2"); // secret-scan: allow
    const good = runDoctor({ args: ["--json"], configFile: DEFAULT_LAB, color: false, env: { PVE_ROOT_PASSWORD_HASH: TEST_HASH } });
    expect(good.stdout).not.toContain("PVE_ROOT_PASSWORD_HASH (environment)");
  });
});
