/**
 * Cross-field rules of the lab config: what a schema cannot see on one field alone.
 * Each rule returns problems that name the config path(s) involved and say how to fix them.
 * Errors stop synth; warnings are printed and synth goes on.
 */
import {
  clusterCapacity,
  daemonSetsOn,
  daemonSetsRunningOn,
  hostUsage,
  MILLICPU_PER_CORE,
  nMinusOne,
  platformDemand,
  systemReserve,
} from "./capacity";
import { CONTROL_PLANE_TAINT, k3sVms, longhornStorageNodes, takesWorkloads, type K3sVmNode } from "./placement";
import { exposedHosts } from "./apps";
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
import { repositoryHost } from "./backups";
import type { LabConfig } from "./schema";

export type Severity = "error" | "warning";

export interface Problem {
  readonly severity: Severity;
  /** Config path, e.g. `k3s.servers[1].address`. Several paths are joined by `, `. */
  readonly path: string;
  readonly message: string;
}

export type Rule = (lab: LabConfig) => Problem[];

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
    ...(lab.k3s.agents ?? []).map((a, i) => ({ path: `k3s.agents[${i}].address`, owner: `VM ${a.name}`, ip: a.address })),
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

/**
 * Every static address and both ranges are usable hosts of the LAN. `network.dnsServers` is not
 * checked: a public resolver outside the LAN is a fine choice there.
 */
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
  const agents = lab.k3s.agents ?? [];
  const hosts = [
    ...lab.proxmox.nodes.map((n, i) => ({ name: n.name, path: `proxmox.nodes[${i}].name` })),
    ...lab.k3s.servers.map((s, i) => ({ name: s.name, path: `k3s.servers[${i}].name` })),
    ...agents.map((a, i) => ({ name: a.name, path: `k3s.agents[${i}].name` })),
    ...(lab.raspberryPi ? [{ name: lab.raspberryPi.name, path: "raspberryPi.name" }] : []),
  ];
  const vms = [
    ...lab.k3s.servers.map((s, i) => ({ vmId: s.vmId, path: `k3s.servers[${i}].vmId` })),
    ...agents.map((a, i) => ({ vmId: a.vmId, path: `k3s.agents[${i}].vmId` })),
  ];
  return [
    ...duplicates(hosts, (h) => h.name, (i) => hosts[i].path, "host name"),
    ...duplicates(vms, (v) => v.vmId, (i) => vms[i].path, "VM id"),
  ];
};

/** Every VM names a Proxmox node that exists, and so does every node an agent may fail over to. */
export const vmsOnKnownNodes: Rule = (lab) => {
  const names = new Set(lab.proxmox.nodes.map((n) => n.name));
  const known = [...names].join(", ");
  const problems: Problem[] = [];
  const check = (path: string, vm: string, node: string, what: string) => {
    if (!names.has(node)) {
      problems.push(error(path, `${vm} ${what} ${node}, which is not in proxmox.nodes (${known}): use one of those names`));
    }
  };
  lab.k3s.servers.forEach((s, i) => check(`k3s.servers[${i}].proxmoxNode`, s.name, s.proxmoxNode, "is placed on"));
  (lab.k3s.agents ?? []).forEach((a, i) => {
    check(`k3s.agents[${i}].proxmoxNode`, a.name, a.proxmoxNode, "is placed on");
    a.failover?.nodes.forEach((n, j) => check(`k3s.agents[${i}].failover.nodes[${j}]`, a.name, n, "may fail over to"));
  });
  return problems;
};

/** etcd's own guidance: 3, 5 or 7 members (https://etcd.io/docs/v3.6/faq/#what-is-maximum-cluster-size). */
export const MAX_SERVERS = 7;

/**
 * etcd needs a majority of its members: 3 servers survive one failure, 5 survive two, 7 three. An
 * even count adds a member without adding a tolerated failure (2 is worse than 1: either loss stops
 * the API), so it is refused. More than 7 is refused too: every write waits for a majority to
 * write it to disk, so each member slows writes down and one more peer can lag or flap, for no
 * failure a homelab needs to survive; more machines are agents. A single server works but is not
 * highly available: a warning.
 */
export const etcdQuorum: Rule = (lab) => {
  const count = lab.k3s.servers.length;
  const agentsFix = "add the other machines as k3s.agents (workers without etcd)";
  if (count === 1) {
    return [
      warning(
        "k3s.servers",
        "a single K3s server: the lab works, but it is not highly available (its host's reboot stops the cluster); " +
          "add two more servers, one per Proxmox node, for an HA control plane",
      ),
    ];
  }
  if (count > MAX_SERVERS) {
    const need = majority(count);
    return [
      error(
        "k3s.servers",
        `${count} K3s servers: more than ${MAX_SERVERS} etcd members, the most etcd recommends: every write waits until ${need} of ${count} ` +
          `members have it on disk, so each member slows every write of the cluster and gives quorum one more peer to lose, ` +
          `for no failure a homelab needs to survive (${MAX_SERVERS} already survive 3): keep 3 (or 5, or 7) servers and ${agentsFix}`,
      ),
    ];
  }
  if (count % 2 === 0) {
    const need = majority(count);
    const tolerated = count - need;
    return [
      error(
        "k3s.servers",
        `${count} K3s servers: etcd needs a majority (${need} of ${count}) to keep the API running, so ${count} servers ` +
          `tolerate ${tolerated} failure${tolerated === 1 ? "" : "s"}, no more than ${count - 1} would` +
          (count === 2 ? " (with 2, losing either one stops the cluster)" : "") +
          `: use an odd number of servers (3 for this lab, or 5 or 7), and ${agentsFix}`,
      ),
    ];
  }
  return [];
};

const majority = (members: number) => Math.floor(members / 2) + 1;

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

/**
 * Each node's VMs (servers and agents) fit in its RAM minus the host reserve, their vCPUs within
 * threads × overcommit, and no single VM has more vCPUs than the host has threads.
 */
export const vmsFitTheirHosts: Rule = (lab) => {
  const problems: Problem[] = [];
  const all = k3sVms(lab);
  for (const host of hostUsage(lab)) {
    const node = lab.proxmox.nodes[host.index];
    const vms = all.filter((v) => v.proxmoxNode === node.name);
    if (vms.length === 0) continue;
    const who = `${vms.map((v) => v.name).join(" + ")} ${vms.length > 1 ? "ask" : "asks"}`;
    if (host.vmMemoryMiB > host.availableMiB) {
      problems.push(
        error(
          vms.map((v) => `${v.path}.memoryMiB`).join(", "),
          `${who} ${host.vmMemoryMiB} MiB on ${node.name}, which has ${node.memoryGiB} GiB (${host.memoryMiB} MiB) ` +
            `minus ${lab.proxmox.hostReserveMiB} MiB kept for Proxmox (proxmox.hostReserveMiB) = ${host.availableMiB} MiB: ` +
            `lower memoryMiB to at most ${Math.max(0, host.availableMiB)} MiB in total on this node ` +
            `(or correct proxmox.nodes[${host.index}].memoryGiB if the host has more RAM)`,
        ),
      );
    }
    for (const v of vms) {
      // Proxmox refuses to start a VM with more vCPUs than the host has threads, whatever the overcommit.
      if (v.cores > node.threads) {
        problems.push(
          error(
            `${v.path}.cores`,
            `${v.name} asks ${v.cores} vCPUs but ${node.name} has ${node.threads} hardware threads ` +
              `(proxmox.nodes[${host.index}].threads), and Proxmox does not start a VM with more: ` +
              `lower cores to at most ${node.threads}`,
          ),
        );
      }
    }
    if (host.vcpus > host.vcpuLimit) {
      problems.push(
        error(
          vms.map((v) => `${v.path}.cores`).join(", "),
          `${who} ${host.vcpus} vCPUs on ${node.name}, which allows ${host.vcpuLimit} ` +
            `(${node.threads} threads × proxmox.cpuOvercommit ${lab.proxmox.cpuOvercommit}): lower cores to ` +
            `${host.vcpuLimit} in total on this node, or raise proxmox.cpuOvercommit knowingly`,
        ),
      );
    }
  }
  return problems;
};

/** Every app name is served once: two apps on one name, or an app on the API's name, fight over one DNS rewrite. */
export const webHostnamesAreUnique: Rule = (lab) => {
  const apiName = `${lab.k3s.apiHostname}.${lab.network.domain}`;
  const seen = new Map<string, string>([[apiName, "the Kubernetes API (k3s.apiHostname)"]]);
  const problems: Problem[] = [];
  for (const host of exposedHosts(lab)) {
    const first = seen.get(host.fqdn);
    if (first === undefined) {
      seen.set(host.fqdn, host.component);
    } else if (host.component in lab.platform.apps) {
      problems.push(
        error(
          `platform.apps.${host.component}.hostname`,
          `${host.fqdn} is used by both ${first} and ${host.component}: give ${host.component} another hostname`,
        ),
      );
    } else {
      // Traefik's and Longhorn's names are fixed: only the API's can move.
      problems.push(
        error(
          "k3s.apiHostname",
          `${host.fqdn} is used by both the Kubernetes API and ${host.component}, whose name is fixed: ` +
            `choose another k3s.apiHostname`,
        ),
      );
    }
  }
  return problems;
};

const mib = (n: number) => `${n} MiB`;
const mcpu = (n: number) => `${n}m CPU`;

/** `k3s.systemReserveMiB` (servers) and/or `k3s.agentSystemReserveMiB` (agents), as the nodes involved need. */
function reservePaths(nodes: readonly K3sVmNode[], field: "MiB" | "MilliCpu"): string {
  const roles = [...new Set(nodes.map((n) => n.role))];
  return roles.map((r) => (r === "server" ? `k3s.systemReserve${field}` : `k3s.agentSystemReserve${field}`)).join(" / ");
}

/**
 * The platform's requests (DaemonSets once per node) plus every node's system reserve fit the VMs
 * that take workloads (untainted servers and agents). If not, pods stay Pending from the first deploy.
 */
export const platformFitsCluster: Rule = (lab) => {
  const workload = k3sVms(lab).filter(takesWorkloads);
  if (workload.length === 0) return []; // serverTaintNeedsWorkers says there is no node for them
  const c = clusterCapacity(lab);
  const problems: Problem[] = [];
  const check = (
    requests: number,
    reserve: number,
    vms: number,
    show: (n: number) => string,
    field: "MiB" | "MilliCpu",
    fieldPath: string,
  ) => {
    if (requests + reserve <= vms) return;
    const reservePath = reservePaths(workload, field);
    const owners = [...new Set(workload.map((n) => (n.role === "server" ? "k3s.servers" : "k3s.agents")))];
    problems.push(
      error(
        `${owners.join(", ")}, ${reservePath}`,
        `the platform requests ${show(requests)} (DaemonSets counted once per node) and ${workload.length} node(s) that take workloads ` +
          `keep ${show(reserve)} for the system (${reservePath}): ${show(requests + reserve)}, ` +
          `but their VMs have ${show(vms)} in total: add ${show(requests + reserve - vms)} across ${owners.map((o) => `${o}[].${fieldPath}`).join(" or ")}, ` +
          `or disable apps under platform.apps`,
      ),
    );
  };
  check(c.requests.memoryMiB, c.systemReserve.memoryMiB, c.vms.memoryMiB, mib, "MiB", "memoryMiB");
  check(c.requests.milliCpu, c.systemReserve.milliCpu, c.vms.milliCpu, mcpu, "MilliCpu", "cores");
  return problems;
};

/** Cores a node needs to hold `fixedMilli` plus `percent` of its own CPU (which grows with the cores). */
function coresNeeded(fixedMilli: number, percent: number): number {
  let cores = Math.max(1, Math.ceil(fixedMilli / MILLICPU_PER_CORE));
  while (cores * MILLICPU_PER_CORE - Math.floor((cores * MILLICPU_PER_CORE * percent) / 100) < fixedMilli) cores += 1;
  return cores;
}

/** Every K3s VM holds its system reserve plus the DaemonSets that run on it. */
export const daemonSetsFitEachNode: Rule = (lab) => {
  const demand = platformDemand(lab);
  const problems: Problem[] = [];
  for (const n of k3sVms(lab)) {
    const reserve = systemReserve(lab, n.role);
    const reserveKey = n.role === "server" ? "k3s.systemReserve" : "k3s.agentSystemReserve";
    const every = `every ${n.role}${n.taints.length ? ` with its taints` : ""}`;
    const perNode = daemonSetsOn(demand, n);
    const needMiB = reserve.memoryMiB + perNode.memoryMiB;
    if (n.memoryMiB < needMiB) {
      problems.push(
        error(
          `${n.path}.memoryMiB`,
          `${n.name} has ${n.memoryMiB} MiB but ${every} needs ${needMiB} MiB before any app ` +
            `(${reserveKey}MiB ${reserve.memoryMiB} + ${perNode.memoryMiB} MiB of DaemonSets): ` +
            `raise memoryMiB to at least ${needMiB}`,
        ),
      );
    }
    const needMilli = reserve.milliCpu + perNode.milliCpu;
    if (n.cores * MILLICPU_PER_CORE < needMilli) {
      const running = daemonSetsRunningOn(demand, n);
      const fixed = running.reduce((sum, ds) => sum + ds.requests.milliCpu, 0);
      const percent = running.reduce((sum, ds) => sum + ds.cpuPercent, 0);
      problems.push(
        error(
          `${n.path}.cores`,
          `${n.name} has ${n.cores} core(s) but ${every} needs ${needMilli}m CPU before any app ` +
            `(${reserveKey}MilliCpu ${reserve.milliCpu} + ${perNode.milliCpu}m of DaemonSets): ` +
            `raise cores to at least ${coresNeeded(reserve.milliCpu + fixed, percent)}`,
        ),
      );
    }
  }
  return problems;
};

/** The nodes Longhorn keeps replicas on, for messages: `k3s-master-1, k3s-agent-1`. */
function storageNames(lab: LabConfig): string {
  const names = longhornStorageNodes(lab).map((n) => n.name);
  return names.length ? names.join(", ") : "none";
}

/** Longhorn places each replica on a different node with a Longhorn disk: more replicas than such nodes never fit. */
export const longhornReplicasFitStorageNodes: Rule = (lab) => {
  const replicas = lab.platform.longhorn.replicaCount;
  const storage = longhornStorageNodes(lab).length;
  if (replicas <= storage) return [];
  const taintedServers = lab.k3s.taintServers ? " (tainted servers carry none: Longhorn tolerates no taint)" : "";
  return [
    error(
      "platform.longhorn.replicaCount",
      `${replicas} Longhorn replicas need ${replicas} nodes with a Longhorn disk, the lab has ${storage} (${storageNames(lab)})${taintedServers}: ` +
        `every volume would stay degraded for good; lower platform.longhorn.replicaCount to ${Math.max(1, storage)}, ` +
        "or give more agents a Longhorn disk (k3s.agents[].dataDiskGiB)",
    ),
  ];
};

/**
 * k3s.taintServers keeps every pod without the control-plane toleration off the servers: the lab
 * needs an agent that takes workloads. Longhorn tolerates no taint, so the servers' Longhorn disks
 * then hold nothing: a warning, since the servers' disks are a given of their VMs.
 */
export const serverTaintNeedsWorkers: Rule = (lab) => {
  if (!lab.k3s.taintServers) return [];
  const workers = k3sVms(lab).filter((n) => n.role === "agent" && takesWorkloads(n));
  if (workers.length === 0) {
    const agents = lab.k3s.agents ?? [];
    return [
      error(
        "k3s.taintServers",
        `tainting the servers ${CONTROL_PLANE_TAINT} leaves no node for the platform's pods: ` +
          (agents.length === 0
            ? "the lab has no agent; add k3s.agents, or set taintServers: false"
            : `every agent has a NoSchedule or NoExecute taint (${agents.map((a) => a.name).join(", ")}); remove one agent's taints, or set taintServers: false`),
      ),
    ];
  }
  const unused = lab.k3s.servers.map((s) => `${s.name} ${s.dataDiskGiB} GiB`);
  return [
    warning(
      "k3s.taintServers",
      `Longhorn does not run on the tainted servers (it tolerates no taint), so their Longhorn disks stay empty (${unused.join(", ")}); ` +
        `volumes live on ${storageNames(lab)}: lower the servers' dataDiskGiB for new servers, or keep taintServers: false to use them`,
    ),
  ];
};

/** An agent that may move keeps its disks on storage every failover node reads. */
export const failoverOnSharedStorage: Rule = (lab) =>
  (lab.k3s.agents ?? []).flatMap((a, i) => {
    if (!a.failover || lab.proxmox.sharedStorage.includes(a.failover.storage)) return [];
    const shared = lab.proxmox.sharedStorage;
    return [
      error(
        `k3s.agents[${i}].failover.storage`,
        `${a.name} would keep its OS disk on ${a.failover.storage}, which is not in proxmox.sharedStorage ` +
          `(${shared.length ? shared.join(", ") : "empty"}): on storage only ${a.proxmoxNode} reads, the VM cannot start on ` +
          `${a.failover.nodes.join(" or ")}; add ${a.failover.storage} to proxmox.sharedStorage if every node reads it (NFS, Ceph), ` +
          "or remove failover to keep the agent pinned",
      ),
    ];
  });

/**
 * The n−1 check: for each Proxmox node, its loss must leave etcd a majority and leave the surviving
 * nodes that take workloads room for every request (errors: the API stops or pods stay Pending).
 * Agents with `failover` count where HA restarts them. Longhorn volumes with fewer storage nodes
 * left than replicas keep working, degraded until the node returns: a warning, since a lab may
 * choose 3 replicas knowingly. A single-server lab is not HA by design (etcdQuorum warns).
 */
export const survivesNodeLoss: Rule = (lab) => {
  if (lab.k3s.servers.length < 2) return [];
  const problems: Problem[] = [];
  const degradedBy: string[] = [];
  let fewestSurvivors = Infinity;
  // When the platform does not even fit the whole cluster, platformFitsCluster says so once.
  const whole = clusterCapacity(lab);
  const fitsWhole = whole.requests.memoryMiB <= whole.allocatable.memoryMiB && whole.requests.milliCpu <= whole.allocatable.milliCpu;
  const vms = k3sVms(lab);
  const anyWorker = vms.some(takesWorkloads);
  for (const loss of nMinusOne(lab)) {
    const lostVms = [...loss.lostServers, ...loss.lostAgents];
    if (lostVms.length === 0) continue;
    const lostText = `if ${loss.node} goes down (with ${lostVms.join(", ")})`;
    const lostPaths = vms.flatMap((v) => (v.role === "server" && v.proxmoxNode === loss.node ? [`${v.path}.proxmoxNode`] : []));
    // With no failure to spare (2 servers), no spread helps: the server-count rule says what does.
    if (!loss.etcd.kept && loss.etcd.members - loss.etcd.majority > 0) {
      problems.push(
        error(
          lostPaths.join(", "),
          `${lostText}, etcd keeps ${loss.etcd.surviving} of ${loss.etcd.members} members and needs ${loss.etcd.majority}: ` +
            `the Kubernetes API stops; spread the servers so that no Proxmox node holds more than ` +
            `${loss.etcd.members - loss.etcd.majority} of them`,
        ),
      );
    }
    const alive = new Set([...loss.survivingServers, ...loss.survivingAgents]);
    const survivors = vms.filter((v) => alive.has(v.name) && takesWorkloads(v));
    if (fitsWhole && anyWorker && loss.survivingServers.length > 0 && !loss.capacity.fits) {
      const { requests, allocatable: free } = loss.capacity;
      const short: string[] = [];
      const fields: string[] = [];
      if (requests.memoryMiB > free.memoryMiB) {
        short.push(`${requests.memoryMiB} MiB requested for ${free.memoryMiB} MiB allocatable (short ${requests.memoryMiB - free.memoryMiB} MiB)`);
        fields.push("memoryMiB");
      }
      if (requests.milliCpu > free.milliCpu) {
        short.push(`${requests.milliCpu}m CPU requested for ${free.milliCpu}m allocatable (short ${requests.milliCpu - free.milliCpu}m)`);
        fields.push("cores");
      }
      if (survivors.length === 0) {
        problems.push(
          error(
            lab.k3s.taintServers ? "k3s.agents, k3s.taintServers" : "k3s.agents",
            `${lostText}, no node that takes workloads is left: the platform's ${requests.memoryMiB} MiB and ${requests.milliCpu}m CPU ` +
              "have nowhere to run; add an untainted agent on another Proxmox node" +
              (lab.k3s.taintServers ? ", or set k3s.taintServers: false" : ""),
          ),
        );
        continue;
      }
      const survivingPaths = survivors.flatMap((v) => fields.map((f) => `${v.path}.${f}`));
      problems.push(
        error(
          survivingPaths.join(", "),
          `${lostText}, ${survivors.map((v) => v.name).join(" + ")} cannot hold the platform: ${short.join("; ")} ` +
            `(allocatable = VM minus ${reservePaths(survivors, "MiB")} / ${reservePaths(survivors, "MilliCpu")}): ` +
            `give the surviving nodes that much more ${fields.join(" and ")}, add an agent on another node, or disable apps under platform.apps`,
        ),
      );
    }
    fewestSurvivors = Math.min(fewestSurvivors, loss.longhorn.surviving);
    if (!loss.longhorn.fullyReplicated) degradedBy.push(loss.node);
  }
  if (degradedBy.length > 0) {
    const r = lab.platform.longhorn.replicaCount;
    const fix =
      fewestSurvivors > 0
        ? `lower it to ${fewestSurvivors} to keep every volume fully replicated through any one node's loss`
        : "spread the Longhorn disks over more Proxmox nodes";
    problems.push(
      warning(
        "platform.longhorn.replicaCount",
        `${r} Longhorn replicas on ${longhornStorageNodes(lab).length} node(s) with a Longhorn disk (${storageNames(lab)}): if ${degradedBy.join(" or ")} goes down, volumes run ` +
          `degraded (data served, replicas missing) until the node returns; ${fix}`,
      ),
    );
  }
  return problems;
};

/** Corosync needs a majority of Proxmox nodes: with 2, losing either freezes the cluster's config. */
export const proxmoxKeepsQuorum: Rule = (lab) => {
  const nodes = lab.proxmox.nodes.length;
  if (nodes !== 2) return [];
  return [
    warning(
      "proxmox.nodes",
      "2 Proxmox nodes: if one is down, the other loses corosync quorum; its VMs keep running but cannot be started, " +
        "stopped or changed until it returns; add a third node or a corosync QDevice",
    ),
  ];
};

/** The VMs must resolve names before the cluster (and AdGuard in it) is up. */
export const vmDnsOutsideCluster: Rule = (lab) => {
  const i = lab.network.dnsServers.indexOf(lab.loadBalancer.dnsIp);
  if (i < 0) return [];
  return [
    warning(
      `network.dnsServers[${i}]`,
      `${lab.loadBalancer.dnsIp} is AdGuard Home in the cluster (loadBalancer.dnsIp): the VMs would resolve through the ` +
        `cluster they run, so no DNS at first boot or when the cluster is down; list the ISP box or a public resolver instead`,
    ),
  ];
};

/** Alerts must reach a person: the lab's own ntfy or an external one. */
export const alertsHaveADestination: Rule = (lab) => {
  const m = lab.platform.monitoring;
  if (!m.enabled || lab.platform.apps.ntfy.enabled || m.ntfy.serverUrl !== undefined) return [];
  return [
    error(
      "platform.apps.ntfy.enabled, platform.monitoring.ntfy.serverUrl",
      "monitoring is on but its alerts would reach nobody: the lab's ntfy is disabled and no external ntfy server is set; " +
        "enable platform.apps.ntfy, or set platform.monitoring.ntfy.serverUrl (e.g. https://ntfy.sh) and export TF_VAR_ntfy_token",
    ),
  ];
};

/** Metrics without Grafana work (alerts still go out) but nobody sees the dashboards. */
export const metricsHaveDashboards: Rule = (lab) =>
  lab.platform.monitoring.enabled && !lab.platform.apps.grafana.enabled
    ? [
        warning(
          "platform.apps.grafana.enabled",
          "monitoring is on without Grafana: alerts still go out, but the dashboards have nowhere to appear; " +
            "enable platform.apps.grafana to see them",
        ),
      ]
    : [];

/** The comment of the example key shipped in homelab.yaml: it has no private half anywhere. */
export const EXAMPLE_KEY_COMMENT = "example-key-replace-me";

/**
 * The shipped example key grants nobody access: with only it, nobody can log in to the VMs. A
 * warning, so the shipped lab synthesizes; the infra stack's plan refuses it (a precondition).
 */
export const sshKeysAreYours: Rule = (lab) =>
  lab.vm.sshPublicKeys.flatMap((key, i) =>
    key.trimEnd().endsWith(EXAMPLE_KEY_COMMENT)
      ? [
          warning(
            `vm.sshPublicKeys[${i}]`,
            `this is the example key shipped with homelab.yaml (comment "${EXAMPLE_KEY_COMMENT}"), whose private half ` +
              `nobody has: replace it with your own public key (cat ~/.ssh/id_ed25519.pub); until then the infra stack's ` +
              `plan stops at a precondition, so nothing is deployed with it`,
          ),
        ]
      : [],
  );

/**
 * Terraform Cloud runs the stacks in agent execution mode (stacks/tfc-stack.ts): with no agent on
 * the LAN every run would wait in the queue forever. And an agent without Terraform Cloud has no
 * pool to join.
 */
export const terraformCloudHasAnAgent: Rule = (lab) => {
  const agent = lab.raspberryPi?.terraformCloudAgent === true;
  if (lab.terraformCloud && !agent) {
    return [
      error(
        lab.raspberryPi ? "raspberryPi.terraformCloudAgent" : "terraformCloud",
        `terraformCloud runs every stack on the lab's own agent (Terraform Cloud cannot reach Proxmox on your LAN), but no agent is configured: ` +
          (lab.raspberryPi ? "set raspberryPi.terraformCloudAgent: true" : "add a raspberryPi with terraformCloudAgent: true") +
          ", or remove terraformCloud to keep state on this machine",
      ),
    ];
  }
  if (agent && !lab.terraformCloud) {
    return [
      error(
        "raspberryPi.terraformCloudAgent",
        "the Pi's Terraform Cloud agent needs an organization to join: add terraformCloud.organization, or set raspberryPi.terraformCloudAgent: false",
      ),
    ];
  }
  return [];
};

// --- Unattended Proxmox VE installation (issue 14) ---------------------------------------------

/** Nodes that carry install facts, with their index in proxmox.nodes. */
function installNodes(lab: LabConfig) {
  return lab.proxmox.nodes.flatMap((node, i) => (node.install ? [{ node, install: node.install, i }] : []));
}

/**
 * Each node's install MAC is a real NIC's (unicast, not all zeros) and belongs to one node only:
 * it chooses the NIC and identifies the machine to the Pi's answer service.
 */
export const installMacsAreUnique: Rule = (lab) => {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  for (const { node, install, i } of installNodes(lab)) {
    const path = `proxmox.nodes[${i}].install.mac`;
    const mac = install.mac.toLowerCase();
    const firstOctet = parseInt(mac.slice(0, 2), 16);
    if (/^(00:){5}00$/.test(mac) || (firstOctet & 1) === 1) {
      problems.push(
        error(
          path,
          `${install.mac} (${node.name}) is ${(firstOctet & 1) === 1 ? "a multicast" : "the all-zero"} address, never a NIC's: ` +
            "copy the address after link/ether from `ip link` on that machine",
        ),
      );
    }
    const first = seen.get(mac);
    if (first === undefined) seen.set(mac, i);
    else {
      problems.push(
        error(
          `proxmox.nodes[${first}].install.mac, ${path}`,
          `${install.mac} is the install MAC of both ${lab.proxmox.nodes[first].name} and ${node.name}: ` +
            "each node has its own NIC; copy each machine's own address from `ip link`",
        ),
      );
    }
  }
  return problems;
};

/** The install disk is chosen one way: by serial and/or model (a udev filter), or by device name. */
export const installDiskIsSet: Rule = (lab) =>
  installNodes(lab).flatMap(({ node, install, i }) => {
    const { serial, model, device } = install.disk;
    const path = `proxmox.nodes[${i}].install.disk`;
    if (!serial && !model && !device) {
      return [
        error(
          path,
          `no install disk for ${node.name}: the installer would not know which disk to wipe; set serial ` +
            "(from `lsblk -d -o NAME,MODEL,SERIAL` on that machine), or model, or device",
        ),
      ];
    }
    if (device && (serial || model)) {
      return [
        error(
          path,
          `${node.name}'s disk is given both by device (${device}) and by ${serial ? "serial" : "model"}: the installer takes ` +
            "a disk list or a filter, never both; keep serial (or model) and remove device",
        ),
      ];
    }
    return [];
  });

/**
 * The installer names the node `<name>.<network.domain>` and refuses that FQDN if it is longer
 * than 253 characters or has a purely numeric hostname (each part alone passes the schema).
 */
export const nodeFqdnsAreValid: Rule = (lab) =>
  lab.proxmox.nodes.flatMap((node, i) => {
    const fqdn = `${node.name}.${lab.network.domain}`;
    const path = `proxmox.nodes[${i}].name`;
    if (/^[0-9]+$/.test(node.name)) {
      return [error(path, `${node.name} is purely numeric: the Proxmox installer refuses the FQDN ${fqdn}; use a name such as pve-${node.name}`)];
    }
    if (fqdn.length > 253) {
      const shown = `${fqdn.slice(0, 24)}…${fqdn.slice(-12)}`;
      return [error(`${path}, network.domain`, `the FQDN ${shown} is ${fqdn.length} characters, more than 253: shorten network.domain`)];
    }
    return []; // labels over 63 characters: the schema refuses them in both the name and the domain
  });

/** Once some nodes carry install facts, a node without them gets no answer file. */
export const installFactsOnEveryNode: Rule = (lab) => {
  if (installNodes(lab).length === 0) return [];
  return lab.proxmox.nodes.flatMap((node, i) =>
    node.install
      ? []
      : [
          warning(
            `proxmox.nodes[${i}].install`,
            `${node.name} has no install facts, so \`npm run pve:answers\` writes no answer for it: add install.mac and ` +
              "install.disk to install it unattended too, or install it by hand",
          ),
        ],
  );
};

/** The storage names the installer creates for each root filesystem. */
export const INSTALL_STORAGE: Readonly<Record<"ext4" | "xfs" | "zfs" | "btrfs", string>> = {
  ext4: "local-lvm",
  xfs: "local-lvm",
  zfs: "local-zfs",
  btrfs: "local-btrfs",
};

/** A node's SSD storage must be the one its install filesystem creates, when it names an installer default. */
export const storageMatchesInstallFilesystem: Rule = (lab) => {
  const defaults = new Set(Object.values(INSTALL_STORAGE));
  return installNodes(lab).flatMap(({ node, install, i }) => {
    const created = INSTALL_STORAGE[install.filesystem];
    if (!defaults.has(node.ssdStorage) || node.ssdStorage === created) return [];
    return [
      error(
        `proxmox.nodes[${i}].ssdStorage, proxmox.nodes[${i}].install.filesystem`,
        `${node.ssdStorage} does not exist after a ${install.filesystem} install of ${node.name}, which creates ${created}: ` +
          `set ssdStorage: ${created}, or a filesystem that creates ${node.ssdStorage}`,
      ),
    ];
  });
};
/** The documentation range of MAC addresses (RFC 7042), used by the shipped homelab.yaml. */
export const EXAMPLE_MAC_PREFIX = "00:00:5e:00:53:";

/** The shipped example install facts match no machine: the installer would find no NIC to use. */
export const installFactsAreYours: Rule = (lab) => {
  const examples = installNodes(lab).filter(({ install }) => install.mac.toLowerCase().startsWith(EXAMPLE_MAC_PREFIX));
  if (examples.length === 0) return [];
  return [
    warning(
      examples.map(({ i }) => `proxmox.nodes[${i}].install.mac`).join(", "),
      `${examples.map(({ install }) => install.mac).join(", ")} are example addresses (RFC 7042 documentation range) shipped ` +
        `with homelab.yaml, no NIC has them: replace them, and the disk serials, with each node's own ` +
        "(`ip link` and `lsblk -d -o NAME,SERIAL` on that machine) before `npm run pve:answers`",
    ),
  ];
};
// --- end of the unattended-installation block ----------------------------------------------------

// --- Off-site backups (issue 16) -----------------------------------------------------------------

/** The Pi holds every backup of the lab: without an off-site copy, they share the lab's fate. */
export const backupsLeaveTheHouse: Rule = (lab) =>
  lab.raspberryPi && !lab.raspberryPi.offsiteBackup
    ? [
        warning(
          "raspberryPi.offsiteBackup",
          "every backup (etcd snapshots, Longhorn volumes, the Terraform state with the join token and the CA key) stays in the house: " +
            "a fire, a theft or the Pi's SD card loses them with the lab; add raspberryPi.offsiteBackup " +
            "(an S3 bucket such as Backblaze B2, an sftp or a restic REST server outside the house: docs/backups.md)",
        ),
      ]
    : [];

/** The host of the off-site repository, when it is set. */
function offsiteRepository(lab: LabConfig) {
  const repo = lab.raspberryPi?.offsiteBackup?.repository;
  return repo ? { repo, ...repositoryHost(repo) } : undefined;
}

/** True for a host of the house: an address of the LAN or loopback, a name under the lab's domain. */
function inTheHouse(lab: LabConfig, host: string): boolean {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    return cidrContains(parseCidr(lab.network.cidr), ipToInt(host)) || host.startsWith("127.");
  }
  return host === "localhost" || host === lab.network.domain || host.endsWith(`.${lab.network.domain}`);
}

/** An "off-site" repository on the LAN burns with the house. */
export const offsiteIsOutsideTheHouse: Rule = (lab) => {
  const found = offsiteRepository(lab);
  if (!found || !inTheHouse(lab, found.host)) return [];
  return [
    warning(
      `raspberryPi.offsiteBackup.repository.${found.field}`,
      `${found.host} is inside the lab (LAN ${lab.network.cidr} or domain ${lab.network.domain}): that copy survives the Pi's SD card but not a fire or a theft; ` +
        "point it at a service or a friend's machine outside the house (a MinIO on the LAN is fine for trying it out)",
    ),
  ];
};

/** restic encrypts the data, but the credentials of an http:// service cross the internet readable. */
export const offsiteTrafficIsEncrypted: Rule = (lab) => {
  const found = offsiteRepository(lab);
  if (!found || found.encrypted || inTheHouse(lab, found.host)) return [];
  return [
    warning(
      `raspberryPi.offsiteBackup.repository.${found.field}`,
      `plain http to ${found.host}, outside the LAN: restic encrypts the data, but the service's credentials (and what it logs) cross the internet readable; use https://`,
    ),
  ];
};

/** A failed backup or drill must reach a person: the OnFailure hook posts to the lab's ntfy. */
export const backupFailuresReachSomeone: Rule = (lab) =>
  lab.raspberryPi?.offsiteBackup && !lab.platform.monitoring.enabled
    ? [
        warning(
          "platform.monitoring.enabled",
          "the off-site backup and its restore drill would fail silently (only `systemctl --failed` on the Pi shows it): " +
            "enable platform.monitoring, whose ntfy receives their failures and the BackupDrill alerts",
        ),
      ]
    : [];
// --- end of the off-site backups block -------------------------------------------------------------

/** The top-level sections of the config; a rule runs only when the sections it reads are valid. */
export const SECTIONS = ["network", "proxmox", "vm", "k3s", "raspberryPi", "loadBalancer", "platform", "terraformCloud"] as const;
export type Section = (typeof SECTIONS)[number];

const ADDRESSES: readonly Section[] = ["network", "proxmox", "k3s", "raspberryPi", "loadBalancer"];

/**
 * Every rule synth and the doctor run, in the order problems are printed, with the sections each
 * reads (a test proves that a rule reads nothing else).
 */
export const RULE_NEEDS: ReadonlyMap<Rule, readonly Section[]> = new Map<Rule, readonly Section[]>([
  [rangesAreOrdered, ["network", "loadBalancer"]],
  [addressesInsideLan, ADDRESSES],
  [addressesAreUnique, ADDRESSES],
  [staticOutsideDhcp, ADDRESSES],
  [poolIsConsistent, ADDRESSES],
  [namesAreUnique, ["proxmox", "k3s", "raspberryPi"]],
  [vmsOnKnownNodes, ["proxmox", "k3s"]],
  [etcdQuorum, ["k3s"]],
  [serversSpreadAcrossNodes, ["k3s"]],
  [vmsFitTheirHosts, ["proxmox", "k3s", "raspberryPi"]],
  [webHostnamesAreUnique, ["network", "k3s", "platform"]],
  [platformFitsCluster, ["k3s", "platform", "raspberryPi"]],
  [daemonSetsFitEachNode, ["k3s", "platform", "raspberryPi"]],
  [longhornReplicasFitStorageNodes, ["k3s", "platform", "raspberryPi"]],
  [serverTaintNeedsWorkers, ["k3s", "platform", "raspberryPi"]],
  [failoverOnSharedStorage, ["proxmox", "k3s"]],
  [survivesNodeLoss, ["proxmox", "k3s", "platform", "raspberryPi"]],
  [proxmoxKeepsQuorum, ["proxmox"]],
  [vmDnsOutsideCluster, ["network", "loadBalancer"]],
  [alertsHaveADestination, ["platform"]],
  [metricsHaveDashboards, ["platform"]],
  [sshKeysAreYours, ["vm"]],
  [terraformCloudHasAnAgent, ["raspberryPi", "terraformCloud"]],
  // Unattended installation (issue 14).
  [installMacsAreUnique, ["proxmox"]],
  [installDiskIsSet, ["proxmox"]],
  [nodeFqdnsAreValid, ["proxmox", "network"]],
  [installFactsOnEveryNode, ["proxmox"]],
  [storageMatchesInstallFilesystem, ["proxmox"]],
  [installFactsAreYours, ["proxmox"]],
  // Off-site backups (issue 16).
  [backupsLeaveTheHouse, ["raspberryPi"]],
  [offsiteIsOutsideTheHouse, ["network", "raspberryPi"]],
  [offsiteTrafficIsEncrypted, ["network", "raspberryPi"]],
  [backupFailuresReachSomeone, ["raspberryPi", "platform"]],
]);

/** Rules every synth and every doctor run apply, in the order problems are printed. */
export const RULES: readonly Rule[] = [...RULE_NEEDS.keys()];

/**
 * Runs the rules on a lab. With `validSections`, only the rules whose sections are all valid run
 * (the others would read a section that failed the schema).
 */
export function checkRules(lab: LabConfig, rules: readonly Rule[] = RULES, validSections?: ReadonlySet<Section>): Problem[] {
  return rules
    .filter((rule) => !validSections || (RULE_NEEDS.get(rule) ?? SECTIONS).every((section) => validSections.has(section)))
    .flatMap((rule) => rule(lab));
}
