/**
 * The platform's catalog: every component the platform stack installs, with its namespace, the
 * web hostname it is exposed at (if any) and the resources it asks of the cluster. One list feeds
 * the platform constructs (requests/limits, ingress hosts), the DNS rewrites (AdGuard in-cluster
 * and on the Pi), the stack outputs, and the doctor's capacity check.
 */
import type { LabConfig } from "./schema";

export interface Resources {
  /** CPU request in millicores. */
  readonly requestMilliCpu: number;
  readonly requestMemoryMiB: number;
  readonly limitMemoryMiB: number;
  /** CPU limit in millicores; omitted on purpose for bursty control-plane add-ons. */
  readonly limitMilliCpu?: number;
}

/** A pod toleration, as Kubernetes matches it: no key matches every key, no effect every effect. */
export interface Toleration {
  readonly key?: string;
  readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** Kubernetes' control-plane taint, which k3s.taintServers puts on the servers. */
const CONTROL_PLANE: Toleration = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };

export interface PlatformComponent {
  /** Stable id: the Helm release name, or the name of one part of a release (kube-prometheus-stack's Prometheus). */
  readonly id: string;
  readonly namespace: string;
  /** Web UI label (<label>.<domain>), absent for components without a UI. */
  readonly webHostname?: string;
  /** What it asks in total (all its pods, per replica sum) — the capacity check adds these. */
  readonly resources: Resources;
  /** Pods that run on every node (DaemonSets): their resources count once per K3s node they run on. */
  readonly perNode?: boolean;
  /**
   * Taints its pods tolerate, as the chart (or our values) sets them: they decide which tainted
   * nodes a DaemonSet still runs on (config/placement.ts). @default none
   */
  readonly tolerations?: readonly Toleration[];
  /** Identical copies of `resources` (e.g. a sidecar in two pods). @default 1 */
  readonly instances?: number;
  /**
   * CPU reserved on every node as a share of that node's CPU, in percent, on top of `resources`
   * (Longhorn's guaranteedInstanceManagerCPU: a request the chart values do not show).
   */
  readonly perNodeCpuPercent?: number;
  /** Human description for the plan and README. */
  readonly description: string;
}

export interface ExposedHost {
  readonly component: string;
  readonly hostname: string;
  readonly fqdn: string;
  readonly url: string;
}

const r = (requestMilliCpu: number, requestMemoryMiB: number, limitMemoryMiB: number, limitMilliCpu?: number): Resources => ({
  requestMilliCpu,
  requestMemoryMiB,
  limitMemoryMiB,
  ...(limitMilliCpu !== undefined ? { limitMilliCpu } : {}),
});

/** Every component the platform stack installs for this lab, in install order. */
export function platformComponents(lab: LabConfig): PlatformComponent[] {
  const apps = lab.platform.apps;
  const list: PlatformComponent[] = [
    // The speaker's chart tolerates the control-plane taint (speaker.tolerateMaster, default true).
    { id: "metallb", namespace: "metallb-system", resources: r(100, 128, 256), perNode: true, tolerations: [CONTROL_PLANE], description: "LoadBalancer addresses (L2)" },
    { id: "cert-manager", namespace: "cert-manager", resources: r(50, 160, 384), description: "TLS certificates (lab CA or ACME)" },
    { id: "traefik", namespace: "traefik", webHostname: "traefik", resources: r(100, 128, 256), description: "Ingress, HTTPS, dashboard" },
    { id: "longhorn", namespace: "longhorn-system", webHostname: "longhorn", resources: r(300, 512, 1024), perNode: true, description: "Replicated block storage" },
    // Longhorn's instance manager (one per node, V1 data engine) requests a share of the node's CPU
    // through guaranteedInstanceManagerCPU; longhorn-ui, the CSI sidecars and the driver deployer
    // request nothing (chart defaults), so they add nothing here.
    {
      id: "longhorn-instance-manager",
      namespace: "longhorn-system",
      resources: r(0, 0, 0),
      perNode: true,
      perNodeCpuPercent: lab.platform.longhorn.instanceManagerCpuPercent,
      description: `Longhorn instance manager: ${lab.platform.longhorn.instanceManagerCpuPercent}% of each node's CPU reserved`,
    },
  ];
  if (apps.gitea.enabled) {
    list.push({ id: "gitea", namespace: "gitea", webHostname: apps.gitea.hostname ?? "gitea", resources: r(100, 256, 512), description: "Git server (GitOps source)" });
  }
  if (apps.argocd.enabled) {
    list.push({ id: "argocd", namespace: "argocd", webHostname: apps.argocd.hostname ?? "argocd", resources: r(250, 512, 1024), description: "GitOps controller" });
  }
  if (apps.grafana.enabled) {
    list.push(
      { id: "loki", namespace: "observability", resources: r(100, 256, 1024), description: "Log store (single binary)" },
      // constructs/platform/alloy.ts gives it the control-plane toleration.
      { id: "alloy", namespace: "observability", resources: r(50, 128, 256), perNode: true, tolerations: [CONTROL_PLANE], description: "Log shipper (DaemonSet)" },
      { id: "grafana", namespace: "observability", webHostname: apps.grafana.hostname ?? "grafana", resources: r(100, 192, 384), description: "Dashboards" },
    );
  }
  if (lab.platform.monitoring.enabled) {
    // kube-prometheus-stack, one release in parts; Grafana stays the one above (the stack's own is off).
    list.push(
      { id: "prometheus", namespace: "observability", resources: r(150, 1024, 2048), description: "Metrics store, rules and alerts (kube-prometheus-stack)" },
      { id: "alertmanager", namespace: "observability", resources: r(10, 48, 128), description: "Alert routing to ntfy" },
      // The operator's config-reloader sidecar, in the Prometheus and the Alertmanager pod.
      { id: "config-reloader", namespace: "observability", resources: r(5, 24, 48), instances: 2, description: "Reloads Prometheus and Alertmanager on config changes" },
      { id: "prometheus-operator", namespace: "observability", resources: r(20, 64, 192), description: "Turns the stack's custom resources into config" },
      { id: "kube-state-metrics", namespace: "observability", resources: r(10, 48, 192), description: "Kubernetes objects as metrics" },
      // prometheus-node-exporter's chart tolerates every NoSchedule taint (not NoExecute: not the Pi's).
      { id: "node-exporter", namespace: "observability", resources: r(10, 32, 64), perNode: true, tolerations: [{ effect: "NoSchedule" }], description: "K3s VM metrics (DaemonSet)" },
      { id: "pve-exporter", namespace: "observability", resources: r(10, 64, 128), description: "Proxmox VE hosts and guests (read-only API token)" },
    );
  }
  if (apps.ntfy.enabled) {
    list.push({ id: "ntfy", namespace: "ntfy", webHostname: apps.ntfy.hostname ?? "ntfy", resources: r(10, 32, 128), description: "Push notifications (alerts)" });
  }
  if (apps.vaultwarden.enabled) {
    list.push({ id: "vaultwarden", namespace: "vaultwarden", webHostname: apps.vaultwarden.hostname ?? "vaultwarden", resources: r(50, 64, 256), description: "Password manager" });
  }
  if (apps.adguard.enabled) {
    list.push({ id: "adguard", namespace: "adguard", webHostname: apps.adguard.hostname ?? "adguard", resources: r(50, 96, 256), description: "DNS filtering (LAN DNS)" });
  }
  return list;
}

/**
 * The domain apps are served under: the public domain when Let's Encrypt (DNS-01) signs the
 * certificates, otherwise the LAN domain with the lab CA.
 */
export function servingDomain(lab: LabConfig): string {
  return lab.platform.tls.acme?.publicDomain ?? lab.network.domain;
}

/** Every https://<name>.<domain> the platform serves; all resolve to Traefik's address. */
export function exposedHosts(lab: LabConfig): ExposedHost[] {
  const domain = servingDomain(lab);
  return platformComponents(lab)
    .filter((c) => c.webHostname !== undefined)
    .map((c) => {
      const fqdn = `${c.webHostname}.${domain}`;
      return { component: c.id, hostname: c.webHostname as string, fqdn, url: `https://${fqdn}` };
    });
}

/** DNS rewrites served by AdGuard Home (cluster and Pi): every app name to Traefik, the API name to the VIP. */
export function dnsRewrites(lab: LabConfig): { domain: string; answer: string }[] {
  return [
    ...exposedHosts(lab).map((h) => ({ domain: h.fqdn, answer: lab.loadBalancer.ingressIp })),
    { domain: `${lab.k3s.apiHostname}.${lab.network.domain}`, answer: lab.k3s.apiVip },
  ];
}
