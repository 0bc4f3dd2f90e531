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
  platformDemand,
  serverCapacity,
  type ClusterCapacity,
  type HostUsage,
  type NodeLoss,
  type PlatformDemand,
  type ServerCapacity,
} from "../config/capacity";
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
    readonly systemReserve: { readonly memoryMiB: number; readonly milliCpu: number };
    readonly platform: PlatformDemand;
    /** Every component the platform installs, with what it requests and is limited to. */
    readonly components: readonly PlatformComponent[];
    readonly hosts: readonly HostUsage[];
    readonly servers: readonly ServerCapacity[];
    readonly cluster: ClusterCapacity;
  } | null;
  readonly nMinusOne: readonly NodeLoss[];
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

export function buildPlan(config: string, diagnosis: Diagnosis): Plan {
  const { lab, problems } = diagnosis;
  const ok = errorsIn(problems).length === 0;
  if (!lab) return { config, ok, lan: null, addresses: [], urls: [], capacity: null, nMinusOne: [], backups: null, problems };
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
      platform: platformDemand(lab),
      components: platformComponents(lab),
      hosts: hostUsage(lab),
      servers: serverCapacity(lab),
      cluster: clusterCapacity(lab),
    },
    nMinusOne: nMinusOne(lab),
    backups: backupPlan(lab),
    problems,
  };
}

export function summary(plan: Plan): { errors: number; warnings: number } {
  return { errors: errorsIn(plan.problems).length, warnings: warningsIn(plan.problems).length };
}
