import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { Resources } from "../../config/apps";
import { intToIp, ipToInt } from "../../config/ipv4";
import { HelmApp, localChart, type ChartRef } from "./helm-app";
import { kubernetesResources, shareOf } from "./resources";

/** MetalLB's chart, pinned (https://metallb.github.io/metallb, chart `metallb`). */
// renovate: datasource=helm depName=metallb registryUrl=https://metallb.github.io/metallb
export const METALLB_CHART: ChartRef = { chart: "metallb", repository: "https://metallb.github.io/metallb", version: "0.16.1" };
/** The repo's chart with the IPAddressPools and the L2Advertisement (charts/metallb-config). */
export const METALLB_CONFIG_CHART: ChartRef = localChart("metallb-config", "1.0.0");

/** Pool of the addresses Services claim by name: never handed out on its own. */
export const RESERVED_POOL = "lab-reserved";
/** Pool of the remaining addresses, for any other LoadBalancer Service. */
export const DYNAMIC_POOL = "lab-dynamic";

export interface MetalLbProps {
  /** @default "metallb-system" */
  readonly namespace?: string;
  /** First address of the LAN block MetalLB hands out (inclusive). */
  readonly poolStart: string;
  /** Last address of that block (inclusive). */
  readonly poolEnd: string;
  /**
   * Addresses that named Services claim with the `metallb.io/loadBalancerIPs` annotation (Traefik,
   * AdGuard DNS, Gitea SSH), keyed by owner. They must lie inside the pool; they go into a pool
   * with `autoAssign: false`, so no other Service can take one first.
   */
  readonly reservedAddresses: Readonly<Record<string, string>>;
  /** Node interfaces that answer ARP for the pool (the VMs' LAN NIC). @default every interface */
  readonly interfaces?: readonly string[];
  /** What MetalLB asks in total (catalog); controller and speaker get half each. */
  readonly resources: Resources;
  /** What the release waits for: its namespace. @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** @default METALLB_CHART */
  readonly chart?: ChartRef;
}

/** One pool of the metallb-config chart. */
export interface MetalLbPool {
  readonly name: string;
  readonly addresses: string[];
  readonly autoAssign: boolean;
}

/** `start..end` minus `holes`, as MetalLB address entries (`a-b` ranges, `/32` for single addresses). */
export function rangesWithout(start: number, end: number, holes: readonly number[]): string[] {
  const out: string[] = [];
  let from = start;
  const entry = (a: number, b: number) => (a === b ? `${intToIp(a)}/32` : `${intToIp(a)}-${intToIp(b)}`);
  for (const hole of [...new Set(holes)].sort((a, b) => a - b)) {
    if (hole < from || hole > end) continue;
    if (hole > from) out.push(entry(from, hole - 1));
    from = hole + 1;
  }
  if (from <= end) out.push(entry(from, end));
  return out;
}

/**
 * MetalLB in layer-2 mode: the chart (CRDs, controller with its webhook, speakers), then, once it
 * is ready, the repo's metallb-config chart with the address pools and the L2Advertisement. The
 * custom resources go in through Helm after MetalLB's release has waited for the webhook, so one
 * `cdktf deploy platform` works on an empty cluster (no `kubernetes_manifest`, no CRD at plan).
 */
export class MetalLb extends Construct {
  public readonly namespace: string;
  public readonly release: HelmApp;
  public readonly config: HelmApp;
  public readonly pools: MetalLbPool[];

  constructor(scope: Construct, id: string, props: MetalLbProps) {
    super(scope, id);
    const start = ipToInt(props.poolStart);
    const end = ipToInt(props.poolEnd);
    if (start > end) {
      throw new Error(`MetalLb ${id}: pool start ${props.poolStart} is after its end ${props.poolEnd}; swap them`);
    }
    const reserved = Object.entries(props.reservedAddresses);
    const seen = new Map<string, string>();
    for (const [owner, ip] of reserved) {
      const n = ipToInt(ip);
      if (n < start || n > end) {
        throw new Error(
          `MetalLb ${id}: ${owner} claims ${ip}, outside the pool ${props.poolStart}–${props.poolEnd}; ` +
            `pick an address inside the pool (loadBalancer in homelab.yaml)`,
        );
      }
      const other = seen.get(ip);
      if (other) throw new Error(`MetalLb ${id}: ${ip} is claimed by both ${other} and ${owner}; give each its own address`);
      seen.set(ip, owner);
    }
    this.namespace = props.namespace ?? "metallb-system";
    const share = kubernetesResources(shareOf(props.resources, 2));

    this.release = new HelmApp(this, "release", {
      releaseName: "metallb",
      chart: props.chart ?? METALLB_CHART,
      namespace: this.namespace,
      values: {
        crds: { enabled: true },
        // 0.16 turned the FRR-K8s BGP backend on by default; a home LAN needs layer 2 only.
        frrk8s: { enabled: false },
        controller: { resources: share },
        speaker: {
          resources: share,
          // Every node of this lab is a K3s server: if a distribution labels control-plane nodes
          // exclude-from-external-load-balancers, the speakers must announce from them anyway.
          ignoreExcludeLB: true,
        },
      },
      dependsOn: props.dependsOn,
    });

    const reservedIps = reserved.map(([, ip]) => ipToInt(ip)).sort((a, b) => a - b);
    this.pools = [
      ...(reservedIps.length
        ? [{ name: RESERVED_POOL, addresses: reservedIps.map((n) => `${intToIp(n)}/32`), autoAssign: false }]
        : []),
      ...(() => {
        const rest = rangesWithout(start, end, reservedIps);
        return rest.length ? [{ name: DYNAMIC_POOL, addresses: rest, autoAssign: true }] : [];
      })(),
    ];
    this.config = new HelmApp(this, "config", {
      releaseName: "metallb-config",
      chart: METALLB_CONFIG_CHART,
      namespace: this.namespace,
      values: {
        pools: this.pools,
        l2Advertisement: { name: "lab", interfaces: [...(props.interfaces ?? [])] },
      },
      dependsOn: [this.release.release],
    });
  }

  /** MetalLB and its pools are in place: LoadBalancer Services get their address. */
  public get ready(): ITerraformDependable[] {
    return [this.release.release, this.config.release];
  }
}
