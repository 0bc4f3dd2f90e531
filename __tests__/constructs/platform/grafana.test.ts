import { parse } from "yaml";
import { Grafana } from "../../../constructs/platform/grafana";
import clusterHealth from "../../../dashboards/cluster-health.json";
import logs from "../../../dashboards/logs.json";
import { METRICS_DASHBOARDS } from "../../../dashboards";
import { loadLab } from "../../helpers";
import { catalogResources, newStack, only, synthJson } from "./apps-support";

const lab = loadLab();

function build(dashboards: Record<string, object> = { "cluster-health": clusterHealth, logs }) {
  const stack = newStack();
  const grafana = new Grafana(stack, "grafana", {
    namespace: "observability",
    hostname: "grafana",
    domain: lab.network.domain,
    storageClassName: "longhorn",
    storageGiB: lab.platform.apps.grafana.storageGiB,
    resources: catalogResources(lab, "grafana"),
    lokiUrl: "http://loki.observability.svc.cluster.local:3100",
    dashboards,
  });
  return { grafana, json: synthJson(stack) };
}

describe("Grafana", () => {
  const { grafana, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);

  test("pins the grafana-community chart 12.11.1", () => {
    expect(release).toMatchObject({ chart: "grafana", repository: "https://grafana-community.github.io/helm-charts", version: "12.11.1" });
  });

  test("provisions Loki as the default datasource", () => {
    expect(values.datasources["datasources.yaml"].datasources).toEqual([
      expect.objectContaining({ type: "loki", uid: "loki", url: "http://loki.observability.svc.cluster.local:3100", isDefault: true }),
    ]);
  });

  test("provisions the project's dashboards from a ConfigMap", () => {
    const [, configMap] = only(json, "kubernetes_config_map_v1");
    expect(Object.keys(configMap.data)).toEqual(["cluster-health.json", "logs.json"]);
    const uids = Object.values(configMap.data).map((d) => JSON.parse(d as string).uid);
    expect(uids).toEqual(["homelab-cluster-health", "homelab-logs"]);
    expect(values.dashboardsConfigMaps).toEqual({ homelab: configMap.metadata.name });
    expect(values.dashboardProviders["dashboardproviders.yaml"].providers[0].options.path).toBe("/var/lib/grafana/dashboards/homelab");
  });

  test("the dashboards ConfigMap carries the project's files unchanged", () => {
    const [, configMap] = only(json, "kubernetes_config_map_v1");
    expect(JSON.parse(configMap.data["cluster-health.json"])).toEqual(clusterHealth);
    expect(JSON.parse(configMap.data["logs.json"])).toEqual(logs);
  });

  test("provisioned dashboards can be neither deleted nor edited in the UI: the files are their source", () => {
    expect(values.dashboardProviders["dashboardproviders.yaml"]).toEqual({
      apiVersion: 1,
      providers: [
        {
          name: "homelab",
          orgId: 1,
          folder: "Homelab",
          type: "file",
          disableDeletion: true,
          editable: false,
          options: { path: "/var/lib/grafana/dashboards/homelab" },
        },
      ],
    });
  });

  test("Grafana's server, not the browser, queries Loki (its URL is cluster-internal), and the datasource is read-only", () => {
    expect(values.datasources["datasources.yaml"]).toMatchObject({ apiVersion: 1 });
    expect(values.datasources["datasources.yaml"].datasources[0]).toMatchObject({ name: "Loki", access: "proxy", editable: false });
  });

  test("never checks for updates: the version is pinned here, and the lab may have no way out", () => {
    expect(values["grafana.ini"].analytics).toEqual({ check_for_updates: false });
  });

  test("knows its public name for links and redirects, and is reached only through the ingress", () => {
    expect(values["grafana.ini"].server).toEqual({ domain: "grafana.home.arpa", root_url: "https://grafana.home.arpa/" });
    expect(values.service).toEqual({ type: "ClusterIP", port: 80 });
    const [, ingress] = only(json, "kubernetes_ingress_v1");
    expect(ingress.spec.rule[0].http.path[0].backend.service.port.number).toBe(values.service.port);
  });

  test("keeps its data on its own ReadWriteOnce claim, hence the Recreate strategy", () => {
    expect(values.persistence).toMatchObject({ type: "pvc", accessModes: ["ReadWriteOnce"] });
    expect(values.deploymentStrategy).toEqual({ type: "Recreate" });
  });

  test("every dashboard panel queries the Loki datasource", () => {
    for (const dashboard of [clusterHealth, logs] as any[]) {
      for (const panel of dashboard.panels) {
        expect(panel.datasource).toEqual({ type: "loki", uid: "loki" });
        expect(panel.targets.length).toBeGreaterThan(0);
      }
    }
  });

  test("reads the admin from a Secret with a generated password, and keeps data on Longhorn", () => {
    const [passwordId] = only(json, "random_password");
    const [, secret] = only(json, "kubernetes_secret_v1");
    expect(values.admin).toEqual({ existingSecret: "grafana-admin", userKey: "admin-user", passwordKey: "admin-password" });
    expect(secret.data).toEqual({ "admin-user": "admin", "admin-password": `\${random_password.${passwordId}.result}` });
    expect(values.persistence).toMatchObject({ enabled: true, storageClassName: "longhorn", size: "2Gi" });
    expect(values.deploymentStrategy).toEqual({ type: "Recreate" });
  });

  test("is served at https://grafana.<domain>", () => {
    expect(values["grafana.ini"].server.root_url).toBe("https://grafana.home.arpa/");
    expect(grafana.web.url).toBe("https://grafana.home.arpa");
    expect(values.resources).toEqual({ requests: { cpu: "100m", memory: "192Mi" }, limits: { memory: "384Mi" } });
  });

  test("fails when a dashboard uses ${…}, which Terraform would interpolate", () => {
    expect(() => build({ broken: { title: "x", panels: [{ targets: [{ expr: "${namespace}" }] }] } })).toThrow(
      'dashboard "broken" contains "${" or "%{"; write Grafana variables as $name',
    );
  });

  test("with the metrics stack: Prometheus and Alertmanager datasources, and the metrics dashboards", () => {
    const stack = newStack();
    new Grafana(stack, "grafana", {
      namespace: "observability", hostname: "grafana", domain: "home.arpa", storageClassName: "longhorn", storageGiB: 2,
      resources: catalogResources(lab, "grafana"), lokiUrl: "http://loki:3100",
      prometheusUrl: "http://prom:9090", alertmanagerUrl: "http://am:9093",
      dashboards: { logs, ...METRICS_DASHBOARDS },
    });
    const [, r] = only(synthJson(stack), "helm_release");
    const ds = parse(r.values[0]).datasources["datasources.yaml"].datasources;
    expect(ds.map((d: any) => [d.uid, d.type, d.url])).toEqual([
      ["loki", "loki", "http://loki:3100"],
      ["prometheus", "prometheus", "http://prom:9090"],
      ["alertmanager", "alertmanager", "http://am:9093"],
    ]);
    // All three are queried by Grafana's server (cluster-internal URLs) and cannot be edited in the UI.
    expect(ds.map((d: any) => [d.name, d.access, d.editable])).toEqual([
      ["Loki", "proxy", false],
      ["Prometheus", "proxy", false],
      ["Alertmanager", "proxy", false],
    ]);
    // Alertmanager is Prometheus's (the kube-prometheus-stack one); Grafana's own alerts do not go there.
    expect(ds[2].jsonData).toEqual({ implementation: "prometheus", handleGrafanaManagedAlerts: false });
  });

  test("fails when a dashboard queries Prometheus and there is none", () => {
    expect(() => build({ "lab-overview": METRICS_DASHBOARDS["lab-overview"] })).toThrow('dashboard "lab-overview" queries Prometheus but no prometheusUrl');
  });

  test("fails when no dashboard is given", () => {
    expect(() => build({})).toThrow("no dashboards given");
  });
});
