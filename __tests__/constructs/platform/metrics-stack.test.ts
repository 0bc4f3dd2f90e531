import { parse } from "yaml";
import { backupThresholdRules, loadAlertRules } from "../../../constructs/platform/alert-rules";
import { alertmanagerConfig } from "../../../constructs/platform/alertmanager-config";
import { MetricsStack } from "../../../constructs/platform/metrics-stack";
import { scrapeConfigs } from "../../../constructs/platform/scrape-configs";
import { loadLab } from "../../helpers";
import { catalogResources, newStack, only, synthJson } from "./apps-support";

const lab = loadLab();
const res = (id: string) => catalogResources(lab, id);

function build(overrides: Partial<ConstructorParameters<typeof MetricsStack>[2]> = {}) {
  const stack = newStack();
  const metrics = new MetricsStack(stack, "metrics", {
    namespace: "observability",
    storageClassName: "longhorn",
    storageGiB: 20,
    retentionDays: 15,
    alertmanagerStorageGiB: 1,
    scrapeIntervalSeconds: 60,
    resources: {
      prometheus: res("prometheus"),
      alertmanager: res("alertmanager"),
      configReloader: res("config-reloader"),
      operator: res("prometheus-operator"),
      kubeStateMetrics: res("kube-state-metrics"),
      nodeExporter: res("node-exporter"),
    },
    scrapeConfigs: scrapeConfigs({ servers: lab.k3s.servers, pods: [] }),
    ruleFiles: { "homelab-alerts": loadAlertRules(), "homelab-thresholds": backupThresholdRules({ etcdSnapshotCron: "0 */6 * * *" }) },
    alertmanagerConfig: alertmanagerConfig({
      ntfyBaseUrl: "http://ntfy.ntfy.svc.cluster.local:8080",
      topic: "homelab-alerts",
      auth: { kind: "basic", username: "publisher", secretName: "alertmanager-ntfy", passwordKey: "password" },
    }),
    alertmanagerSecrets: ["alertmanager-ntfy"],
    ...overrides,
  });
  return { metrics, json: synthJson(stack) };
}

describe("MetricsStack", () => {
  const { metrics, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);

  test("pins kube-prometheus-stack 88.5.3", () => {
    expect(release).toMatchObject({ chart: "kube-prometheus-stack", repository: "https://prometheus-community.github.io/helm-charts", version: "88.5.3" });
  });

  test("is trimmed for K3s: no second Grafana, no default rules, no duplicate control-plane jobs", () => {
    expect(values.grafana.enabled).toBe(false);
    expect(values.defaultRules.create).toBe(false);
    for (const key of ["kubeApiServer", "kubeControllerManager", "kubeScheduler", "kubeProxy", "kubeEtcd", "coreDns", "kubeDns"]) {
      expect([key, values[key].enabled]).toEqual([key, false]);
    }
    expect(values.kubelet.serviceMonitor.metricRelabelings).toEqual([{ sourceLabels: ["__name__"], regex: "kubelet_.+", action: "keep" }]);
    expect(values.prometheusOperator.admissionWebhooks.enabled).toBe(false);
  });

  test("retention, retention size and the volume come from the config, on Longhorn", () => {
    const spec = values.prometheus.prometheusSpec;
    expect([spec.retention, spec.retentionSize, spec.scrapeInterval]).toEqual(["15d", "17408MB", "60s"]);
    expect(spec.storageSpec.volumeClaimTemplate.spec).toEqual({ storageClassName: "longhorn", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "20Gi" } } });
    expect(values.alertmanager.alertmanagerSpec.storage.volumeClaimTemplate.spec.resources.requests.storage).toBe("1Gi");
  });

  test("every pod gets the catalog's requests and limits", () => {
    expect(values.prometheus.prometheusSpec.resources).toEqual({ requests: { cpu: "150m", memory: "1024Mi" }, limits: { memory: "2048Mi" } });
    expect(values.alertmanager.alertmanagerSpec.resources.requests).toEqual({ cpu: "10m", memory: "48Mi" });
    expect(values.prometheusOperator.prometheusConfigReloader.resources.requests).toEqual({ cpu: "5m", memory: "24Mi" });
    expect(values["kube-state-metrics"].resources.requests).toEqual({ cpu: "10m", memory: "48Mi" });
    expect(values["prometheus-node-exporter"].resources.requests).toEqual({ cpu: "10m", memory: "32Mi" });
  });

  test("installs the rule files, the lab's scrape jobs and the Alertmanager config with its mounted credential", () => {
    expect(Object.keys(values.additionalPrometheusRulesMap)).toEqual(["homelab-alerts", "homelab-thresholds"]);
    expect(values.prometheus.prometheusSpec.additionalScrapeConfigs.map((j: any) => j.job_name)).toEqual(["etcd"]);
    expect(values.alertmanager.config.route.receiver).toBe("ntfy-warning");
    expect(values.alertmanager.alertmanagerSpec.secrets).toEqual(["alertmanager-ntfy"]);
  });

  test("Grafana reaches it at fixed Service names", () => {
    expect(values.fullnameOverride).toBe("kube-prometheus-stack");
    expect(metrics.prometheusUrl).toBe("http://kube-prometheus-stack-prometheus.observability.svc.cluster.local:9090");
    expect(metrics.alertmanagerUrl).toBe("http://kube-prometheus-stack-alertmanager.observability.svc.cluster.local:9093");
  });

  test("fails when the retention or the scrape interval is out of range", () => {
    expect(() => build({ retentionDays: 0 })).toThrow("retentionDays 0 must be a whole number >= 1");
    expect(() => build({ scrapeIntervalSeconds: 5 })).toThrow("scrapeIntervalSeconds 5 must be 10–300");
  });

  test("fails when no rule file is given, or a rule contains Terraform template syntax", () => {
    expect(() => build({ ruleFiles: {} })).toThrow("no rule files");
    expect(() => build({ ruleFiles: { x: { groups: [{ name: "g", rules: [{ record: "r", expr: "vector(1) # ${x}" }] }] } } })).toThrow(
      'contains "${" or "%{"',
    );
  });
});
