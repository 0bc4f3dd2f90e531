/**
 * Valid labs of any size for the synth benchmark, derived from the default lab: one Proxmox node
 * per K3s server (the spread rule allows one etcd member per host), an odd server count (etcd
 * quorum), and a /16 LAN so that hundreds of static addresses, the DHCP range and the MetalLB
 * pool stay clear of each other. The platform is the default lab's: the app catalog is fixed.
 */
import { intToIp, ipToInt } from "../../config/ipv4";

/** Where each kind of address starts in 10.0.0.0/16; room for 3839 nodes before the VM block. */
const LAN = {
  cidr: "10.0.0.0/16",
  gateway: "10.0.0.1",
  pi: "10.0.0.5",
  apiVip: "10.0.0.50",
  firstNode: "10.0.1.1",
  firstServer: "10.0.16.1",
  pool: { start: "10.0.100.1", end: "10.0.100.250" },
  dhcpRange: { start: "10.0.200.1", end: "10.0.200.254" },
} as const;

const MAX_SERVERS = ipToInt(LAN.firstServer) - ipToInt(LAN.firstNode);

/**
 * A raw lab (as homelab.yaml would hold it) with `servers` K3s server VMs on as many nodes.
 * `base` is the default lab; its VM defaults, images, Pi and platform are kept.
 */
export function scaleLab(base: Record<string, any>, servers: number): Record<string, any> {
  if (!Number.isInteger(servers) || servers < 1 || servers % 2 === 0) {
    throw new Error(`scaleLab: ${servers} servers; etcd needs an odd number of members (e.g. 3, 31, 301)`);
  }
  if (servers > MAX_SERVERS) throw new Error(`scaleLab: ${servers} servers; at most ${MAX_SERVERS} fit the address plan`);
  const digits = Math.max(2, String(servers).length);
  const nodeName = (i: number) => `pve-${String(i + 1).padStart(digits, "0")}`;
  const lab = structuredClone(base);
  lab.network = { ...lab.network, cidr: LAN.cidr, gateway: LAN.gateway, dnsServers: [LAN.gateway], dhcpRange: { ...LAN.dhcpRange } };
  const template = base.proxmox.nodes[0];
  lab.proxmox = {
    ...lab.proxmox,
    nodes: Array.from({ length: servers }, (_, i) => ({
      ...template,
      name: nodeName(i),
      address: intToIp(ipToInt(LAN.firstNode) + i),
      threads: 8,
      memoryGiB: 16,
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
    servers: Array.from({ length: servers }, (_, i) => ({
      name: `k3s-server-${String(i + 1).padStart(digits, "0")}`,
      vmId: 1001 + i,
      address: intToIp(ipToInt(LAN.firstServer) + i),
      proxmoxNode: nodeName(i),
      cores: 4,
      memoryMiB: 8192,
      startupOrder: 1,
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
