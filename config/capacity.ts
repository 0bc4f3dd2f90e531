/**
 * The lab's capacity model: what the Proxmox hosts give the VMs, what the VMs (servers and agents)
 * give Kubernetes, what the platform asks of Kubernetes, and what is left when one Proxmox node is
 * down (n−1).
 *
 * Pure functions of the validated config. The numbers are aggregates (sum of requests against sum
 * of allocatable), not a scheduler simulation: a lab that fails them certainly does not fit, one
 * that passes them may still leave a large pod pending on a fragmented cluster. Taints are
 * honoured: a DaemonSet counts on the nodes it tolerates, the shared pods only on untainted nodes
 * (config/placement.ts).
 */
import { platformComponents, type Toleration } from "./apps";
import { k3sVms, longhornStorageNodes, schedulesOn, takesWorkloads, type K3sVmNode, type NodeRole } from "./placement";
import type { LabConfig } from "./schema";

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

/** One DaemonSet of the platform: what each copy asks, and where it may run. */
export interface DaemonSetDemand {
  readonly id: string;
  readonly requests: Demand;
  /** CPU reserved as a share of the node's CPU, in percent (Longhorn's instance manager). */
  readonly cpuPercent: number;
  readonly tolerations: readonly Toleration[];
}

/** The platform's requests, split by how they scale with the number of nodes. */
export interface PlatformDemand {
  /** Deployments and StatefulSets: scheduled once, on an untainted node where they fit. */
  readonly shared: Demand;
  /** DaemonSets (`perNode` components) on a node that runs all of them (an untainted node). */
  readonly perNode: Demand;
  /**
   * CPU such a node also reserves as a share of its own CPU, in percent (Longhorn's instance
   * manager, `guaranteedInstanceManagerCPU`): a bigger node reserves more.
   */
  readonly perNodeCpuPercent: number;
  /** Each DaemonSet with its tolerations: a tainted node runs only those that tolerate it. */
  readonly daemonSets: readonly DaemonSetDemand[];
}

export function platformDemand(lab: LabConfig): PlatformDemand {
  let shared = ZERO;
  const daemonSets: DaemonSetDemand[] = [];
  for (const c of platformComponents(lab)) {
    const d = times({ memoryMiB: c.resources.requestMemoryMiB, milliCpu: c.resources.requestMilliCpu }, c.instances ?? 1);
    if (c.perNode) daemonSets.push({ id: c.id, requests: d, cpuPercent: c.perNodeCpuPercent ?? 0, tolerations: c.tolerations ?? [] });
    else shared = add(shared, d);
  }
  return {
    shared,
    perNode: daemonSets.reduce((sum, ds) => add(sum, ds.requests), ZERO),
    perNodeCpuPercent: daemonSets.reduce((sum, ds) => sum + ds.cpuPercent, 0),
    daemonSets,
  };
}

/** The part of a node the model reads: its cores, and its taints (none: every DaemonSet runs there). */
export type NodeShape = { readonly cores: number; readonly taints?: readonly string[] };

/** The DaemonSets that run on a node: all of them on an untainted node, the tolerant ones on a tainted one. */
export function daemonSetsRunningOn(demand: PlatformDemand, node: NodeShape): DaemonSetDemand[] {
  return demand.daemonSets.filter((ds) => schedulesOn({ taints: node.taints ?? [] }, ds.tolerations));
}

/** What the DaemonSets ask on one node: the fixed requests plus the CPU share reserved on it. */
export function daemonSetsOn(demand: PlatformDemand, node: NodeShape): Demand {
  return daemonSetsRunningOn(demand, node).reduce(
    (sum, ds) => add(sum, add(ds.requests, { memoryMiB: 0, milliCpu: Math.floor((node.cores * MILLICPU_PER_CORE * ds.cpuPercent) / 100) })),
    ZERO,
  );
}

/** What the platform requests in total on a cluster whose untainted nodes are these. */
export function requestsOn(demand: PlatformDemand, nodes: readonly NodeShape[]): Demand {
  return nodes.reduce((sum, n) => add(sum, daemonSetsOn(demand, n)), demand.shared);
}

/** What a server or an agent keeps for the system (OS, K3s, etcd on servers) before any pod. */
export function systemReserve(lab: LabConfig, role: NodeRole): Demand {
  return role === "server"
    ? { memoryMiB: lab.k3s.systemReserveMiB, milliCpu: lab.k3s.systemReserveMilliCpu }
    : { memoryMiB: lab.k3s.agentSystemReserveMiB, milliCpu: lab.k3s.agentSystemReserveMilliCpu };
}

/** What one K3s VM hands to pods: the VM minus its role's system reserve. */
export function allocatable(lab: LabConfig, node: Pick<K3sVmNode, "cores" | "memoryMiB"> & { readonly role?: NodeRole }): Demand {
  const reserve = systemReserve(lab, node.role ?? "server");
  return {
    memoryMiB: Math.max(0, node.memoryMiB - reserve.memoryMiB),
    milliCpu: Math.max(0, node.cores * MILLICPU_PER_CORE - reserve.milliCpu),
  };
}

export function allocatableOf(lab: LabConfig, nodes: readonly (Pick<K3sVmNode, "cores" | "memoryMiB"> & { readonly role?: NodeRole })[]): Demand {
  return nodes.reduce((sum, n) => add(sum, allocatable(lab, n)), ZERO);
}

/** One Proxmox node and the VMs on it. */
export interface HostUsage {
  readonly node: string;
  readonly index: number;
  readonly servers: readonly string[];
  readonly agents: readonly string[];
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
  const vms = k3sVms(lab);
  return lab.proxmox.nodes.map((node, index) => {
    const here = vms.filter((v) => v.proxmoxNode === node.name);
    const memoryMiB = Math.round(node.memoryGiB * MIB_PER_GIB);
    return {
      node: node.name,
      index,
      servers: here.filter((v) => v.role === "server").map((v) => v.name),
      agents: here.filter((v) => v.role === "agent").map((v) => v.name),
      memoryMiB,
      availableMiB: memoryMiB - lab.proxmox.hostReserveMiB,
      vmMemoryMiB: here.reduce((sum, v) => sum + v.memoryMiB, 0),
      threads: node.threads,
      vcpuLimit: Math.floor(node.threads * lab.proxmox.cpuOvercommit),
      vcpus: here.reduce((sum, v) => sum + v.cores, 0),
    };
  });
}

/** One K3s VM (server or agent) as Kubernetes sees it. */
export interface NodeCapacity {
  readonly name: string;
  readonly role: NodeRole;
  /** Where the config declares it, e.g. `k3s.agents[0]`. */
  readonly path: string;
  readonly proxmoxNode: string;
  readonly vm: Demand;
  readonly allocatable: Demand;
  /** The DaemonSets it runs, whatever else is scheduled there (with their CPU reservations). */
  readonly daemonSets: Demand;
  /** Ids of those DaemonSets (fewer than the catalog's on a tainted node). */
  readonly daemonSetIds: readonly string[];
  readonly taints: readonly string[];
  /** Takes the platform's Deployments and your apps (no NoSchedule/NoExecute taint). */
  readonly takesWorkloads: boolean;
  /** Longhorn keeps replicas here (a Longhorn disk, and Longhorn runs on the node). */
  readonly longhornReplicas: boolean;
}

export function nodeCapacity(lab: LabConfig): NodeCapacity[] {
  const demand = platformDemand(lab);
  const storage = new Set(longhornStorageNodes(lab).map((n) => n.name));
  return k3sVms(lab).map((n) => ({
    name: n.name,
    role: n.role,
    path: n.path,
    proxmoxNode: n.proxmoxNode,
    vm: { memoryMiB: n.memoryMiB, milliCpu: n.cores * MILLICPU_PER_CORE },
    allocatable: allocatable(lab, n),
    daemonSets: daemonSetsOn(demand, n),
    daemonSetIds: daemonSetsRunningOn(demand, n).map((ds) => ds.id),
    taints: n.taints,
    takesWorkloads: takesWorkloads(n),
    longhornReplicas: storage.has(n.name),
  }));
}

/**
 * The nodes the platform's pods are scheduled on (untainted servers and agents): their VMs, the
 * system reserve of each, what is left, and what the platform asks there.
 */
export interface ClusterCapacity {
  readonly servers: number;
  readonly agents: number;
  /** Names of the nodes counted below (those that take workloads). */
  readonly workloadNodes: readonly string[];
  readonly vms: Demand;
  readonly systemReserve: Demand;
  readonly allocatable: Demand;
  readonly requests: Demand;
}

function clusterOf(lab: LabConfig, nodes: readonly K3sVmNode[]): Omit<ClusterCapacity, "servers" | "agents"> {
  const workload = nodes.filter(takesWorkloads);
  return {
    workloadNodes: workload.map((n) => n.name),
    vms: workload.reduce((sum, n) => add(sum, { memoryMiB: n.memoryMiB, milliCpu: n.cores * MILLICPU_PER_CORE }), ZERO),
    systemReserve: workload.reduce((sum, n) => add(sum, systemReserve(lab, n.role)), ZERO),
    allocatable: allocatableOf(lab, workload),
    requests: requestsOn(platformDemand(lab), workload),
  };
}

export function clusterCapacity(lab: LabConfig): ClusterCapacity {
  const vms = k3sVms(lab);
  return {
    servers: vms.filter((n) => n.role === "server").length,
    agents: vms.filter((n) => n.role === "agent").length,
    ...clusterOf(lab, vms),
  };
}

export type Verdict = "survives" | "degraded" | "breaks";

/** An agent that Proxmox HA restarts on another node when its own goes down. */
export interface MovedAgent {
  readonly name: string;
  readonly to: string;
}

/** What the loss of one Proxmox node does to the lab. */
export interface NodeLoss {
  readonly node: string;
  readonly index: number;
  readonly lostServers: readonly string[];
  readonly survivingServers: readonly string[];
  /** Agents that stop with the node (pinned, or no failover node with room). */
  readonly lostAgents: readonly string[];
  /** Agents that Proxmox HA restarts elsewhere (`failover`), with where. */
  readonly movedAgents: readonly MovedAgent[];
  /** Agents still running (elsewhere, or moved). */
  readonly survivingAgents: readonly string[];
  /** etcd: members, members left, and the majority they need. */
  readonly etcd: { readonly members: number; readonly surviving: number; readonly majority: number; readonly kept: boolean };
  /** Corosync (Proxmox cluster) quorum: without it, VMs keep running but cannot be started or changed. */
  readonly proxmox: { readonly nodes: number; readonly surviving: number; readonly kept: boolean };
  /** Requests of the platform on the surviving untainted nodes against what they can hand out. */
  readonly capacity: { readonly requests: Demand; readonly allocatable: Demand; readonly fits: boolean };
  /** Longhorn: can every volume still keep `replicaCount` replicas on distinct nodes with a Longhorn disk? */
  readonly longhorn: { readonly replicaCount: number; readonly surviving: number; readonly fullyReplicated: boolean };
  readonly verdict: Verdict;
  /** One sentence per thing the loss breaks or degrades; empty when the lab survives it intact. */
  readonly consequences: readonly string[];
}

const majority = (members: number) => Math.floor(members / 2) + 1;

/**
 * Where the agents of a lost node go: each agent with `failover` takes the first listed node, not
 * the lost one, whose free RAM (available minus its VMs and the agents moved there before) holds
 * it. Proxmox HA places by its own scheduler; this is the check that some placement exists.
 */
function moveAgents(hosts: readonly HostUsage[], lost: string, agents: readonly K3sVmNode[]): MovedAgent[] {
  if (!agents.some((a) => a.failoverNodes.length > 0)) return [];
  const free = new Map(hosts.map((h) => [h.node, h.availableMiB - h.vmMemoryMiB]));
  const moved: MovedAgent[] = [];
  for (const agent of agents) {
    const to = agent.failoverNodes.find((n) => n !== lost && (free.get(n) ?? -1) >= agent.memoryMiB);
    if (!to) continue;
    free.set(to, (free.get(to) ?? 0) - agent.memoryMiB);
    moved.push({ name: agent.name, to });
  }
  return moved;
}

export function nMinusOne(lab: LabConfig): NodeLoss[] {
  const demand = platformDemand(lab);
  const vms = k3sVms(lab);
  const servers = vms.filter((n) => n.role === "server");
  const agents = vms.filter((n) => n.role === "agent");
  const storageNames = new Set(longhornStorageNodes(lab).map((n) => n.name));
  const nodes = lab.proxmox.nodes.length;
  const replicaCount = lab.platform.longhorn.replicaCount;
  const hosts = hostUsage(lab);
  return lab.proxmox.nodes.map((node, index) => {
    const lost = servers.filter((s) => s.proxmoxNode === node.name);
    const surviving = servers.filter((s) => s.proxmoxNode !== node.name);
    const proxmox = { nodes, surviving: nodes - 1, kept: nodes - 1 >= majority(nodes) };
    const agentsHere = agents.filter((a) => a.proxmoxNode === node.name);
    // HA recovers a VM only in a quorate Proxmox cluster (it must fence the lost node first).
    const moved = proxmox.kept ? moveAgents(hosts, node.name, agentsHere) : [];
    const movedNames = new Set(moved.map((m) => m.name));
    const lostAgents = agentsHere.filter((a) => !movedNames.has(a.name));
    const survivingAgents = agents.filter((a) => a.proxmoxNode !== node.name || movedNames.has(a.name));
    const etcd = { members: servers.length, surviving: surviving.length, majority: majority(servers.length), kept: false };
    etcd.kept = etcd.surviving >= etcd.majority;
    const workload = [...surviving, ...survivingAgents].filter(takesWorkloads);
    const requests = requestsOn(demand, workload);
    const free = allocatableOf(lab, workload);
    const fits = workload.length > 0 && requests.memoryMiB <= free.memoryMiB && requests.milliCpu <= free.milliCpu;
    const storageLeft = [...surviving, ...survivingAgents].filter((n) => storageNames.has(n.name)).length;
    const longhorn = { replicaCount, surviving: storageLeft, fullyReplicated: replicaCount <= storageLeft };

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
    if (lost.length > 0 && surviving.length === 0) {
      breaks(`the whole cluster stops: ${lost.map((s) => s.name).join(", ")} ${lost.length > 1 ? "are" : "is"} every K3s server`);
    } else if (lost.length + lostAgents.length > 0) {
      if (!etcd.kept) {
        breaks(`etcd loses quorum (${etcd.surviving} of ${etcd.members} members left, ${etcd.majority} needed): the API stops`);
      }
      if (!fits) {
        breaks(
          `the surviving nodes cannot hold the platform's requests ` +
            `(${requests.memoryMiB}/${free.memoryMiB} MiB, ${requests.milliCpu}/${free.milliCpu}m): pods stay Pending`,
        );
      }
      if (!longhorn.fullyReplicated) {
        degrades(
          `Longhorn volumes run degraded (${storageLeft} node(s) with a Longhorn disk left for ${replicaCount} replicas) until ${node.name} returns`,
        );
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
      lostAgents: lostAgents.map((a) => a.name),
      movedAgents: moved,
      survivingAgents: survivingAgents.map((a) => a.name),
      etcd,
      proxmox,
      capacity: { requests, allocatable: free, fits },
      longhorn,
      verdict,
      consequences,
    };
  });
}
