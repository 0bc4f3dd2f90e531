/**
 * One gate, the mutations and the check (one-gate.test.ts and one-gate.slow.ts run it): synth and
 * the doctor refuse exactly the same configs, and a config they accept always builds. Several
 * hundred schema-valid mutations of the default lab (and of the agents lab's agents, issue 17) go
 * through the config checks as synth runs them (validateLab) and as the doctor runs them
 * (diagnoseYaml on the YAML text);
 * every accepted one is built into the three stacks (buildLab) and resolved to Terraform JSON. No
 * mutation may throw anywhere: a construct that refuses what the config accepted is a rule missing
 * from config/.
 */
import { App } from "cdktf";
import { stringify } from "yaml";
import { validateLab } from "../../config/load";
import { labSchema, type LabConfig } from "../../config/schema";
import { diagnoseYaml } from "../../doctor/diagnose";
import { buildLab } from "../../stacks/lab";
import { rawLab, setPath } from "../helpers";

type Raw = Record<string, any>;

/** A config to try; structural: a whole-section or optional-key change (STRUCTURAL), not one leaf. */
export interface Mutation {
  readonly name: string;
  readonly raw: Raw;
  readonly structural: boolean;
}

/** A small deterministic PRNG (mulberry32), so the mutations are the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function leaves(node: unknown, prefix = ""): { path: string; value: unknown }[] {
  if (Array.isArray(node)) {
    return [{ path: prefix, value: node }, ...node.flatMap((v, i) => leaves(v, `${prefix}[${i}]`))];
  }
  if (node !== null && typeof node === "object") {
    return Object.entries(node).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
  }
  return [{ path: prefix, value: node }];
}

const STRINGS = [
  "", "a", "A", "x y", "-x", "x-", "a".repeat(63), "a".repeat(64), "UPPER", "with_underscore", "dotted.name",
  "192.168.1.2", "192.168.1.150", "192.168.1.60", "192.168.1.21", "192.168.1.255", "192.168.1.0", "10.0.0.1",
  "192.168.1.0/24", "192.168.1.0/32", "192.168.1.0/16", "10.0.0.0/8",
  "pve-01", "pve-04", "k3s-master-1", "argocd", "traefik", "k3s",
  "0 3 * * *", "*/15 * * * *", "@daily", "0 0 31 2 *", "59 23 * * 6", "0 0 1 jan mon",
  "UTC", "Etc/UTC", "America/New_York", "Asia/Kolkata",
  "example.org", "lab.example.org", "a.b", "home.arpa",
  "vmbr1", "eth0", "enp6s18", "v1.36.0+k3s1", "v0.0.1", "2.0.0",
  "local", "local-zfs", "ssd.pool", "tls://dns.quad9.net", "9.9.9.9", "https://dns.google/dns-query",
  "debian-13", "ubuntu-24.04", "sha256", "sha512", "arm64", "armhf", "cloudflare",
  "/srv/x", "/", "root", "pi", "homelab", "_svc",
];
const NUMBERS = [0, 1, 2, 3, 4, 5, 7, 8, 16, 100, 101, 1024, 2048, 2047, 3072, 4096, 8192, 9216, 12288, 16384, 65535, 65536, 999999999, 0.5, 1.5, 100.5];

/** Candidate values for one leaf: of its own kind, around its value, and the interesting extremes. */
function candidates(value: unknown, rand: () => number): unknown[] {
  const pick = <T>(list: readonly T[], n: number) => Array.from({ length: n }, () => list[Math.floor(rand() * list.length)]);
  if (typeof value === "number") return [value + 1, value - 1, value * 2, Math.floor(value / 2), ...pick(NUMBERS, 6)];
  if (typeof value === "boolean") return [!value];
  if (typeof value === "string") return [value.toUpperCase(), `${value}-x`, value.slice(1), ...pick(STRINGS, 8)];
  if (Array.isArray(value)) {
    const out: unknown[] = [[], value.slice(0, 1), [...value, value[0]]];
    if (value.length > 1) out.push(value.slice(1), [...value].reverse());
    return out;
  }
  return [];
}

/** Whole-section and optional-key changes a user may make. */
const STRUCTURAL: Record<string, unknown>[] = [
  { raspberryPi: undefined },
  { terraformCloud: { organization: "my-homelab" } },
  { terraformCloud: { organization: "my-homelab", workspacePrefix: "lab" } },
  { terraformCloud: { organization: "my-homelab" }, "raspberryPi.terraformCloudAgent": true },
  { "raspberryPi.terraformCloudAgent": true },
  { "platform.tls.acme": { email: "me@example.org", publicDomain: "lab.example.org", dnsProvider: "cloudflare" } },
  { "platform.tls.acme": { email: "me@example.org", publicDomain: "example.org", dnsProvider: "cloudflare", staging: false } },
  { "platform.apps.gitea.enabled": false },
  { "platform.apps.argocd.enabled": false },
  { "platform.apps.grafana.enabled": false },
  { "platform.apps.vaultwarden.enabled": false },
  { "platform.apps.adguard.enabled": false },
  { "platform.apps.adguard.upstreams": [] },
  { "platform.apps.gitea.hostname": "git" },
  { "platform.apps.gitea.hostname": "argocd" },
  { "platform.apps.grafana.hostname": "k3s" },
  { "platform.apps.vaultwarden.hostname": "longhorn" },
  { "platform.apps.vaultwarden.signupsAllowed": true },
  { "k3s.servers": [] },
  { "k3s.servers[2]": undefined },
  { "k3s.servers[1]": undefined, "k3s.servers[2]": undefined },
  { "proxmox.nodes[2]": undefined },
  { "vm.image": "ubuntu-24.04" },
  { "vm.ntpServers": ["192.168.1.1", "pool.ntp.org"] },
  { "k3s.allowServersPerNode": 3, "k3s.servers[1].proxmoxNode": "pve-01", "k3s.servers[2].proxmoxNode": "pve-01" },
  { "platform.longhorn.replicaCount": 3 },
  { "platform.longhorn.replicaCount": 1 },
  { "k3s.servers[0].dataStorage": "ssd" },
  { "network.cidr": "192.168.0.0/16" },
  { "network.cidr": "192.168.1.0/25" },
  { "loadBalancer.pool": { start: "192.168.1.60", end: "192.168.1.60" } },
  { "network.dhcpRange": { start: "192.168.1.100", end: "192.168.1.100" } },
];

/** The agents lab's fourth node, for the whole-lab changes that add agents to the default lab. */
const PVE_04 = { name: "pve-04", address: "192.168.1.14", model: "M720q", cpu: "Core i7", threads: 12, memoryGiB: 32 };
const AGENT = { name: "k3s-agent-1", vmId: 211, address: "192.168.1.31", proxmoxNode: "pve-04", memoryMiB: 8192 };

/** Whole-lab changes with agents (issue 17), on the default lab: accepted and refused ones. */
const AGENT_STRUCTURAL: Record<string, unknown>[] = [
  { "proxmox.nodes[3]": PVE_04, "k3s.agents": [{ ...AGENT, dataDiskGiB: 200 }] },
  { "proxmox.nodes[3]": PVE_04, "k3s.agents": [AGENT, { ...AGENT, name: "k3s-agent-2", vmId: 212, address: "192.168.1.32", taints: ["x=y:NoSchedule"] }] },
  { "proxmox.nodes[3]": PVE_04, "k3s.agents": [{ ...AGENT, dataDiskGiB: 200 }], "k3s.taintServers": true },
  { "proxmox.nodes[3]": PVE_04, "k3s.agents": [{ ...AGENT, labels: ["homelab/pool=a"], taints: ["homelab/pool=a:PreferNoSchedule"] }] },
  { "k3s.servers[0].memoryMiB": 8192, "k3s.agents": [{ ...AGENT, proxmoxNode: "pve-01", memoryMiB: 4096 }] },
  { "k3s.servers[0].memoryMiB": 8192, "k3s.agents": [{ ...AGENT, proxmoxNode: "pve-01", memoryMiB: 4096, dataDiskGiB: 100 }], "k3s.taintServers": true },
  { "k3s.servers[0].memoryMiB": 8192, "proxmox.sharedStorage": ["nfs-vm"], "k3s.agents": [{ ...AGENT, proxmoxNode: "pve-01", memoryMiB: 2048, failover: { nodes: ["pve-02"], storage: "nfs-vm" } }] },
  { "k3s.servers[0].memoryMiB": 8192, "k3s.agents": [{ ...AGENT, proxmoxNode: "pve-01", memoryMiB: 2048, failover: { nodes: ["pve-02"], storage: "nfs-vm" } }] },
  { "raspberryPi.k3sAgent": true },
  { "raspberryPi.k3sAgent": true, "k3s.taintServers": true },
  { "k3s.agents": [{ ...AGENT, proxmoxNode: "pve-03", memoryMiB: 1024 }] },
];

/**
 * Single-leaf changes of the agents lab's agents and fourth node: three candidates per leaf (the
 * default lab's leaves get more), so that they add dozens of labs, not hundreds.
 */
function agentLeafMutations(rand: () => number, add: (name: string, raw: Raw) => void): void {
  const base = rawLab("agents");
  const under = (prefix: string) => leaves(base).filter((l) => l.path.startsWith(prefix) && l.path !== prefix);
  for (const { path, value } of [...under("k3s.agents"), ...under("proxmox.nodes[3]")]) {
    for (const candidate of candidates(value, rand).slice(0, 3)) {
      const raw = structuredClone(base);
      setPath(raw, path, candidate);
      add(`agents lab: ${path} = ${JSON.stringify(candidate)}`, raw);
    }
  }
}

/** Whether a mutation declares K3s agents (or the Pi as one). */
export function hasAgents(mutation: Mutation): boolean {
  return (mutation.raw.k3s?.agents?.length ?? 0) > 0 || mutation.raw.raspberryPi?.k3sAgent === true;
}

/**
 * Fields no stack reads: they feed the rules, the doctor, the diagram and the Proxmox install
 * answers. Accepted labs that differ only there build the same stacks, so the gate builds the
 * first of them and skips the others (over a third of the accepted mutations). one-gate.test.ts
 * proves that the stacks do not read them.
 */
export const NOT_READ_BY_STACKS = {
  proxmox: ["install", "hostReserveMiB", "cpuOvercommit"],
  "proxmox.nodes[]": ["install", "model", "cpu", "threads", "memoryGiB"],
  k3s: ["allowServersPerNode", "systemReserveMiB", "systemReserveMilliCpu", "agentSystemReserveMiB", "agentSystemReserveMilliCpu"],
} as const;

/** What the stacks are built from: the validated lab without the fields they do not read. */
export function stackInputs(lab: LabConfig): string {
  const copy = structuredClone(lab) as Raw;
  for (const key of NOT_READ_BY_STACKS.proxmox) delete copy.proxmox[key];
  for (const node of copy.proxmox.nodes) for (const key of NOT_READ_BY_STACKS["proxmox.nodes[]"]) delete node[key];
  for (const key of NOT_READ_BY_STACKS.k3s) delete copy.k3s[key];
  return JSON.stringify(copy);
}

/** The three stacks of a lab, resolved to Terraform JSON. */
export function terraformOf(lab: LabConfig): string {
  const stacks = buildLab(new App({ outdir: "unused", skipValidation: false }), lab);
  return JSON.stringify([stacks.infra, stacks.k3s, stacks.platform].map((stack) => stack.toTerraform()));
}

export function mutations(): Mutation[] {
  const rand = prng(20261201);
  const base = rawLab();
  const found: Mutation[] = [];
  const seen = new Set<string>();
  const add = (name: string, raw: Raw, structural = false) => {
    const key = JSON.stringify(raw);
    if (seen.has(key) || !labSchema.safeParse(raw).success) return;
    seen.add(key);
    found.push({ name, raw, structural });
  };
  for (const change of [...STRUCTURAL, ...AGENT_STRUCTURAL]) {
    const raw = structuredClone(base);
    for (const [path, value] of Object.entries(change)) setPath(raw, path, value);
    add(JSON.stringify(change), raw, true);
  }
  const all = leaves(base).filter((l) => l.path !== "");
  for (const { path, value } of all) {
    for (const candidate of candidates(value, rand)) {
      const raw = structuredClone(base);
      setPath(raw, path, candidate);
      add(`${path} = ${JSON.stringify(candidate)}`, raw);
    }
  }
  agentLeafMutations(rand, add);
  // Two changes at once, drawn from the single ones that the schema accepts.
  const singles = [...found];
  for (let i = 0; i < 120; i++) {
    const a = singles[Math.floor(rand() * singles.length)];
    const b = singles[Math.floor(rand() * singles.length)];
    const merged = structuredClone(a.raw);
    for (const { path, value } of leaves(b.raw).filter((l) => !Array.isArray(l.value))) {
      const before = leaves(base).find((l) => l.path === path);
      if (before && JSON.stringify(before.value) !== JSON.stringify(value)) setPath(merged, path, value);
    }
    add(`${a.name} & ${b.name}`, merged);
  }
  return found;
}


export interface GateOutcome {
  readonly built: number;
  readonly refused: number;
  /** Of those, the labs with agents. */
  readonly builtWithAgents: number;
  readonly refusedWithAgents: number;
  /** Accepted and chosen, not built again: the same stack inputs as one built before. */
  readonly sameStackInputs: number;
  readonly failures: string[];
}

/**
 * Every mutation through validateLab (synth) and diagnoseYaml (the doctor); those accepted and
 * chosen by `build` are built into the three stacks and resolved to Terraform JSON.
 */
export function runGate(mutations: readonly Mutation[], build: (mutation: Mutation, index: number) => boolean): GateOutcome {
  let built = 0;
  let refused = 0;
  let builtWithAgents = 0;
  let refusedWithAgents = 0;
  let sameStackInputs = 0;
  const inputsBuilt = new Set<string>();
  const failures: string[] = [];
  mutations.forEach((mutation, index) => {
    const { name, raw } = mutation;
    const synth = validateLab(raw);
    const doctor = diagnoseYaml(stringify(raw), "homelab.yaml");
    const synthErrors = (synth.ok ? [] : synth.problems).filter((p) => p.severity === "error");
    const doctorErrors = doctor.problems.filter((p) => p.severity === "error");
    if (JSON.stringify(synthErrors) !== JSON.stringify(doctorErrors)) {
      failures.push(`${name}: synth and the doctor disagree:\n  synth:  ${JSON.stringify(synthErrors)}\n  doctor: ${JSON.stringify(doctorErrors)}`);
      return;
    }
    if (!synth.ok) {
      refused++;
      if (hasAgents(mutation)) refusedWithAgents++;
      return;
    }
    if (!build(mutation, index)) return;
    const inputs = stackInputs(synth.lab);
    if (inputsBuilt.has(inputs)) {
      sameStackInputs++;
      return;
    }
    inputsBuilt.add(inputs);
    try {
      terraformOf(synth.lab);
      built++;
      if (hasAgents(mutation)) builtWithAgents++;
    } catch (e) {
      failures.push(`${name}: accepted by the config checks, but building the stacks throws: ${(e as Error).message}`);
    }
  });
  return { built, refused, builtWithAgents, refusedWithAgents, sameStackInputs, failures };
}
