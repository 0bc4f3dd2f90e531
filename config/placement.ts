/**
 * Where things run: the K3s nodes of the lab (servers, agent VMs, the Raspberry Pi when it is an
 * agent) with the labels and taints K3s registers them with, which of them the platform's pods may
 * use, and which of them Longhorn keeps replicas on. One module for the inventory, the capacity
 * model, the doctor, the diagram and the platform's Longhorn settings.
 */
import { platformComponents, type Toleration } from "./apps";
import type { TaintEffect } from "./formats";
import type { LabConfig } from "./schema";

/** What `k3s.taintServers` puts on every server (Kubernetes' own control-plane taint). */
export const CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane:NoSchedule";

/**
 * Longhorn creates its default disk (/var/lib/longhorn) only on nodes with this label once its
 * `createDefaultDiskLabeledNodes` setting is on: homelab labels every node that has a Longhorn disk,
 * so that an agent without one never gets replicas on its OS disk.
 */
export const LONGHORN_DISK_LABEL_KEY = "node.longhorn.io/create-default-disk";
export const LONGHORN_DISK_LABEL = `${LONGHORN_DISK_LABEL_KEY}=true`;

/**
 * The Pi as an agent: labelled, and tainted NoExecute so that nothing lands there unasked. Not
 * NoSchedule: node-exporter tolerates every NoSchedule taint and would clash with the Pi's own
 * node exporter on port 9100; the Pi's SD card and RAM are for its side services.
 */
export const RASPBERRY_PI_LABEL = "homelab/node-class=raspberry-pi";
export const RASPBERRY_PI_TAINT = "homelab/node-class=raspberry-pi:NoExecute";

export type NodeRole = "server" | "agent";

/** One K3s node as K3s registers it. */
interface K3sNodeBase {
  readonly name: string;
  readonly role: NodeRole;
  /** Where the config declares it: `k3s.servers[0]`, `k3s.agents[1]`, `raspberryPi`. */
  readonly path: string;
  readonly address: string;
  /** K3s node-label entries (`key=value`), in order. */
  readonly labels: readonly string[];
  /** K3s node-taint entries (`key=value:Effect`), in order. */
  readonly taints: readonly string[];
  /** The node has the Longhorn data disk (mounted at /var/lib/longhorn). */
  readonly longhornDisk: boolean;
}

/** A K3s node that is a Proxmox VM. */
export interface K3sVmNode extends K3sNodeBase {
  readonly kind: "vm";
  readonly proxmoxNode: string;
  readonly cores: number;
  readonly memoryMiB: number;
  /** Other Proxmox nodes HA may restart it on (agents with `failover`); empty: pinned. */
  readonly failoverNodes: readonly string[];
}

/** The Raspberry Pi as a K3s agent (not a VM: outside the Proxmox capacity). */
export interface PiNode extends K3sNodeBase {
  readonly kind: "raspberry-pi";
}

export type K3sNode = K3sVmNode | PiNode;

/** Every K3s node: the servers, then the agent VMs, then the Pi when it is an agent. */
export function k3sNodes(lab: LabConfig): K3sNode[] {
  const serverTaints = lab.k3s.taintServers ? [CONTROL_PLANE_TAINT] : [];
  const nodes: K3sNode[] = [
    ...lab.k3s.servers.map(
      (s, i): K3sVmNode => ({
        kind: "vm",
        name: s.name,
        role: "server",
        path: `k3s.servers[${i}]`,
        address: s.address,
        proxmoxNode: s.proxmoxNode,
        cores: s.cores,
        memoryMiB: s.memoryMiB,
        labels: [LONGHORN_DISK_LABEL],
        taints: serverTaints,
        longhornDisk: true,
        failoverNodes: [],
      }),
    ),
    ...(lab.k3s.agents ?? []).map(
      (a, i): K3sVmNode => ({
        kind: "vm",
        name: a.name,
        role: "agent",
        path: `k3s.agents[${i}]`,
        address: a.address,
        proxmoxNode: a.proxmoxNode,
        cores: a.cores,
        memoryMiB: a.memoryMiB,
        labels: [...(a.dataDiskGiB !== undefined ? [LONGHORN_DISK_LABEL] : []), ...a.labels],
        taints: [...a.taints],
        longhornDisk: a.dataDiskGiB !== undefined,
        failoverNodes: [...(a.failover?.nodes ?? [])],
      }),
    ),
  ];
  const pi = lab.raspberryPi;
  if (pi?.k3sAgent) {
    nodes.push({
      kind: "raspberry-pi",
      name: pi.name,
      role: "agent",
      path: "raspberryPi",
      address: pi.address,
      labels: [RASPBERRY_PI_LABEL],
      taints: [RASPBERRY_PI_TAINT],
      longhornDisk: false,
    });
  }
  return nodes;
}

/** The K3s nodes that are Proxmox VMs (servers and agents), in config order. */
export function k3sVms(lab: LabConfig): K3sVmNode[] {
  return k3sNodes(lab).filter((n): n is K3sVmNode => n.kind === "vm");
}

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: TaintEffect;
}

/** `key=value:Effect` (or `key:Effect`) to its parts; the schema checked the form. */
export function parseTaint(text: string): Taint {
  const colon = text.lastIndexOf(":");
  const effect = text.slice(colon + 1) as TaintEffect;
  const [key, value] = text.slice(0, colon).split("=", 2);
  return value === undefined ? { key, effect } : { key, value, effect };
}

/** Taints the scheduler enforces (PreferNoSchedule is only a preference). */
export function hardTaints(node: Pick<K3sNodeBase, "taints">): Taint[] {
  return node.taints.map(parseTaint).filter((t) => t.effect !== "PreferNoSchedule");
}

/** Kubernetes' rule: a toleration without key matches every key, without effect every effect. */
export function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => (t.key === undefined || t.key === taint.key) && (t.effect === undefined || t.effect === taint.effect));
}

/** Whether a pod with these tolerations may be scheduled on the node. */
export function schedulesOn(node: Pick<K3sNodeBase, "taints">, tolerations: readonly Toleration[] = []): boolean {
  return hardTaints(node).every((taint) => tolerates(tolerations, taint));
}

/** The node takes ordinary pods (the platform's Deployments, your apps): no hard taint. */
export function takesWorkloads(node: Pick<K3sNodeBase, "taints">): boolean {
  return schedulesOn(node, []);
}

/** What Longhorn's pods tolerate (the catalog's, i.e. the chart's: none unless set). */
function longhornTolerations(lab: LabConfig): readonly Toleration[] {
  return platformComponents(lab).find((c) => c.id === "longhorn")?.tolerations ?? [];
}

/** Nodes where Longhorn runs (its manager on every node it tolerates). */
export function longhornRunsOn(lab: LabConfig): K3sNode[] {
  const tolerations = longhornTolerations(lab);
  return k3sNodes(lab).filter((n) => schedulesOn(n, tolerations));
}

/** Nodes where Longhorn keeps replicas: it runs there and the node has a Longhorn disk. */
export function longhornStorageNodes(lab: LabConfig): K3sNode[] {
  return longhornRunsOn(lab).filter((n) => n.longhornDisk);
}

/**
 * True when Longhorn runs on a node without a Longhorn disk: then only labelled nodes
 * (LONGHORN_DISK_LABEL) may get its default disk, or that node's OS disk would hold replicas.
 */
export function longhornNeedsDiskLabels(lab: LabConfig): boolean {
  return longhornRunsOn(lab).some((n) => !n.longhornDisk);
}
