/**
 * Valid labs of any size for the synth benchmark, the way a lab grows: three K3s servers (etcd
 * stays 3 members) on the first three Proxmox nodes, and K3s agents spread round-robin over every
 * node, each with a Longhorn disk. Derived from the default lab, on a /16 LAN so that hundreds of
 * static addresses, the DHCP range and the MetalLB pool stay clear of each other. The platform is
 * the default lab's: the app catalog is fixed.
 */
import { intToIp, ipToInt } from "../../config/ipv4";

/** Where each kind of address starts in 10.0.0.0/16. */
const LAN = {
  cidr: "10.0.0.0/16",
  gateway: "10.0.0.1",
  pi: "10.0.0.5",
  apiVip: "10.0.0.50",
  firstNode: "10.0.1.1",
  firstServer: "10.0.16.1",
  firstAgent: "10.0.32.1",
  pool: { start: "10.0.100.1", end: "10.0.100.250" },
  dhcpRange: { start: "10.0.200.1", end: "10.0.200.254" },
} as const;

/** The three etcd members of every generated lab. */
export const SCALE_SERVERS = 3;

/** Address room of each block: nodes before the servers, agents before the pool. */
const MAX_NODES = ipToInt(LAN.firstServer) - ipToInt(LAN.firstNode);
const MAX_AGENTS = ipToInt(LAN.pool.start) - ipToInt(LAN.firstAgent);

/** One VM size for every agent, and a node RAM that holds a server and three of them. */
const AGENT = { cores: 2, memoryMiB: 4096, dataDiskGiB: 100 } as const;
const NODE = { threads: 16, memoryGiB: 32 } as const;

export interface ScaleLabSize {
  /** K3s agent VMs, spread round-robin over the nodes. */
  readonly agents: number;
  /** Proxmox nodes (at least the three that carry the servers). */
  readonly nodes: number;
}

/** How many VMs a node may carry in these labs: its RAM minus the host reserve, over an agent's size. */
function agentsPerNodeLimit(hostReserveMiB: number): number {
  return Math.floor((NODE.memoryGiB * 1024 - hostReserveMiB - 8192) / AGENT.memoryMiB);
}

/**
 * A raw lab (as homelab.yaml would hold it) with 3 servers and `agents` agents on `nodes` Proxmox
 * nodes. `base` is the default lab; its VM defaults, images, Pi and platform are kept.
 */
export function scaleLab(base: Record<string, any>, size: ScaleLabSize): Record<string, any> {
  const { agents, nodes } = size;
  if (!Number.isInteger(nodes) || nodes < SCALE_SERVERS) {
    throw new Error(`scaleLab: ${nodes} Proxmox nodes; the ${SCALE_SERVERS} servers need one node each (etcd: one member per host)`);
  }
  if (nodes > MAX_NODES) throw new Error(`scaleLab: ${nodes} Proxmox nodes; at most ${MAX_NODES} fit the address plan`);
  if (!Number.isInteger(agents) || agents < 0) throw new Error(`scaleLab: ${agents} agents; give a whole number, 0 or more`);
  if (agents > MAX_AGENTS) throw new Error(`scaleLab: ${agents} agents; at most ${MAX_AGENTS} fit the address plan`);
  const perNode = agentsPerNodeLimit(base.proxmox.hostReserveMiB ?? 3072);
  if (agents > nodes * perNode) {
    throw new Error(`scaleLab: ${agents} agents on ${nodes} nodes; at most ${perNode} agents fit a node beside its server: add nodes`);
  }
  const digits = Math.max(2, String(Math.max(nodes, agents)).length);
  const pad = (i: number) => String(i + 1).padStart(digits, "0");
  const nodeName = (i: number) => `pve-${pad(i)}`;
  const lab = structuredClone(base);
  lab.network = { ...lab.network, cidr: LAN.cidr, gateway: LAN.gateway, dnsServers: [LAN.gateway], dhcpRange: { ...LAN.dhcpRange } };
  const template = base.proxmox.nodes[0];
  lab.proxmox = {
    ...lab.proxmox,
    nodes: Array.from({ length: nodes }, (_, i) => ({
      ...template,
      name: nodeName(i),
      address: intToIp(ipToInt(LAN.firstNode) + i),
      ...NODE,
      // Each machine its own NIC and disk (install MACs must be unique): locally administered MACs.
      ...(template.install
        ? {
            install: {
              ...template.install,
              mac: `02:00:00:${[(i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, "0")).join(":")}`,
              disk: { serial: `SCALE-DISK-${i + 1}` },
            },
          }
        : {}),
    })),
  };
  lab.k3s = {
    ...lab.k3s,
    apiVip: LAN.apiVip,
    servers: Array.from({ length: SCALE_SERVERS }, (_, i) => ({
      name: `k3s-server-${i + 1}`,
      vmId: 1001 + i,
      address: intToIp(ipToInt(LAN.firstServer) + i),
      proxmoxNode: nodeName(i),
      cores: 4,
      memoryMiB: 8192,
      startupOrder: 1,
    })),
    agents: Array.from({ length: agents }, (_, i) => ({
      name: `k3s-agent-${pad(i)}`,
      vmId: 2001 + i,
      address: intToIp(ipToInt(LAN.firstAgent) + i),
      proxmoxNode: nodeName(i % nodes),
      ...AGENT,
    })),
  };
  if (lab.raspberryPi) lab.raspberryPi = { ...lab.raspberryPi, address: LAN.pi };
  const pool = ipToInt(LAN.pool.start);
  lab.loadBalancer = {
    pool: { ...LAN.pool },
    ingressIp: intToIp(pool),
    dnsIp: intToIp(pool + 1),
    gitSshIp: intToIp(pool + 2),
  };
  return lab;
}
