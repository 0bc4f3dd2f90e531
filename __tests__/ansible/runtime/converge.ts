/**
 * `npm run ansible:runtime` (root): the roles applied for real to booted Debian 13 machines by a
 * Debian 13 controller (ansible-core 2.19), twice; the second run must change nothing.
 *
 * What it does, in order:
 *   1. Debian 13 images from the cache, or debootstrapped now (lib/images.ts).
 *   2. The inventory generated from the lab fixture (__tests__/fixtures/labs/default.yaml) and the
 *      infra stack's cloud-init user data of every VM; `cloud-init schema` checks each one.
 *   3. A private LAN in network namespaces with the lab's addresses, a download server on it
 *      serving stand-in release assets and the checksum lists computed here, and one container
 *      per inventory host of the groups in hosts.ts, booted with systemd as PID 1 (lib/lab.ts).
 *      The VMs boot with their snippet as the NoCloud seed.
 *   4. The playbooks of hosts.ts (PLAYS), each run twice, tasks tagged needs_kernel/needs_cluster
 *      skipped and listed; then the assertions (verify/*.yml).
 *   5. The rebuild path: the first server's disk is wiped, it boots again, site.yml runs twice.
 *   6. The table: host, play, run 1 changed, run 2 changed, services asserted, steps not exercised.
 *
 * Adding to it (issue 16's restic checks on the Pi, issue 17's K3s agent):
 *   - a host: put it in the lab fixture, so that the generated inventory has it. Its inventory group
 *     needs a profile in hosts.ts (PROFILES): cloud-init seed or not, stand-in files, the units a
 *     container cannot run, the services/timers asserted active, the verify playbooks. A new group
 *     (`agent`) is a new profile; hosts of groups without a profile are not booted.
 *   - a play: add it to PLAYS in hosts.ts (a playbook under ansible/playbooks/). It runs in both
 *     rounds, limited to the booted machines; its changed counts appear in the table.
 *   - assertions: a playbook under verify/ (hosts: the group), named in the profile's `verify`.
 *     Each check must also show that it can fail (plant a broken copy and expect the refusal, as
 *     verify/services.yml does for systemd-analyze). Services and timers only need the profile's
 *     lists. Test-only values go in the extra vars built below (runtimeVars) or, per host, in the
 *     runtime inventory (runtimeInventory).
 *   - a download: a release asset the roles fetch goes in buildDownloads(), with its checksum list,
 *     and the role takes its base URL as a variable whose default stays the upstream URL.
 *
 * Environment: HOMELAB_CI_CACHE (image cache, default /var/cache/homelab-ci), HOMELAB_RUNTIME_WORK
 * (scratch, default /var/tmp/homelab-runtime), HOMELAB_RUNTIME_KEEP=1 (leave the lab running; the
 * next run removes it), HOMELAB_RUNTIME_UNTIL=boot (stop once the machines are up, lab kept).
 * Needs root, debootstrap, systemd-nspawn (Debian 12's systemd-container), iproute2, util-linux.
 */
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { loadLabFile } from "../../../config/load";
import type { LabConfig } from "../../../config/schema";
import { renderInventory } from "../../../constructs/ansible/inventory";
import { DOWNLOAD_NOTES, PLAYS, PROFILES, SKIP_TAGS, type HostProfile, type Play } from "./hosts";
import { ensureImages } from "./lib/images";
import type { Controller } from "./lib/controller";
import { throwawayClusterCa } from "./lib/cluster-ca";
import { Lab, type MachineSpec } from "./lib/lab";
import { run, runParallel } from "./lib/sh";
import { vmUserData, type VmUserData } from "./lib/user-data";

const ROOT = join(__dirname, "..", "..", "..");
const HERE = __dirname;
const FIXTURE = join(ROOT, "__tests__", "fixtures", "labs", "default.yaml");
const WORK = process.env.HOMELAB_RUNTIME_WORK || "/var/tmp/homelab-runtime";
const LAB_ID = "hlrt";
const HTTP_PORT = 8080;

const started = Date.now();
const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
const say = (line: string) => console.log(`[${elapsed().padStart(6)}] ${line}`);

interface Report {
  plays: { name: string; not_run: { task: string; tags: string[] }[]; hosts: string[] }[];
  results: { play: number; host: string; task: string; status: string; handler: boolean; false_condition: string }[];
  stats: Record<string, { changed: number; failures: number; unreachable: number; ok: number }>;
}

interface Row {
  host: string;
  play: string;
  changed: (number | undefined)[];
  services: string[];
  notExercised: Set<string>;
}

interface Machine {
  name: string;
  group: string;
  profile: HostProfile;
  address: string;
  /** The LAN interface's name inside the machine (the VMs': k3s_interface). */
  interface: string;
}

function main(): void {
  if (process.getuid?.() !== 0) throw new Error("ansible:runtime must run as root (debootstrap, namespaces, systemd-nspawn)");
  for (const tool of ["debootstrap", "systemd-nspawn", "nsenter", "ip", "chroot", "python3"]) {
    if (run(["sh", "-c", `command -v ${tool}`], { allowFailure: true }).status !== 0) {
      throw new Error(`ansible:runtime needs ${tool} (Debian: apt-get install debootstrap systemd-container iproute2 util-linux python3)`);
    }
  }

  const images = ensureImages(say);
  say(`images: node ${images.node}, controller ${images.controller}${images.built ? " (built now)" : " (cached)"}`);

  const loaded = loadLabFile(FIXTURE);
  if (!loaded.ok) throw new Error(`${FIXTURE} is not valid`);
  const labConfig = loaded.lab;
  const inventoryText = renderInventory(labConfig);
  const inventory = parse(inventoryText);
  const machines = inventoryMachines(inventory);
  const userData = vmUserData(labConfig);
  const [cidrBase, cidrPrefix] = String(inventory.all.vars.homelab_lan_cidr).split("/");
  const serviceAddress = serviceAddressFor(cidrBase, Number(cidrPrefix), inventory);

  const lab = new Lab(LAB_ID, WORK, Number(cidrPrefix), serviceAddress, images);
  // First, what an interrupted run left (its mounts include a bind of the work directory).
  lab.cleanStale();
  const work = join(WORK, "work");
  run(["rm", "-rf", "--one-file-system", work]);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "hosts.yaml"), inventoryText);
  const cleanup = () => {
    if (process.env.HOMELAB_RUNTIME_KEEP === "1") say(`HOMELAB_RUNTIME_KEEP=1: the lab stays up (namespaces ${LAB_ID}-*)`);
    else lab.close();
  };
  try {
    lab.createNetwork();
    const debian13 = lab.controller([ROOT, work]);
    const controller: ControllerRun = (argv, log, env = {}, allowFailure = false) => {
      const result = debian13.run(argv, { cwd: join(ROOT, "ansible"), env, allowFailure: true });
      if (log) writeFileSync(log, result.stdout + result.stderr);
      if (result.status !== 0 && !allowFailure) throw new Error(`controller: ${argv.join(" ")} exited ${result.status}${log ? `: see ${log}` : `\n${result.stderr}`}`);
      return result;
    };

    checkUserDataSchema(userData, work, controller);

    const downloads = buildDownloads(work, inventory);
    const url = lab.startHttp(downloads, HTTP_PORT, join(work, "http.log"));
    say(`download server ${url} (stand-in release assets, checksum lists computed here)`);

    bootMachines(lab, machines, userData);
    const expectations = runtimeExpectations(labConfig);

    const secrets = {
      K3S_TOKEN: randomBytes(36).toString("base64").replace(/[^A-Za-z0-9]/g, "").slice(0, 48),
      // The cluster's CAs, as the k3s stack hands them over: only the server creating the cluster writes them.
      K3S_CA_FILES: JSON.stringify(throwawayClusterCa()),
      TFC_AGENT_TOKEN: `stand-in-tfc-agent-token-${randomBytes(8).toString("hex")}`,
      // The runs' SSH key (the agent logs in to the VMs with it): a throwaway, never printed.
      HOMELAB_AGENT_SSH_KEY: generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    };
    const ansible = new Ansible(lab, debian13, machines, work, url, labConfig.k3s.version, expectations, secrets, controller);
    // Debugging aid: stop with the machines booted and the inventories written, the lab kept.
    if (process.env.HOMELAB_RUNTIME_UNTIL === "boot") {
      ansible.writeInventory();
      process.env.HOMELAB_RUNTIME_KEEP = "1";
      return;
    }

    // Two rounds of every play.
    const rows = new Map<string, Row>();
    for (const round of [1, 2]) {
      const httpBefore = httpRequests(work).length;
      const reports = ansible.plays(PLAYS, `round${round}`);
      for (const play of PLAYS) collectRows(rows, play.playbook, round, reports.get(play.playbook)!, machines);
      const fetched = httpRequests(work).slice(httpBefore);
      say(`round ${round}: downloads ${fetched.length ? fetched.join(", ") : "none"}`);
      if (round === 2) {
        const binaries = fetched.filter((path) => !/(sha256sum-[a-z0-9]+\.txt|checksums\.txt|SHA256SUMS)$/.test(path));
        if (binaries.length) throw new Error(`round 2 downloaded release assets again: ${binaries.join(", ")}`);
      }
    }
    const changedOnRound2 = [...rows.values()].filter((row) => (row.changed[1] ?? 0) !== 0);

    // Assertions on the converged machines.
    ansible.verify(["services.yml", ...new Set(PROFILES.flatMap((profile) => profile.verify))], "verify");

    // The rebuild path: the first server's VM is recreated with an empty disk and site.yml rerun.
    const first = machines.find((m) => inventory.all.children.k3s_cluster.children.server.hosts[m.name]?.k3s_first_server === true);
    const rebuildRows = new Map<string, Row>();
    if (first) {
      say(`rebuild: ${first.name}'s disk wiped, booted again; site.yml twice, its peers must stay untouched`);
      lab.stop(first.name, { wipe: true });
      bootMachines(lab, [first], userData);
      const rebuildPlays = PLAYS.filter((play) => play.playbook === "site.yml");
      for (const round of [1, 2]) {
        const reports = ansible.plays(rebuildPlays, `rebuild-round${round}`);
        collectRows(rebuildRows, "site.yml", round, reports.get("site.yml")!, machines);
      }
      ansible.verify(["services.yml", "k3s-server.yml"], "rebuild-verify", { runtime_first_server_mode: "joined" });
    }

    printTable("converge (rpi.yml, site.yml, backups.yml, twice)", rows);
    if (first) printTable(`rebuild of ${first.name} (new disk; site.yml twice)`, rebuildRows);
    printNotes();
    const rebuildChanged = [...rebuildRows.values()].filter((row) => (row.changed[1] ?? 0) !== 0);
    if (changedOnRound2.length || rebuildChanged.length) {
      throw new Error(
        `the second run changed something (not idempotent): ${[...changedOnRound2, ...rebuildChanged].map((r) => `${r.host} ${r.play}`).join(", ")}; see ${work}/*.log`,
      );
    }
    const rebuiltPeers = [...rebuildRows.values()].filter((row) => row.host !== first?.name && (row.changed[0] ?? 0) !== 0);
    if (rebuiltPeers.length) throw new Error(`the rebuild changed the surviving servers: ${rebuiltPeers.map((r) => r.host).join(", ")}`);
    say(`ansible runtime converge: OK, second runs changed nothing, assertions passed (${elapsed()})`);
  } finally {
    cleanup();
  }
}

/** Inventory hosts of the groups that have a profile, with their lab address. */
function inventoryMachines(inventory: any): Machine[] {
  const groups: Record<string, any> = {};
  const walk = (name: string, group: any) => {
    groups[name] = group;
    for (const [child, value] of Object.entries(group?.children ?? {})) walk(child, value);
  };
  walk("all", inventory.all);
  return PROFILES.flatMap((profile) => {
    const group = groups[profile.group];
    if (!group) throw new Error(`hosts.ts: the generated inventory has no group ${profile.group}`);
    const k3sInterface = inventory.all.children.k3s_cluster?.vars?.k3s_interface;
    const inCluster = (name: string) => JSON.stringify(inventory.all.children.k3s_cluster ?? {}).includes(`"${name}":`);
    return Object.entries(group.hosts ?? {}).map(([name, vars]: [string, any]) => ({
      name,
      group: profile.group,
      profile,
      address: vars.ansible_host,
      interface: inCluster(name) && k3sInterface ? k3sInterface : "eth0",
    }));
  });
}

/** The highest address of the lab subnet that nothing in the inventory uses. */
function serviceAddressFor(base: string, prefix: number, inventory: any): string {
  if (prefix !== 24) throw new Error(`ansible:runtime expects a /24 lab subnet, got /${prefix}`);
  const used = new Set(JSON.stringify(inventory).match(/\b\d+\.\d+\.\d+\.\d+\b/g) ?? []);
  const stem = base.split(".").slice(0, 3).join(".");
  for (let host = 254; host > 1; host--) if (!used.has(`${stem}.${host}`)) return `${stem}.${host}`;
  throw new Error("no free address in the lab subnet for the download server");
}

/** What cloud-init must have done, from the lab config (vm settings). */
function runtimeExpectations(lab: LabConfig) {
  return {
    admin_user: lab.vm.user,
    ssh_public_keys: [...lab.vm.sshPublicKeys],
    timezone: lab.vm.timezone,
    ntp_servers: [...lab.vm.ntpServers],
    domain: lab.network.domain,
  };
}

type ControllerRun = (argv: string[], log?: string, env?: Record<string, string>, allowFailure?: boolean) => { status: number; stdout: string; stderr: string };

/**
 * `cloud-init schema` (Debian 13's cloud-init, on the controller) over every VM's user data: valid,
 * no deprecation. Two planted copies (a wrong type, a deprecated key) must be refused by the same test.
 */
function checkUserDataSchema(userData: readonly VmUserData[], work: string, controller: ControllerRun): void {
  const dir = join(work, "user-data");
  mkdirSync(dir, { recursive: true });
  const check = (file: string) => {
    const result = controller(["cloud-init", "schema", "--config-file", file, "--annotate"], undefined, {}, true);
    const output = result.stdout + result.stderr;
    return { ok: result.status === 0 && !/deprecat/i.test(output), output: output.trim() };
  };
  for (const vm of userData) {
    const file = join(dir, `${vm.hostname}.user-data`);
    writeFileSync(file, vm.userData);
    const result = check(file);
    if (!result.ok) throw new Error(`cloud-init schema refuses ${vm.hostname}'s user data:\n${result.output}`);
  }
  const planted = {
    "wrong type (ssh_pwauth: maybe)": userData[0].userData.replace(/^ssh_pwauth: false$/m, "ssh_pwauth: maybe"),
    "deprecated key (lock-passwd)": userData[0].userData.replace(/^ {4}lock_passwd: true$/m, "    lock-passwd: true"),
  };
  for (const [what, text] of Object.entries(planted)) {
    if (text === userData[0].userData) throw new Error(`cloud-init schema self-check: could not plant ${what}`);
    const file = join(dir, "planted.user-data");
    writeFileSync(file, text);
    const result = check(file);
    if (result.ok) throw new Error(`cloud-init schema self-check: the planted ${what} passed:\n${result.output}`);
    say(`cloud-init schema: planted ${what} refused: ${result.output.split("\n").find((l) => /lock-passwd|ssh_pwauth|deprecat|Error/i.test(l))?.trim()}`);
  }
  say(`cloud-init schema: ${userData.map((v) => v.hostname).join(", ")}: valid, no deprecation`);
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** The download server's tree: stand-in release assets where the roles look for them, with checksum lists. */
function buildDownloads(work: string, inventory: any): string {
  const root = join(work, "downloads");
  const fixtures = join(HERE, "fixtures");
  const cluster = inventory.all.children.k3s_cluster.vars;
  const pi = inventory.all.children.raspberry_pi?.vars ?? {};
  const defaults = (role: string) => parse(readFileSync(join(ROOT, "ansible", "roles", role, "defaults", "main.yml"), "utf8"));

  // K3s: <url>/<version>/k3s and sha256sum-amd64.txt (the containers are x86_64).
  const k3sDir = join(root, "k3s", cluster.k3s_version);
  mkdirSync(k3sDir, { recursive: true });
  copyFileSync(join(fixtures, "stand-in-k3s.py"), join(k3sDir, "k3s"));
  writeFileSync(join(k3sDir, "sha256sum-amd64.txt"), `${sha256(join(k3sDir, "k3s"))}  k3s\n`);
  // The same stand-in as the Pi's kubectl (k3s-<arch> for arm64 and arm), for the tfc-agent's runs.
  const piArch = pi.pi_arch ?? "arm64";
  if (piArch !== "amd64") {
    copyFileSync(join(fixtures, "stand-in-k3s.py"), join(k3sDir, `k3s-${piArch}`));
    writeFileSync(join(k3sDir, `sha256sum-${piArch}.txt`), `${sha256(join(k3sDir, `k3s-${piArch}`))}  k3s-${piArch}\n`);
  }

  // AdGuard Home: <url>/v<version>/AdGuardHome_linux_<arch>.tar.gz and checksums.txt.
  const adguardVersion = defaults("adguard_home").adguard_home_version;
  const arch = pi.pi_arch ?? "arm64";
  const adguardDir = join(root, "adguardhome", `v${adguardVersion}`);
  const adguardTree = join(work, "adguard-tree", "AdGuardHome");
  mkdirSync(adguardDir, { recursive: true });
  mkdirSync(adguardTree, { recursive: true });
  copyFileSync(join(fixtures, "stand-in-adguardhome.py"), join(adguardTree, "AdGuardHome"));
  chmodSync(join(adguardTree, "AdGuardHome"), 0o755);
  const adguardArchive = `AdGuardHome_linux_${arch}.tar.gz`;
  run(["tar", "-C", join(work, "adguard-tree"), "--owner=0", "--group=0", "-czf", join(adguardDir, adguardArchive), "AdGuardHome"]);
  writeFileSync(join(adguardDir, "checksums.txt"), `${sha256(join(adguardDir, adguardArchive))}  ${adguardArchive}\n`);

  // tfc-agent: <url>/<version>/tfc-agent_<version>_linux_<arch>.zip and tfc-agent_<version>_SHA256SUMS.
  const tfcVersion = defaults("tfc_agent").tfc_agent_version;
  const tfcDir = join(root, "tfc-agent", tfcVersion);
  mkdirSync(tfcDir, { recursive: true });
  const tfcArchive = `tfc-agent_${tfcVersion}_linux_${arch}.zip`;
  const standIn = join(fixtures, "stand-in-tfc-agent.sh");
  run([
    "python3", "-c",
    "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z:\n  for name in ('tfc-agent', 'tfc-agent-core'):\n    info = zipfile.ZipInfo(name)\n    info.external_attr = 0o100755 << 16\n    z.writestr(info, open(sys.argv[2], 'rb').read())",
    join(tfcDir, tfcArchive), standIn,
  ]);
  writeFileSync(join(tfcDir, `tfc-agent_${tfcVersion}_SHA256SUMS`), `${sha256(join(tfcDir, tfcArchive))}  ${tfcArchive}\n`);
  return root;
}

/** Paths the download server was asked for, in order. */
function httpRequests(work: string): string[] {
  const log = join(work, "http.log");
  if (!existsSync(log)) return [];
  return [...readFileSync(log, "utf8").matchAll(/"GET (\S+) HTTP/g)].map((m) => decodeURIComponent(m[1]));
}

function machineSpec(machine: Machine, userData: readonly VmUserData[]): MachineSpec {
  const files: Record<string, { content: string | Buffer; mode?: number }> = {};
  if (machine.profile.cloudInitSeed) {
    const seed = userData.find((vm) => vm.hostname === machine.name);
    if (!seed) throw new Error(`${machine.name}: the infra stack has no cloud-init snippet for it`);
    files["/var/lib/cloud/seed/nocloud/user-data"] = { content: seed.userData, mode: 0o600 };
    files["/var/lib/cloud/seed/nocloud/meta-data"] = { content: `instance-id: iid-${machine.name}\nlocal-hostname: ${machine.name}\n`, mode: 0o600 };
    // The harness sets the address, as Proxmox's network-config would; the snippet has none.
    files["/etc/cloud/cloud.cfg.d/90-homelab-runtime-test.cfg"] = {
      content: "# Runtime test fixture: NoCloud seed only, the network is set up by the test.\ndatasource_list: [NoCloud]\nnetwork: {config: disabled}\n",
    };
  }
  for (const standIn of machine.profile.standIns) {
    files[standIn.path] = { content: readFileSync(join(HERE, "fixtures", standIn.fixture)), mode: standIn.mode ?? 0o644 };
  }
  return { name: machine.name, address: machine.address, interface: machine.interface, files };
}

/** Boots the machines together; a unit failed at boot that the profile does not expect fails the test. */
function bootMachines(lab: Lab, machines: readonly Machine[], userData: readonly VmUserData[]): void {
  const booted = lab.bootAll(machines.map((m) => machineSpec(m, userData)));
  for (const [i, machine] of machines.entries()) {
    const { leader, bootState, failedAtBoot } = booted[i];
    say(`booted ${machine.name} (${machine.address}, pid ${leader}): ${bootState}${failedAtBoot.length ? `, failed as expected in a container: ${failedAtBoot.join(" ")}` : ""}`);
    const unexpected = failedAtBoot.filter((unit) => !(unit in machine.profile.expectedBootFailures));
    if (unexpected.length) {
      const status = lab.exec(machine.name, ["systemctl", "status", "--no-pager", "--lines=30", ...unexpected], { allowFailure: true });
      throw new Error(`${machine.name}: units failed at boot that hosts.ts does not expect: ${unexpected.join(", ")}\n${status.stdout}`);
    }
  }
}

/** ansible-playbook on the controller against the machines. */
class Ansible {
  private readonly runtimeInventory: string;
  private readonly varsFile: string;

  constructor(
    private readonly lab: Lab,
    private readonly debian13: Controller,
    private readonly machines: readonly Machine[],
    private readonly work: string,
    url: string,
    k3sVersion: string,
    expectations: Record<string, unknown>,
    private readonly secrets: Record<string, string>,
    private readonly controller: ControllerRun,
  ) {
    this.runtimeInventory = join(work, "runtime.yaml");
    this.varsFile = join(work, "runtime-vars.yaml");
    // Test-only values: the download server, the tfc-agent turned on, what cloud-init must have done.
    writeFileSync(
      this.varsFile,
      stringify({
        k3s_server_release_url: `${url}/k3s`,
        adguard_home_release_url: `${url}/adguardhome`,
        // The pinned upstream hash cannot match a stand-in: check against the served checksums.txt.
        adguard_home_checksums: {},
        tfc_agent_release_url: `${url}/tfc-agent`,
        pi_tfc_agent: true,
        // kubectl for the agent's runs: the K3s binary of the cluster's version (the inventory names
        // it only with terraformCloud in the config), from the download server.
        pi_tfc_k3s_version: k3sVersion,
        tfc_agent_k3s_release: `${url}/k3s/{{ tfc_agent_k3s_version | urlencode }}`,
        runtime_expect: expectations,
      }),
    );
  }

  /** The nsenter connection to each machine (leader PIDs change when a machine is rebuilt). */
  writeInventory(): void {
    const hosts = Object.fromEntries(
      this.machines.map((m) => [
        m.name,
        {
          ansible_connection: "community.docker.nsenter",
          ansible_nsenter_pid: this.lab.machine(m.name).leader,
          // nsenter always enters as root; the inventory's SSH user (pi, homelab) would only name
          // Ansible's temporary directory (~pi), which must exist before the first task.
          ansible_user: "root",
          // Already root: sudo from root to root would only add a logind session per task (a third
          // of the run time). The admin user's real sudo rule is checked by verify/cloud-init.yml.
          ansible_become: false,
          ansible_python_interpreter: "/usr/bin/python3",
          runtime_services: m.profile.services,
          runtime_timers: m.profile.timers,
        },
      ]),
    );
    writeFileSync(this.runtimeInventory, stringify({ all: { hosts } }));
  }

  private env(report: string): Record<string, string> {
    return {
      ...this.secrets,
      ANSIBLE_CONFIG: join(ROOT, "ansible", "ansible.cfg"),
      ANSIBLE_ROLES_PATH: join(ROOT, "ansible", "roles"),
      ANSIBLE_CALLBACK_PLUGINS: join(HERE, "callback_plugins"),
      ANSIBLE_CALLBACKS_ENABLED: "homelab_runtime_report,ansible.posix.profile_tasks",
      ANSIBLE_NOCOLOR: "1",
      PYTHONDONTWRITEBYTECODE: "1",
      ANSIBLE_FORCE_COLOR: "0",
      ANSIBLE_FORKS: "8",
      HOMELAB_RUNTIME_REPORT: report,
    };
  }

  private args(extra: string[]): string[] {
    this.writeInventory();
    const limit = this.machines.map((m) => m.name).join(",");
    return ["-i", join(this.work, "hosts.yaml"), "-i", this.runtimeInventory, "--limit", limit, "-e", `@${this.varsFile}`, ...extra];
  }

  /** The plays, lane by lane side by side (hosts.ts), each a playbook run named `<prefix>-<playbook>`. */
  plays(plays: readonly Play[], prefix: string): Map<string, Report> {
    const lanes = new Map<string, Play[]>();
    for (const play of plays) lanes.set(play.lane, [...(lanes.get(play.lane) ?? []), play]);
    const reports = new Map<string, Report>();
    const steps = Math.max(...[...lanes.values()].map((lane) => lane.length));
    for (let step = 0; step < steps; step++) {
      const batch = [...lanes.values()].map((lane) => lane[step]).filter((play): play is Play => play !== undefined);
      this.writeInventory();
      const t0 = Date.now();
      const jobs = batch.map((play) => {
        const name = `${prefix}-${play.playbook}`;
        const argv = ["ansible-playbook", ...this.args(["--skip-tags", SKIP_TAGS.join(",")]), join(ROOT, "ansible", "playbooks", play.playbook)];
        return { play, name, log: join(this.work, `${name}.log`), argv: this.debian13.command(argv, { cwd: join(ROOT, "ansible"), env: this.env(join(this.work, `${name}.json`)) }) };
      });
      const statuses = runParallel(jobs);
      jobs.forEach((job, i) => {
        const report: Report = JSON.parse(readFileSync(join(this.work, `${job.name}.json`), "utf8"));
        const recap = Object.entries(report.stats)
          .map(([host, st]) => `${host} changed=${st.changed}${st.failures ? ` failed=${st.failures}` : ""}`)
          .join(", ");
        say(`${job.name}: ${recap} (${jobs.length > 1 ? `side by side with ${jobs.length - 1} other, ` : ""}${Math.round((Date.now() - t0) / 1000)} s)`);
        if (statuses[i] !== 0) throw new Error(`${job.name} failed (exit ${statuses[i]}):\n${failures(job.log)}\nfull log: ${job.log}`);
        const output = readFileSync(job.log, "utf8");
        if (output.includes(this.secrets.K3S_TOKEN)) throw new Error(`${job.name}: the join token appears in the output`);
        if (output.includes("PRIVATE KEY")) throw new Error(`${job.name}: a private key (K3S_CA_FILES, HOMELAB_AGENT_SSH_KEY) appears in the output`);
        reports.set(job.play.playbook, report);
      });
    }
    return reports;
  }

  /** Assertion playbooks under verify/, in one ansible-playbook run (each play names its hosts). */
  verify(playbooks: readonly string[], name: string, extraVars: Record<string, string> = {}): void {
    const log = join(this.work, `${name}.log`);
    const extra = Object.entries(extraVars).flatMap(([k, v]) => ["-e", `${k}=${v}`]);
    const t0 = Date.now();
    const result = this.controller(
      ["ansible-playbook", ...this.args(extra), ...playbooks.map((p) => join(HERE, "verify", p))],
      log,
      this.env(join(this.work, `${name}.json`)),
      true,
    );
    if (result.status !== 0) throw new Error(`${name} failed:\n${failures(log)}\nfull log: ${log}`);
    const planted = [...readFileSync(log, "utf8").matchAll(/"msg": "(planted failure caught: [^"]+)"/g)].map((m) => m[1]);
    say(`${name}: ${playbooks.join(", ")} passed (${Math.round((Date.now() - t0) / 1000)} s)`);
    for (const line of planted) say(`  ${line}`);
  }
}

/** The failed tasks of an Ansible log, with their messages. */
function failures(log: string): string {
  const lines = readFileSync(log, "utf8").split("\n");
  const out: string[] = [];
  lines.forEach((line, i) => {
    if (/^(fatal|failed):/.test(line)) {
      const header = [...lines.slice(0, i)].reverse().find((l) => /^(TASK|RUNNING HANDLER) \[/.test(l));
      out.push(header ?? "", line.slice(0, 3000));
    }
  });
  return out.length ? out.join("\n") : lines.slice(-40).join("\n");
}

function collectRows(rows: Map<string, Row>, playbook: string, round: number, report: Report, machines: readonly Machine[]): void {
  for (const [host, stats] of Object.entries(report.stats)) {
    const machine = machines.find((m) => m.name === host);
    if (!machine) continue;
    const key = `${host}\u0000${playbook}`;
    const row = rows.get(key) ?? { host, play: playbook, changed: [], services: [...machine.profile.services, ...machine.profile.timers], notExercised: new Set<string>() };
    row.changed[round - 1] = stats.changed;
    if (round === 1) {
      report.plays.forEach((play) => {
        if (!play.hosts.includes(host)) return;
        for (const task of play.not_run) row.notExercised.add(`${task.task} [${task.tags.join(",")}]`);
      });
      for (const result of report.results) {
        if (result.host === host && result.status === "skipped" && /container_techs/.test(result.false_condition)) {
          row.notExercised.add(`${result.task} [handler: skipped in containers]`);
        }
      }
    }
    rows.set(key, row);
  }
}

function printTable(title: string, rows: Map<string, Row>): void {
  const header = ["host", "play", "run 1 changed", "run 2 changed", "services asserted", "steps not exercised"];
  const seen = new Set<string>();
  const lists = new Map<string, string>();
  const body = [...rows.values()].map((row) => {
    let notes = [...row.notExercised].sort();
    // A list already printed for another host of the same play is named, not repeated.
    const key = `${row.play}\u0000${notes.join("\u0000")}`;
    if (notes.length > 1 && lists.has(key)) notes = [`same ${notes.length} steps as ${lists.get(key)}`];
    else lists.set(key, row.host);
    // Services are asserted once per host, after the plays: shown on the host's first row.
    const services = seen.has(row.host) ? "" : row.services.join(", ");
    seen.add(row.host);
    return {
      cells: [row.host, row.play, String(row.changed[0] ?? "-"), String(row.changed[1] ?? "-"), services],
      notes: notes.length ? notes : ["(none)"],
    };
  });
  const widths = header.slice(0, 5).map((h, i) => Math.max(h.length, ...body.map((b) => b.cells[i].length)));
  const line = (cells: string[], note: string) => cells.map((c, i) => c.padEnd(widths[i])).join("  ") + "  " + note;
  console.log(`\n== ${title}`);
  console.log(line(header.slice(0, 5), header[5]));
  for (const row of body) {
    console.log(line(row.cells, row.notes[0]));
    for (const note of row.notes.slice(1)) console.log(line(row.cells.map(() => ""), note));
  }
}

function printNotes(): void {
  console.log("\nAlso not exercised, on every machine (stand-ins are fixtures under __tests__/ansible/runtime/fixtures/):");
  for (const note of DOWNLOAD_NOTES) console.log(`  - ${note}`);
  for (const profile of PROFILES) {
    for (const standIn of profile.standIns) console.log(`  - ${profile.group}: ${standIn.note}`);
    for (const [unit, why] of Object.entries(profile.expectedBootFailures)) console.log(`  - ${profile.group}: ${unit} fails at boot: ${why}`);
  }
  console.log("  - apt: the roles' packages are in the image (the lab network has no mirror): apt tasks check, they do not install");
}

try {
  main();
} catch (error) {
  console.error(`\nansible:runtime FAILED (${elapsed()}): ${(error as Error).message}`);
  process.exit(1);
}
