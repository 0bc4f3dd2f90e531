/**
 * The lab's capacity model: what the Proxmox hosts give the VMs, what the VMs give Kubernetes,
 * what the platform asks of Kubernetes, and what is left when one Proxmox node is down (n−1).
 *
 * Pure functions of the validated config. The numbers are aggregates (sum of requests against sum
 * of allocatable), not a scheduler simulation: a lab that fails them certainly does not fit, one
 * that passes them may still leave a large pod pending on a fragmented cluster.
 */
import { platformComponents } from "./apps";
import type { K3sServerConfig, LabConfig } from "./schema";

export const MIB_PER_GIB = 1024;
export const MILLICPU_PER_CORE = 1000;

/** Memory and CPU, the two resources Kubernetes schedules on. */
export interface Demand {
  readonly memoryMiB: number;
  readonly milliCpu: number;
}

const ZERO: Demand = { memoryMiB: 0, milliCpu: 0 };
const add = (a: Demand, b: Demand): Demand => ({ memoryMiB: a.memoryMiB + b.memoryMiB, milliCpu: a.milliCpu + b.milliCpu });
const times = (d: Demand, n: number): Demand => ({ memoryMiB: d.memoryMiB * n, milliCpu: d.milliCpu * n });

/** The platform's requests, split by how they scale with the number of servers. */
export interface PlatformDemand {
  /** Deployments and StatefulSets: scheduled once, wherever they fit. */
  readonly shared: Demand;
  /** DaemonSets (`perNode` components): one copy on every K3s server. */
  readonly perServer: Demand;
  /**
   * CPU every server also reserves as a share of its own CPU, in percent (Longhorn's instance
   * manager, `guaranteedInstanceManagerCPU`): a bigger server reserves more.
   */
  readonly perServerCpuPercent: number;
}

export function platformDemand(lab: LabConfig): PlatformDemand {
  let shared = ZERO;
  let perServer = ZERO;
  let perServerCpuPercent = 0;
  for (const c of platformComponents(lab)) {
    const d = times({ memoryMiB: c.resources.requestMemoryMiB, milliCpu: c.resources.requestMilliCpu }, c.instances ?? 1);
    if (c.perNode) {
      perServer = add(perServer, d);
      perServerCpuPercent += c.perNodeCpuPercent ?? 0;
    } else shared = add(shared, d);
  }
  return { shared, perServer, perServerCpuPercent };
}

/** What the DaemonSets ask on one server: the fixed requests plus the CPU share reserved on it. */
export function daemonSetsOn(demand: PlatformDemand, server: Pick<K3sServerConfig, "cores">): Demand {
  const reserved = Math.floor((server.cores * MILLICPU_PER_CORE * demand.perServerCpuPercent) / 100);
  return add(demand.perServer, { memoryMiB: 0, milliCpu: reserved });
}

/** What the platform requests in total on a cluster made of these K3s servers. */
export function requestsOn(demand: PlatformDemand, servers: readonly Pick<K3sServerConfig, "cores">[]): Demand {
  return servers.reduce((sum, s) => add(sum, daemonSetsOn(demand, s)), demand.shared);
}

/** What one K3s server hands to pods: its VM minus the per-server system reserve (OS, K3s, etcd). */
export function allocatable(lab: LabConfig, server: K3sServerConfig): Demand {
  return {
    memoryMiB: Math.max(0, server.memoryMiB - lab.k3s.systemReserveMiB),
    milliCpu: Math.max(0, server.cores * MILLICPU_PER_CORE - lab.k3s.systemReserveMilliCpu),
  };
}

export function allocatableOf(lab: LabConfig, servers: readonly K3sServerConfig[]): Demand {
  return servers.reduce((sum, s) => add(sum, allocatable(lab, s)), ZERO);
}

/** One Proxmox node and the VMs pinned to it. */
export interface HostUsage {
  readonly node: string;
  readonly index: number;
  readonly servers: readonly string[];
  readonly memoryMiB: number;
  /** RAM the VMs may take: installed RAM minus `proxmox.hostReserveMiB`. */
  readonly availableMiB: number;
  readonly vmMemoryMiB: number;
  readonly threads: number;
  /** vCPUs the VMs may take: threads × `proxmox.cpuOvercommit`. */
  readonly vcpuLimit: number;
  readonly vcpus: number;
}

export function hostUsage(lab: LabConfig): HostUsage[] {
  return lab.proxmox.nodes.map((node, index) => {
    const vms = lab.k3s.servers.filter((s) => s.proxmoxNode === node.name);
    const memoryMiB = Math.round(node.memoryGiB * MIB_PER_GIB);
    return {
      node: node.name,
      index,
      servers: vms.map((s) => s.name),
      memoryMiB,
      availableMiB: memoryMiB - lab.proxmox.hostReserveMiB,
      vmMemoryMiB: vms.reduce((sum, s) => sum + s.memoryMiB, 0),
      threads: node.threads,
      vcpuLimit: Math.floor(node.threads * lab.proxmox.cpuOvercommit),
      vcpus: vms.reduce((sum, s) => sum + s.cores, 0),
    };
  });
}

/** One K3s server as Kubernetes sees it. */
export interface ServerCapacity {
  readonly name: string;
  readonly index: number;
  readonly proxmoxNode: string;
  readonly vm: Demand;
  readonly allocatable: Demand;
  /** The DaemonSets every server runs, whatever else is scheduled there (with its CPU reservations). */
  readonly daemonSets: Demand;
}

export function serverCapacity(lab: LabConfig): ServerCapacity[] {
  const demand = platformDemand(lab);
  return lab.k3s.servers.map((s, index) => ({
    name: s.name,
    index,
    proxmoxNode: s.proxmoxNode,
    vm: { memoryMiB: s.memoryMiB, milliCpu: s.cores * MILLICPU_PER_CORE },
    allocatable: allocatable(lab, s),
    daemonSets: daemonSetsOn(demand, s),
  }));
}

/** The whole cluster: VMs, the system reserve of every server, what is left, what the platform asks. */
export interface ClusterCapacity {
  readonly servers: number;
  readonly vms: Demand;
  readonly systemReserve: Demand;
  readonly allocatable: Demand;
  readonly requests: Demand;
}

export function clusterCapacity(lab: LabConfig): ClusterCapacity {
  const servers = lab.k3s.servers;
  return {
    servers: servers.length,
    vms: servers.reduce((sum, s) => add(sum, { memoryMiB: s.memoryMiB, milliCpu: s.cores * MILLICPU_PER_CORE }), ZERO),
    systemReserve: times({ memoryMiB: lab.k3s.systemReserveMiB, milliCpu: lab.k3s.systemReserveMilliCpu }, servers.length),
    allocatable: allocatableOf(lab, servers),
    requests: requestsOn(platformDemand(lab), servers),
  };
}

export type Verdict = "survives" | "degraded" | "breaks";

/** What the loss of one Proxmox node does to the lab. */
export interface NodeLoss {
  readonly node: string;
  readonly index: number;
  readonly lostServers: readonly string[];
  readonly survivingServers: readonly string[];
  /** etcd: members, members left, and the majority they need. */
  readonly etcd: { readonly members: number; readonly surviving: number; readonly majority: number; readonly kept: boolean };
  /** Corosync (Proxmox cluster) quorum: without it, VMs keep running but cannot be started or changed. */
  readonly proxmox: { readonly nodes: number; readonly surviving: number; readonly kept: boolean };
  /** Requests of the platform on the surviving servers against what they can hand out. */
  readonly capacity: { readonly requests: Demand; readonly allocatable: Demand; readonly fits: boolean };
  /** Longhorn: can every volume still keep `replicaCount` replicas on distinct servers? */
  readonly longhorn: { readonly replicaCount: number; readonly surviving: number; readonly fullyReplicated: boolean };
  readonly verdict: Verdict;
  /** One sentence per thing the loss breaks or degrades; empty when the lab survives it intact. */
  readonly consequences: readonly string[];
}

const majority = (members: number) => Math.floor(members / 2) + 1;

export function nMinusOne(lab: LabConfig): NodeLoss[] {
  const demand = platformDemand(lab);
  const servers = lab.k3s.servers;
  const nodes = lab.proxmox.nodes.length;
  const replicaCount = lab.platform.longhorn.replicaCount;
  return lab.proxmox.nodes.map((node, index) => {
    const lost = servers.filter((s) => s.proxmoxNode === node.name);
    const surviving = servers.filter((s) => s.proxmoxNode !== node.name);
    const etcd = { members: servers.length, surviving: surviving.length, majority: majority(servers.length), kept: false };
    etcd.kept = etcd.surviving >= etcd.majority;
    const proxmox = { nodes, surviving: nodes - 1, kept: nodes - 1 >= majority(nodes) };
    const requests = requestsOn(demand, surviving);
    const free = allocatableOf(lab, surviving);
    const fits = surviving.length > 0 && requests.memoryMiB <= free.memoryMiB && requests.milliCpu <= free.milliCpu;
    const longhorn = { replicaCount, surviving: surviving.length, fullyReplicated: replicaCount <= surviving.length };

    const consequences: string[] = [];
    let verdict: Verdict = "survives";
    const breaks = (why: string) => {
      consequences.push(why);
      verdict = "breaks";
    };
    const degrades = (why: string) => {
      consequences.push(why);
      if (verdict === "survives") verdict = "degraded";
    };
    if (lost.length > 0) {
      if (surviving.length === 0) {
        breaks(`the whole cluster stops: ${lost.map((s) => s.name).join(", ")} ${lost.length > 1 ? "are" : "is"} every K3s server`);
      } else {
        if (!etcd.kept) {
          breaks(`etcd loses quorum (${etcd.surviving} of ${etcd.members} members left, ${etcd.majority} needed): the API stops`);
        }
        if (!fits) {
          breaks(
            `the surviving servers cannot hold the platform's requests ` +
              `(${requests.memoryMiB}/${free.memoryMiB} MiB, ${requests.milliCpu}/${free.milliCpu}m): pods stay Pending`,
          );
        }
        if (!longhorn.fullyReplicated) {
          degrades(
            `Longhorn volumes run degraded (${surviving.length} server(s) left for ${replicaCount} replicas) until ${node.name} returns`,
          );
        }
      }
    }
    if (nodes > 1 && !proxmox.kept) {
      degrades(
        `the Proxmox cluster loses quorum (${proxmox.surviving} of ${nodes} nodes): running VMs go on, but none can be started or changed`,
      );
    }
    return {
      node: node.name,
      index,
      lostServers: lost.map((s) => s.name),
      survivingServers: surviving.map((s) => s.name),
      etcd,
      proxmox,
      capacity: { requests, allocatable: free, fits },
      longhorn,
      verdict,
      consequences,
    };
  });
}
