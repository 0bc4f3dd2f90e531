import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import type { Resources } from "../../config/apps";
import type { RuleFile } from "./alert-rules";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";
import type { ScrapeConfig } from "./scrape-configs";

/** prometheus-community `kube-prometheus-stack`; keys checked against ../shared/charts/kube-prometheus-stack/88.5.3. */
export const KUBE_PROMETHEUS_STACK_CHART: ChartRef = {
  chart: "kube-prometheus-stack",
  repository: "https://prometheus-community.github.io/helm-charts",
  // renovate: datasource=helm depName=kube-prometheus-stack registryUrl=https://prometheus-community.github.io/helm-charts
  version: "88.5.3",
};

/** Object names do not depend on the release name: `<this>-prometheus`, `<this>-alertmanager`. */
export const METRICS_FULLNAME = "kube-prometheus-stack";

/** Share of the volume Prometheus may fill before it deletes old blocks, whatever the retention. */
export const RETENTION_SIZE_SHARE = 0.85;

/**
 * cAdvisor series the dashboards and alerts read; every other container_* series is dropped at
 * scrape (cAdvisor is the largest source of series in a small cluster).
 */
export const CADVISOR_KEPT =
  "container_(cpu_usage_seconds_total|cpu_cfs_periods_total|cpu_cfs_throttled_periods_total|memory_working_set_bytes|" +
  "memory_rss|oom_events_total|network_receive_bytes_total|network_transmit_bytes_total|spec_memory_limit_bytes)";

export interface MetricsStackResources {
  readonly prometheus: Resources;
  readonly alertmanager: Resources;
  /** One config-reloader sidecar (there is one in the Prometheus pod and one in the Alertmanager pod). */
  readonly configReloader: Resources;
  readonly operator: Resources;
  readonly kubeStateMetrics: Resources;
  /** One node-exporter pod (a DaemonSet: one per node). */
  readonly nodeExporter: Resources;
}

export interface MetricsStackProps {
  readonly namespace: string;
  readonly storageClassName: string;
  /** Prometheus' volume (`platform.monitoring.storageGiB`). */
  readonly storageGiB: number;
  readonly retentionDays: number;
  readonly alertmanagerStorageGiB: number;
  readonly scrapeIntervalSeconds: number;
  readonly resources: MetricsStackResources;
  /** Jobs added to the chart's own (scrape-configs.ts). */
  readonly scrapeConfigs: readonly ScrapeConfig[];
  /** Rule files, by name: each becomes a PrometheusRule of the release. */
  readonly ruleFiles: Readonly<Record<string, RuleFile>>;
  /** The complete alertmanager.yaml (alertmanager-config.ts). */
  readonly alertmanagerConfig: Record<string, unknown>;
  /** Secrets of the namespace mounted into Alertmanager under /etc/alertmanager/secrets/<name>/. @default [] */
  readonly alertmanagerSecrets?: readonly string[];
  /** @default KUBE_PROMETHEUS_STACK_CHART */
  readonly chart?: ChartRef;
  readonly dependsOn?: ITerraformDependable[];
}

/** A Longhorn-backed volume claim template, as the Prometheus and Alertmanager specs take it. */
function volumeClaim(storageClassName: string, sizeGiB: number) {
  return {
    volumeClaimTemplate: {
      spec: { storageClassName, accessModes: ["ReadWriteOnce"], resources: { requests: { storage: `${sizeGiB}Gi` } } },
    },
  };
}

/**
 * kube-prometheus-stack trimmed for K3s: Prometheus (retention and volume from the config, on
 * Longhorn), Alertmanager, the operator, kube-state-metrics, node-exporter and the kubelet/cAdvisor
 * job. K3s runs the control plane inside one binary that serves every component's metrics from
 * every endpoint, so the chart's API server, controller-manager, scheduler, proxy, etcd and CoreDNS
 * jobs are off (duplicates); etcd comes from its own port (scrape-configs.ts), the kubelet job keeps
 * only kubelet_* series. The chart's Grafana is off: the lab's Grafana reads this Prometheus. Its
 * default rules are off too: the lab's alert set is alerts/homelab.rules.yaml, tested with promtool.
 * The admission webhooks are off (their certificate job is one more moving part; rules are checked
 * by promtool before they get here), and with them the operator's TLS.
 */
export class MetricsStack extends Construct {
  public readonly app: HelmApp;
  /** Prometheus' in-cluster URL (Grafana's datasource). */
  public readonly prometheusUrl: string;
  /** Alertmanager's in-cluster URL (Grafana's alerting datasource: view alerts, silence them). */
  public readonly alertmanagerUrl: string;

  constructor(scope: Construct, id: string, props: MetricsStackProps) {
    super(scope, id);
    for (const [name, value, min] of [
      ["storageGiB", props.storageGiB, 2],
      ["alertmanagerStorageGiB", props.alertmanagerStorageGiB, 1],
      ["retentionDays", props.retentionDays, 1],
    ] as const) {
      if (!Number.isInteger(value) || value < min) {
        throw new Error(`MetricsStack ${id}: ${name} ${value} must be a whole number >= ${min}`);
      }
    }
    if (!Number.isInteger(props.scrapeIntervalSeconds) || props.scrapeIntervalSeconds < 10 || props.scrapeIntervalSeconds > 300) {
      throw new Error(`MetricsStack ${id}: scrapeIntervalSeconds ${props.scrapeIntervalSeconds} must be 10–300 (platform.monitoring.scrapeIntervalSeconds)`);
    }
    if (Object.keys(props.ruleFiles).length === 0) {
      throw new Error(`MetricsStack ${id}: no rule files; the alert set (alerts/homelab.rules.yaml) must be installed`);
    }
    // Terraform would read "${…}" and "%{…}" in the values as its own template syntax.
    const text = JSON.stringify([props.scrapeConfigs, props.ruleFiles, props.alertmanagerConfig]);
    if (text.includes("${") || text.includes("%{")) {
      throw new Error(`MetricsStack ${id}: a rule, scrape config or Alertmanager config contains "\${" or "%{", which Terraform would interpolate`);
    }
    const fullname = METRICS_FULLNAME;
    this.prometheusUrl = `http://${fullname}-prometheus.${props.namespace}.svc.cluster.local:9090`;
    this.alertmanagerUrl = `http://${fullname}-alertmanager.${props.namespace}.svc.cluster.local:9093`;
    const interval = `${props.scrapeIntervalSeconds}s`;
    const r = props.resources;
    const retentionSizeMB = Math.floor(props.storageGiB * 1024 * RETENTION_SIZE_SHARE);

    this.app = new HelmApp(this, "chart", {
      chart: props.chart ?? KUBE_PROMETHEUS_STACK_CHART,
      releaseName: "kube-prometheus-stack",
      namespace: props.namespace,
      // The CRDs and a first Prometheus volume take a while on HDD-backed Longhorn.
      timeoutSeconds: 900,
      values: {
        fullnameOverride: fullname,
        cleanPrometheusOperatorObjectNames: true,
        crds: { enabled: true },
        defaultRules: { create: false },
        grafana: { enabled: false, forceDeployDashboards: false, forceDeployDatasources: false },
        windowsMonitoring: { enabled: false },
        kubeApiServer: { enabled: false },
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeProxy: { enabled: false },
        kubeEtcd: { enabled: false },
        coreDns: { enabled: false },
        kubeDns: { enabled: false },
        kubelet: {
          enabled: true,
          serviceMonitor: {
            probes: false,
            resource: false,
            // On a K3s server, the kubelet endpoint serves the whole process' registry.
            metricRelabelings: [{ sourceLabels: ["__name__"], regex: "kubelet_.+", action: "keep" }],
            cAdvisorMetricRelabelings: [{ sourceLabels: ["__name__"], regex: CADVISOR_KEPT, action: "keep" }],
          },
        },
        kubeStateMetrics: { enabled: true },
        nodeExporter: { enabled: true },
        prometheusOperator: {
          admissionWebhooks: { enabled: false },
          tls: { enabled: false },
          resources: kubernetesResources(r.operator),
          prometheusConfigReloader: { resources: kubernetesResources(r.configReloader) },
        },
        "kube-state-metrics": { resources: kubernetesResources(r.kubeStateMetrics) },
        "prometheus-node-exporter": {
          resources: kubernetesResources(r.nodeExporter),
          prometheus: {
            // Series carry the node's name, not the pod's address.
            monitor: { relabelings: [{ sourceLabels: ["__meta_kubernetes_pod_node_name"], targetLabel: "instance", action: "replace" }] },
          },
        },
        prometheus: {
          prometheusSpec: {
            scrapeInterval: interval,
            evaluationInterval: interval,
            retention: `${props.retentionDays}d`,
            retentionSize: `${retentionSizeMB}MB`,
            walCompression: true,
            resources: kubernetesResources(r.prometheus),
            storageSpec: volumeClaim(props.storageClassName, props.storageGiB),
            additionalScrapeConfigs: props.scrapeConfigs,
            // Monitors and rules from any release or namespace are picked up (docs/observability.md).
            serviceMonitorSelectorNilUsesHelmValues: false,
            podMonitorSelectorNilUsesHelmValues: false,
            probeSelectorNilUsesHelmValues: false,
            ruleSelectorNilUsesHelmValues: false,
            scrapeConfigSelectorNilUsesHelmValues: false,
          },
        },
        alertmanager: {
          config: props.alertmanagerConfig,
          alertmanagerSpec: {
            retention: "120h",
            resources: kubernetesResources(r.alertmanager),
            storage: volumeClaim(props.storageClassName, props.alertmanagerStorageGiB),
            secrets: [...(props.alertmanagerSecrets ?? [])],
          },
        },
        additionalPrometheusRulesMap: props.ruleFiles,
      },
      dependsOn: props.dependsOn,
    });
  }
}
