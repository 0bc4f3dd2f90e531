/**
 * Cross-field rules of the lab config: what a schema cannot see on one field alone.
 * Each rule returns problems that name the config path(s) involved and say how to fix them.
 * Errors stop synth; warnings are printed and synth goes on.
 */
import type { LabConfig } from "./schema";
import {
  cidrContains,
  ipToInt,
  isUsableHost,
  parseCidr,
  parseRange,
  rangeContains,
  rangesOverlap,
  type IpRange,
} from "./ipv4";

export type Severity = "error" | "warning";

export interface Problem {
  readonly severity: Severity;
  /** Config path, e.g. `k3s.servers[1].address`. Several paths are joined by `, `. */
  readonly path: string;
  readonly message: string;
}

export type Rule = (lab: LabConfig) => Problem[];

const MIB_PER_GIB = 1024;

/** Every static address of the lab with its owner, in config order. */
export interface StaticAddress {
  readonly path: string;
  readonly owner: string;
  readonly ip: string;
}

export function staticAddresses(lab: LabConfig): StaticAddress[] {
  const list: StaticAddress[] = [
    { path: "network.gateway", owner: "gateway (ISP box)", ip: lab.network.gateway },
    ...lab.proxmox.nodes.map((n, i) => ({ path: `proxmox.nodes[${i}].address`, owner: `Proxmox node ${n.name}`, ip: n.address })),
    ...lab.k3s.servers.map((s, i) => ({ path: `k3s.servers[${i}].address`, owner: `VM ${s.name}`, ip: s.address })),
    { path: "k3s.apiVip", owner: "Kubernetes API VIP (kube-vip)", ip: lab.k3s.apiVip },
  ];
  if (lab.raspberryPi) {
    list.push({ path: "raspberryPi.address", owner: `Raspberry Pi ${lab.raspberryPi.name}`, ip: lab.raspberryPi.address });
  }
  return list;
}

/** Fixed LoadBalancer addresses: they must sit inside the MetalLB pool. */
export function serviceAddresses(lab: LabConfig): StaticAddress[] {
  return [
    { path: "loadBalancer.ingressIp", owner: "Traefik ingress", ip: lab.loadBalancer.ingressIp },
    { path: "loadBalancer.dnsIp", owner: "AdGuard Home DNS", ip: lab.loadBalancer.dnsIp },
    { path: "loadBalancer.gitSshIp", owner: "Gitea SSH", ip: lab.loadBalancer.gitSshIp },
  ];
}

const error = (path: string, message: string): Problem => ({ severity: "error", path, message });
const warning = (path: string, message: string): Problem => ({ severity: "warning", path, message });

function fmtRange(r: { start: string; end: string }): string {
  return `${r.start}–${r.end}`;
}

/** Ranges are written start–end, with start not after end. */
export const rangesAreOrdered: Rule = (lab) => {
  const problems: Problem[] = [];
  for (const [path, r] of [
    ["network.dhcpRange", lab.network.dhcpRange],
    ["loadBalancer.pool", lab.loadBalancer.pool],
  ] as const) {
    if (ipToInt(r.start) > ipToInt(r.end)) {
      problems.push(error(path, `start ${r.start} is after end ${r.end}: swap them`));
    }
  }
  return problems;
};

/** Every static address, both ranges and the DNS servers are usable hosts of the LAN. */
export const addressesInsideLan: Rule = (lab) => {
  const lan = parseCidr(lab.network.cidr);
  const problems: Problem[] = [];
  const check = (path: string, ip: string, what: string) => {
    const n = ipToInt(ip);
    if (!cidrContains(lan, n)) {
      problems.push(error(path, `${ip} (${what}) is outside the LAN ${lab.network.cidr}: pick an address inside it`));
    } else if (!isUsableHost(lan, n)) {
      problems.push(
        error(path, `${ip} (${what}) is the network or broadcast address of ${lab.network.cidr}: pick a host address`),
      );
    }
  };
  for (const a of [...staticAddresses(lab), ...serviceAddresses(lab)]) check(a.path, a.ip, a.owner);
  for (const [path, r] of [
    ["network.dhcpRange", lab.network.dhcpRange],
    ["loadBalancer.pool", lab.loadBalancer.pool],
  ] as const) {
    check(`${path}.start`, r.start, `start of ${path}`);
    check(`${path}.end`, r.end, `end of ${path}`);
  }
  return problems;
};

/** No address is claimed twice; the message names both owners. */
export const addressesAreUnique: Rule = (lab) => {
  const problems: Problem[] = [];
  const seen = new Map<string, StaticAddress>();
  for (const a of [...staticAddresses(lab), ...serviceAddresses(lab)]) {
    const first = seen.get(a.ip);
    if (first) {
      problems.push(
        error(
          `${first.path}, ${a.path}`,
          `${a.ip} is claimed by both ${first.owner} and ${a.owner}: give each its own address`,
        ),
      );
    } else {
      seen.set(a.ip, a);
    }
  }
  return problems;
};

/** Static addresses stay out of the ISP box's DHCP range, or a phone may be handed the VIP. */
export const staticOutsideDhcp: Rule = (lab) => {
  const dhcp = parseRange(lab.network.dhcpRange);
  const problems: Problem[] = [];
  for (const a of [...staticAddresses(lab), ...serviceAddresses(lab)]) {
    if (a.path === "network.gateway") continue; // the box may sit anywhere; it does not lease itself
    if (rangeContains(dhcp, ipToInt(a.ip))) {
      problems.push(
        error(
          a.path,
          `${a.ip} (${a.owner}) is inside the DHCP range ${fmtRange(lab.network.dhcpRange)} (network.dhcpRange): ` +
            `the ISP box may lease it to another device; pick an address outside that range`,
        ),
      );
    }
  }
  return problems;
};

/** The MetalLB pool: fixed service IPs inside it; no static address and no DHCP lease inside it. */
export const poolIsConsistent: Rule = (lab) => {
  const problems: Problem[] = [];
  const pool: IpRange = parseRange(lab.loadBalancer.pool);
  const poolText = fmtRange(lab.loadBalancer.pool);
  for (const a of serviceAddresses(lab)) {
    if (!rangeContains(pool, ipToInt(a.ip))) {
      problems.push(
        error(a.path, `${a.ip} (${a.owner}) is outside the MetalLB pool ${poolText} (loadBalancer.pool): pick an address inside the pool`),
      );
    }
  }
  for (const a of staticAddresses(lab)) {
    if (rangeContains(pool, ipToInt(a.ip))) {
      problems.push(
        error(
          `loadBalancer.pool, ${a.path}`,
          `the MetalLB pool ${poolText} contains ${a.ip} (${a.owner}): MetalLB would hand it to a Service; ` +
            `move the pool or the address so they do not overlap`,
        ),
      );
    }
  }
  if (rangesOverlap(pool, parseRange(lab.network.dhcpRange))) {
    problems.push(
      error(
        "loadBalancer.pool, network.dhcpRange",
        `the MetalLB pool ${poolText} overlaps the DHCP range ${fmtRange(lab.network.dhcpRange)}: ` +
          `choose a pool the ISP box never leases`,
      ),
    );
  }
  return problems;
};

function duplicates<T>(items: readonly T[], key: (t: T) => string | number, path: (i: number) => string, what: string): Problem[] {
  const seen = new Map<string | number, number>();
  const problems: Problem[] = [];
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first === undefined) seen.set(k, i);
    else problems.push(error(`${path(first)}, ${path(i)}`, `${what} ${k} is used twice: each must be unique`));
  });
  return problems;
}

/** Host names (Proxmox nodes, VMs, the Pi) and VM ids are unique: they become hostnames and Terraform ids. */
export const namesAreUnique: Rule = (lab) => {
  const hosts = [
    ...lab.proxmox.nodes.map((n, i) => ({ name: n.name, path: `proxmox.nodes[${i}].name` })),
    ...lab.k3s.servers.map((s, i) => ({ name: s.name, path: `k3s.servers[${i}].name` })),
    ...(lab.raspberryPi ? [{ name: lab.raspberryPi.name, path: "raspberryPi.name" }] : []),
  ];
  return [
    ...duplicates(hosts, (h) => h.name, (i) => hosts[i].path, "host name"),
    ...duplicates(lab.k3s.servers, (s) => s.vmId, (i) => `k3s.servers[${i}].vmId`, "VM id"),
  ];
};

/** Every VM names a Proxmox node that exists. */
export const serversOnKnownNodes: Rule = (lab) => {
  const names = new Set(lab.proxmox.nodes.map((n) => n.name));
  return lab.k3s.servers.flatMap((s, i) =>
    names.has(s.proxmoxNode)
      ? []
      : [
          error(
            `k3s.servers[${i}].proxmoxNode`,
            `${s.name} is placed on ${s.proxmoxNode}, which is not in proxmox.nodes (${[...names].join(", ")}): use one of those names`,
          ),
        ],
  );
};

/** etcd needs a majority: 3 or 5 servers; 2 is worse than 1 (either loss stops the cluster). */
export const etcdQuorum: Rule = (lab) => {
  const count = lab.k3s.servers.length;
  if (count === 1) {
    return [warning("k3s.servers", "a single K3s server is not highly available: add two more for an HA control plane")];
  }
  if (count % 2 === 0) {
    return [
      error(
        "k3s.servers",
        `${count} K3s servers: etcd needs a majority (${count / 2 + 1} of ${count}) to keep working, so ${count} servers ` +
          `survive no more failures than ${count - 1}; use an odd number (3 for this lab)`,
      ),
    ];
  }
  return [];
};

/** One etcd member per Proxmox node, so that losing a host loses at most one member. */
export const serversSpreadAcrossNodes: Rule = (lab) => {
  const problems: Problem[] = [];
  const perNode = new Map<string, number[]>();
  lab.k3s.servers.forEach((s, i) => perNode.set(s.proxmoxNode, [...(perNode.get(s.proxmoxNode) ?? []), i]));
  for (const [node, indexes] of perNode) {
    if (indexes.length > lab.k3s.allowServersPerNode) {
      problems.push(
        error(
          indexes.map((i) => `k3s.servers[${i}].proxmoxNode`).join(", "),
          `${indexes.length} K3s servers on ${node} (allowed: ${lab.k3s.allowServersPerNode}): losing that host would lose ` +
            `${indexes.length} etcd members at once; spread them over the nodes, or raise k3s.allowServersPerNode knowingly`,
        ),
      );
    }
  }
  return problems;
};

/** Each node's VMs fit in its RAM minus the host reserve, and its vCPUs within threads × overcommit. */
export const vmsFitTheirHosts: Rule = (lab) => {
  const problems: Problem[] = [];
  lab.proxmox.nodes.forEach((node, n) => {
    const vms = lab.k3s.servers.map((s, i) => ({ s, i })).filter(({ s }) => s.proxmoxNode === node.name);
    if (vms.length === 0) return;
    const availableMiB = node.memoryGiB * MIB_PER_GIB - lab.proxmox.hostReserveMiB;
    const askedMiB = vms.reduce((sum, { s }) => sum + s.memoryMiB, 0);
    if (askedMiB > availableMiB) {
      problems.push(
        error(
          vms.map(({ i }) => `k3s.servers[${i}].memoryMiB`).join(", "),
          `${vms.map(({ s }) => s.name).join(" + ")} ask ${askedMiB} MiB on ${node.name}, which has ${node.memoryGiB} GiB ` +
            `(${node.memoryGiB * MIB_PER_GIB} MiB) minus ${lab.proxmox.hostReserveMiB} MiB kept for Proxmox ` +
            `(proxmox.hostReserveMiB) = ${availableMiB} MiB: lower memoryMiB to at most ${availableMiB} MiB in total ` +
            `(proxmox.nodes[${n}].memoryGiB if the host has more RAM)`,
        ),
      );
    }
    const vcpuLimit = Math.floor(node.threads * lab.proxmox.cpuOvercommit);
    const vcpus = vms.reduce((sum, { s }) => sum + s.cores, 0);
    if (vcpus > vcpuLimit) {
      problems.push(
        error(
          vms.map(({ i }) => `k3s.servers[${i}].cores`).join(", "),
          `${vms.map(({ s }) => s.name).join(" + ")} ask ${vcpus} vCPUs on ${node.name}, which allows ${vcpuLimit} ` +
            `(${node.threads} threads × proxmox.cpuOvercommit ${lab.proxmox.cpuOvercommit}): lower cores`,
        ),
      );
    }
  });
  return problems;
};

/** Rules every synth runs, in the order problems are printed. */
export const RULES: readonly Rule[] = [
  rangesAreOrdered,
  addressesInsideLan,
  addressesAreUnique,
  staticOutsideDhcp,
  poolIsConsistent,
  namesAreUnique,
  serversOnKnownNodes,
  etcdQuorum,
  serversSpreadAcrossNodes,
  vmsFitTheirHosts,
];

export function checkRules(lab: LabConfig, rules: readonly Rule[] = RULES): Problem[] {
  return rules.flatMap((rule) => rule(lab));
}
