/**
 * The scrape jobs the lab adds to kube-prometheus-stack's own (kubelet/cAdvisor, node-exporter,
 * kube-state-metrics): plain Prometheus `scrape_configs` (prometheusSpec.additionalScrapeConfigs),
 * so `promtool check config` validates exactly what Prometheus will load (scripts/check-alerts.sh)
 * and nothing waits for a CRD. Job names are what the alert rules and dashboards select on.
 */

/** K3s serves etcd's metrics (and only on request: `etcd-expose-metrics`) over plain HTTP here. */
export const ETCD_METRICS_PORT = 2381;
/** Debian's prometheus-node-exporter on the Pi (ansible/roles/node_exporter). */
export const PI_NODE_EXPORTER_PORT = 9100;
/** Debian's prometheus-blackbox-exporter on the Pi (ansible/roles/blackbox_exporter). */
export const PI_BLACKBOX_PORT = 9115;
/** The blackbox module that probes the Kubernetes API (defined by the blackbox_exporter role). */
export const API_PROBE_MODULE = "k8s_api";
/** prometheus-pve-exporter's port. */
export const PVE_EXPORTER_PORT = 9221;

/** The in-cluster service account token Prometheus presents to endpoints that authenticate scrapes. */
const SERVICE_ACCOUNT_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** An app's pods that serve metrics, found through the Kubernetes API (pod role). */
export interface PodScrapeTarget {
  readonly job: string;
  readonly namespace: string;
  /** Container ports that serve metrics; every other port of the namespace's pods is ignored. */
  readonly ports: readonly number[];
  /** @default "/metrics" */
  readonly path?: string;
  /** HTTPS with the pod's self-signed certificate and the service account token (MetalLB). @default false */
  readonly authenticated?: boolean;
}

/**
 * Where each platform app serves its metrics, by catalog id (config/apps.ts), from the pinned
 * charts' defaults. The stack scrapes the ones the lab installs, in their catalog namespace.
 */
export const APP_METRICS: Readonly<Record<string, Omit<PodScrapeTarget, "namespace">>> = {
  // metallb 0.16.1: prometheus.metricsPort, HTTPS only, authenticated and authorized by the API server.
  metallb: { job: "metallb", ports: [9120], authenticated: true },
  // cert-manager v1.21.1: the controller's (and webhook's) metrics port.
  "cert-manager": { job: "cert-manager", ports: [9402] },
  // traefik 41.3.0: the `metrics` entry point (ports.metrics.port).
  traefik: { job: "traefik", ports: [9100] },
  // longhorn 1.12.1: longhorn-manager serves /metrics on its API port.
  longhorn: { job: "longhorn", ports: [9500] },
  // argo-cd 10.1.1: application controller, server and repo server metrics ports.
  argocd: { job: "argocd", ports: [8082, 8083, 8084] },
  // loki 18.11.0: loki.server.http_listen_port.
  loki: { job: "loki", ports: [3100] },
  // alloy 1.11.1: alloy.listenPort.
  alloy: { job: "alloy", ports: [12345] },
};

export interface ScrapeConfigsInput {
  /** The K3s servers: their etcd metrics. */
  readonly servers: readonly { readonly name: string; readonly address: string }[];
  /** The Proxmox nodes and the pve-exporter Service that queries them. Omitted: no Proxmox jobs. */
  readonly proxmox?: {
    readonly exporterAddress: string;
    readonly nodes: readonly { readonly name: string; readonly address: string }[];
  };
  /** The Raspberry Pi's exporters, and the API VIP it probes. Omitted: no Pi jobs. */
  readonly raspberryPi?: { readonly name: string; readonly address: string; readonly apiProbeUrl: string };
  readonly pods: readonly PodScrapeTarget[];
}

/** A Prometheus scrape_config (the subset this lab writes). */
export type ScrapeConfig = Record<string, unknown> & { readonly job_name: string };

/** Relabelling for multi-target exporters: the listed target becomes a URL parameter. */
function viaExporter(exporterAddress: string): Record<string, unknown>[] {
  return [
    { source_labels: ["__address__"], target_label: "__param_target" },
    { source_labels: ["__param_target"], target_label: "instance" },
    { target_label: "__address__", replacement: exporterAddress },
  ];
}

function podJob(t: PodScrapeTarget): ScrapeConfig {
  if (t.ports.length === 0 || t.ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) {
    throw new Error(`scrape job ${t.job}: ports ${JSON.stringify(t.ports)} must be TCP ports (1–65535)`);
  }
  return {
    job_name: t.job,
    metrics_path: t.path ?? "/metrics",
    // The apps' own labels win (cert-manager's `namespace` is the certificate's, not the pod's).
    honor_labels: true,
    ...(t.authenticated
      ? { scheme: "https", tls_config: { insecure_skip_verify: true }, authorization: { credentials_file: SERVICE_ACCOUNT_TOKEN_FILE } }
      : {}),
    kubernetes_sd_configs: [{ role: "pod", namespaces: { names: [t.namespace] } }],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_pod_container_port_number"], regex: t.ports.join("|"), action: "keep" },
      { source_labels: ["__meta_kubernetes_pod_phase"], regex: "Running", action: "keep" },
      { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
      { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
    ],
  };
}

/** Every additional scrape job of the lab, in a stable order. Job names must be unique. */
export function scrapeConfigs(input: ScrapeConfigsInput): ScrapeConfig[] {
  const jobs: ScrapeConfig[] = [
    {
      // K3s serves every component's metrics from one registry, so the etcd port also carries the
      // API server's: keep etcd's own series only.
      job_name: "etcd",
      static_configs: input.servers.map((s) => ({ targets: [`${s.address}:${ETCD_METRICS_PORT}`], labels: { node: s.name } })),
      metric_relabel_configs: [
        { source_labels: ["__name__"], regex: "etcd_(server|disk|network|mvcc|debugging|snap)_.+|etcd_cluster_version", action: "keep" },
      ],
    },
  ];
  const pve = input.proxmox;
  if (pve) {
    if (pve.nodes.length === 0) throw new Error("scrape jobs: proxmox needs at least one node");
    jobs.push(
      {
        // Cluster-wide metrics (every node's and guest's status, storages) once, through the first node.
        job_name: "proxmox-cluster",
        metrics_path: "/pve",
        params: { cluster: ["1"], node: ["0"] },
        static_configs: [{ targets: [pve.nodes[0].address] }],
        relabel_configs: viaExporter(pve.exporterAddress),
      },
      {
        // Each node's own metrics through its own API: also tells which host stopped answering.
        job_name: "proxmox-nodes",
        metrics_path: "/pve",
        params: { cluster: ["0"], node: ["1"] },
        static_configs: pve.nodes.map((n) => ({ targets: [n.address], labels: { node: n.name } })),
        relabel_configs: viaExporter(pve.exporterAddress),
      },
    );
  }
  const pi = input.raspberryPi;
  if (pi) {
    jobs.push(
      {
        job_name: "raspberry-pi",
        static_configs: [{ targets: [`${pi.address}:${PI_NODE_EXPORTER_PORT}`], labels: { instance: pi.name } }],
      },
      {
        // Probed from outside the cluster: the VIP must answer where kubectl and the stacks reach it.
        job_name: "api-vip",
        metrics_path: "/probe",
        params: { module: [API_PROBE_MODULE] },
        static_configs: [{ targets: [pi.apiProbeUrl] }],
        relabel_configs: viaExporter(`${pi.address}:${PI_BLACKBOX_PORT}`),
      },
    );
  }
  jobs.push(...input.pods.map(podJob));
  const seen = new Set<string>();
  for (const j of jobs) {
    if (seen.has(j.job_name)) throw new Error(`scrape jobs: "${j.job_name}" is defined twice; job names must be unique`);
    seen.add(j.job_name);
  }
  return jobs;
}
