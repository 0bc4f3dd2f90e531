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

export interface PlatformComponent {
  /** Stable id, also the Helm release name. */
  readonly id: string;
  readonly namespace: string;
  /** Web UI label (<label>.<domain>), absent for components without a UI. */
  readonly webHostname?: string;
  /** What it asks in total (all its pods, per replica sum) — the capacity check adds these. */
  readonly resources: Resources;
  /** Pods that run on every node (DaemonSets): their resources count once per K3s server. */
  readonly perNode?: boolean;
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
    { id: "metallb", namespace: "metallb-system", resources: r(100, 128, 256), perNode: true, description: "LoadBalancer addresses (L2)" },
    { id: "cert-manager", namespace: "cert-manager", resources: r(50, 160, 384), description: "TLS certificates (lab CA or ACME)" },
    { id: "traefik", namespace: "traefik", webHostname: "traefik", resources: r(100, 128, 256), description: "Ingress, HTTPS, dashboard" },
    { id: "longhorn", namespace: "longhorn-system", webHostname: "longhorn", resources: r(300, 512, 1024), perNode: true, description: "Replicated block storage" },
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
      { id: "alloy", namespace: "observability", resources: r(50, 128, 256), perNode: true, description: "Log shipper (DaemonSet)" },
      { id: "grafana", namespace: "observability", webHostname: apps.grafana.hostname ?? "grafana", resources: r(100, 192, 384), description: "Dashboards" },
    );
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
