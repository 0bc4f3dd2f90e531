/**
 * The lab's plan as data: who owns which address, which URLs the platform serves, the capacity of
 * hosts, servers and cluster, the n−1 verdict per Proxmox node, and the problems found. The text
 * rendering (`render.ts`) and `npm run doctor -- --json` both print this object.
 */
import { exposedHosts, platformComponents, type PlatformComponent } from "../config/apps";
import { backupPlan, type BackupPlan } from "../config/backups";
import { ipToInt, parseRange, rangeSize } from "../config/ipv4";
import { serviceAddresses, staticAddresses, type Problem } from "../config/rules";
import type { LabConfig } from "../config/schema";
import {
  clusterCapacity,
  hostUsage,
  nMinusOne,
  nodeCapacity,
  platformDemand,
  type ClusterCapacity,
  type HostUsage,
  type NodeCapacity,
  type NodeLoss,
  type PlatformDemand,
} from "../config/capacity";
import {
  CONTROL_PLANE_TAINT,
  k3sNodes,
  longhornNeedsDiskLabels,
  longhornStorageNodes,
  schedulesOn,
  takesWorkloads,
  type NodeRole,
} from "../config/placement";
import { errorsIn, warningsIn, type Diagnosis } from "./diagnose";

export interface AddressRow {
  /** First (or only) address. */
  readonly ip: string;
  /** Last address, for ranges only. */
  readonly end?: string;
  readonly owner: string;
  /** Where the config sets it. */
  readonly path: string;
  readonly kind: "host" | "vip" | "service" | "range";
}

export interface UrlRow {
  readonly component: string;
  readonly url: string;
  /** The address the name resolves to (Traefik's, or the API VIP). */
  readonly address: string;
}

export interface Plan {
  readonly config: string;
  /** No errors (warnings allowed): synth would go on. */
  readonly ok: boolean;
  readonly lan: string | null;
  readonly addresses: readonly AddressRow[];
  readonly urls: readonly UrlRow[];
  readonly capacity: {
    readonly hostReserveMiB: number;
    readonly cpuOvercommit: number;
    /** What each server, and each agent, keeps for the system before any pod. */
    readonly systemReserve: { readonly memoryMiB: number; readonly milliCpu: number };
    readonly agentSystemReserve: { readonly memoryMiB: number; readonly milliCpu: number };
    readonly platform: PlatformDemand;
    /** Every component the platform installs, with what it requests and is limited to. */
    readonly components: readonly PlatformComponent[];
    readonly hosts: readonly HostUsage[];
    /** Every K3s VM, servers then agents. */
    readonly nodes: readonly NodeCapacity[];
    readonly cluster: ClusterCapacity;
  } | null;
  readonly nMinusOne: readonly NodeLoss[];
  /** Where pods, Longhorn replicas, the VIP and the LoadBalancer addresses may live, and why. */
  readonly placement: PlacementPlan | null;
  /** Where each backup goes (made, on the Pi, off-site), the restore drill and the day-two checks. */
  readonly backups: BackupPlan | null;
  readonly problems: readonly Problem[];
}

const KIND_ORDER: Record<AddressRow["kind"], number> = { range: 0, vip: 1, host: 2, service: 3 };

/** Every address the lab claims, ranges included, sorted by address (a range before what it contains). */
export function addressTable(lab: LabConfig): AddressRow[] {
  const pool = lab.loadBalancer.pool;
  const dhcp = lab.network.dhcpRange;
  const rows: AddressRow[] = [
    ...staticAddresses(lab).map((a) => ({ ip: a.ip, owner: a.owner, path: a.path, kind: a.path === "k3s.apiVip" ? "vip" : "host" }) as const),
    ...serviceAddresses(lab).map((a) => ({ ip: a.ip, owner: `${a.owner} (MetalLB)`, path: a.path, kind: "service" }) as const),
    {
      ip: pool.start,
      end: pool.end,
      owner: `MetalLB pool (${Math.max(0, rangeSize(parseRange(pool)))} addresses)`,
      path: "loadBalancer.pool",
      kind: "range",
    },
    {
      ip: dhcp.start,
      end: dhcp.end,
      owner: `DHCP range of the ISP box (${Math.max(0, rangeSize(parseRange(dhcp)))} addresses)`,
      path: "network.dhcpRange",
      kind: "range",
    },
  ];
  return rows.sort((a, b) => ipToInt(a.ip) - ipToInt(b.ip) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.path.localeCompare(b.path));
}

export function urlTable(lab: LabConfig): UrlRow[] {
  return [
    ...exposedHosts(lab).map((h) => ({ component: h.component, url: h.url, address: lab.loadBalancer.ingressIp })),
    {
      component: "kubernetes-api",
      url: `https://${lab.k3s.apiHostname}.${lab.network.domain}:6443`,
      address: lab.k3s.apiVip,
    },
  ];
}

/** One K3s node (server, agent VM, or the Pi) and what it may carry. */
export interface PlacementRow {
  readonly name: string;
  readonly role: NodeRole;
  /** The Proxmox node of a VM, or "Raspberry Pi". */
  readonly host: string;
  readonly labels: readonly string[];
  readonly taints: readonly string[];
  /** Which of the platform's pods may run there: `all`, the DaemonSets that tolerate its taints, or none. */
  readonly platform: string;
  readonly longhornReplicas: boolean;
  /** kube-vip (servers) and MetalLB speakers, on which interface. */
  readonly network: string;
  /** What Proxmox HA does with the VM when it or its host dies. */
  readonly ha: string;
}

export interface PlacementPlan {
  readonly nodes: readonly PlacementRow[];
  /** Sentences that explain the choices: where the platform goes, Longhorn, the VIP, HA. */
  readonly notes: readonly string[];
}

/** Where the platform may run, node class by node class (the answer to "why is my pod Pending there?"). */
export function placementPlan(lab: LabConfig): PlacementPlan {
  const components = platformComponents(lab);
  const daemonSets = components.filter((c) => c.perNode);
  const metallb = components.find((c) => c.id === "metallb");
  const storage = new Set(longhornStorageNodes(lab).map((n) => n.name));
  const iface = lab.vm.interface;
  const nodes = k3sNodes(lab);
  const rows = nodes.map((n): PlacementRow => {
    const running = daemonSets.filter((c) => schedulesOn(n, c.tolerations ?? [])).map((c) => c.id);
    const platform = takesWorkloads(n)
      ? "all"
      : running.length > 0
        ? `DaemonSets only: ${running.join(", ")}`
        : "none";
    const speaker = metallb && schedulesOn(n, metallb.tolerations ?? []);
    const network =
      n.kind === "raspberry-pi"
        ? "no MetalLB speaker (NoExecute taint); its NIC is not vm.interface"
        : [n.role === "server" ? `kube-vip on ${iface}` : "", speaker ? `MetalLB speaker on ${iface}` : ""].filter(Boolean).join(", ") || "none";
    const ha =
      n.kind === "raspberry-pi"
        ? "not a VM"
        : n.role === "server"
          ? `pinned to ${n.proxmoxNode}: restarted there, waits for it (local disks, one etcd member per host)`
          : n.failoverNodes.length > 0
            ? `restarted on ${n.failoverNodes.join(" or ")} if ${n.proxmoxNode} dies (disks on ${lab.k3s.agents.find((a) => a.name === n.name)?.failover?.storage}), back when it returns`
            : `pinned to ${n.proxmoxNode}: restarted there, waits for it (local disks)`;
    return {
      name: n.name,
      role: n.role,
      host: n.kind === "vm" ? n.proxmoxNode : "Raspberry Pi",
      labels: n.labels,
      taints: n.taints,
      platform,
      longhornReplicas: storage.has(n.name),
      network,
      ha,
    };
  });

  const workload = nodes.filter(takesWorkloads).map((n) => n.name);
  const notes: string[] = [
    `The platform's Deployments and your pods may run on ${workload.length ? workload.join(", ") : "no node"} (no NoSchedule/NoExecute taint); ` +
      "DaemonSets run on every node whose taints they tolerate.",
  ];
  if (lab.k3s.taintServers) {
    notes.push(`The servers carry ${CONTROL_PLANE_TAINT} (k3s.taintServers): etcd and the API keep their CPU and RAM; only kube-vip and the DaemonSets that tolerate it run there.`);
  } else if (lab.k3s.agents.length > 0) {
    notes.push(`The servers take workloads too; set k3s.taintServers: true to keep them for etcd and the API (${CONTROL_PLANE_TAINT}).`);
  } else {
    notes.push("The lab has no agent: the servers carry etcd, the API and every workload (k3s.taintServers needs an untainted agent).");
  }
  notes.push(
    `Longhorn keeps replicas on ${storage.size ? [...storage].join(", ") : "no node"} (a Longhorn disk, and Longhorn runs there)` +
      (longhornNeedsDiskLabels(lab)
        ? `; nodes without a Longhorn disk get none: Longhorn creates its disk only on nodes labelled node.longhorn.io/create-default-disk=true.`
        : "."),
  );
  notes.push(
    `kube-vip holds the API VIP ${lab.k3s.apiVip} on ${iface} of one server (control-plane nodes only)` +
      (nodes.some((n) => n.role === "agent") ? "; agents join through it. " : ". ") +
      `MetalLB's speakers answer ARP for ${lab.loadBalancer.pool.start}–${lab.loadBalancer.pool.end} on ${iface} of every node they run on` +
      (nodes.some((n) => n.kind === "raspberry-pi") ? " (not the Pi)." : "."),
  );
  const tainted = nodes.filter((n) => n.role === "agent" && !takesWorkloads(n)).map((n) => n.name);
  if (tainted.length > 0) {
    notes.push(
      `On ${tainted.join(", ")} (tainted) only pods that tolerate the taint run; Longhorn tolerates none, so such pods cannot mount Longhorn volumes there.`,
    );
  }
  const agents = lab.k3s.agents;
  if (agents.length > 0) {
    const moving = agents.filter((a) => a.failover).map((a) => a.name);
    notes.push(
      moving.length
        ? `Agents ${moving.join(", ")} may move (k3s.agents[].failover: shared storage, no Longhorn disk); the others are pinned like the servers.`
        : "Every agent is pinned to its node, like the servers: its disks are local. An agent without a Longhorn disk may set failover (disks on proxmox.sharedStorage) to be restarted elsewhere.",
    );
  }
  return { nodes: rows, notes };
}

export function buildPlan(config: string, diagnosis: Diagnosis): Plan {
  const { lab, problems } = diagnosis;
  const ok = errorsIn(problems).length === 0;
  if (!lab) return { config, ok, lan: null, addresses: [], urls: [], capacity: null, nMinusOne: [], placement: null, backups: null, problems };
  return {
    config,
    ok,
    lan: lab.network.cidr,
    addresses: addressTable(lab),
    urls: urlTable(lab),
    capacity: {
      hostReserveMiB: lab.proxmox.hostReserveMiB,
      cpuOvercommit: lab.proxmox.cpuOvercommit,
      systemReserve: { memoryMiB: lab.k3s.systemReserveMiB, milliCpu: lab.k3s.systemReserveMilliCpu },
      agentSystemReserve: { memoryMiB: lab.k3s.agentSystemReserveMiB, milliCpu: lab.k3s.agentSystemReserveMilliCpu },
      platform: platformDemand(lab),
      components: platformComponents(lab),
      hosts: hostUsage(lab),
      nodes: nodeCapacity(lab),
      cluster: clusterCapacity(lab),
    },
    nMinusOne: nMinusOne(lab),
    placement: placementPlan(lab),
    backups: backupPlan(lab),
    problems,
  };
}

export function summary(plan: Plan): { errors: number; warnings: number } {
  return { errors: errorsIn(plan.problems).length, warnings: warningsIn(plan.problems).length };
}
