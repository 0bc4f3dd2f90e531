/**
 * Every values key the platform passes to a chart exists in that chart: Helm ignores unknown keys
 * without a word, so a typo (or a key renamed upstream) silently becomes a default. Upstream
 * charts are checked against the fixtures derived by `npm run chart-keys`; the repo's own charts
 * against their values.yaml, which declares every key their templates read.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { parse } from "yaml";
import { HelmApp } from "../../constructs/platform/helm-app";
import { buildLab } from "../../stacks/lab";
import { valuesKeys } from "../../scripts/derive-chart-keys";
import { labWith, loadLab, validLab } from "../helpers";
import { loadChartKeys, unknownKeys, type ChartKeys } from "../support/chart-keys";

/** Upstream charts without a fixture, and why. Anything else without one fails the test. */
const WITHOUT_FIXTURE: Record<string, string> = {};

const ACME = { email: "admin@example.org", publicDomain: "lab.example.org", dnsProvider: "cloudflare", staging: true };

function platformApps(lab = loadLab()): HelmApp[] {
  return HelmApp.all(buildLab(Testing.app(), lab).platform);
}

function localChartKeys(app: HelmApp): ChartKeys {
  const dir = app.chart.localPath as string;
  return { chart: app.chart.chart, version: app.chart.version, keys: valuesKeys(parse(readFileSync(join(dir, "values.yaml"), "utf8"))) };
}

function fixtureOf(app: HelmApp): ChartKeys | undefined {
  return app.chart.localPath !== undefined ? localChartKeys(app) : loadChartKeys(app.chart.chart, app.chart.version);
}

/** The platform's releases for each lab variant, built once. */
const appsOf: Record<string, HelmApp[]> = {
  "default lab": platformApps(loadLab()),
  "lab with Let's Encrypt": platformApps(validLab(labWith({ "platform.tls.acme": ACME }))),
  "lab without a Raspberry Pi": platformApps(validLab(labWith({ raspberryPi: undefined }))),
};

describe.each(Object.entries(appsOf))("%s", (_name, apps) => {

  test("every release of the platform has a fixture, or a reason in the allowlist", () => {
    const missing = apps.filter((a) => fixtureOf(a) === undefined && !(a.chart.chart in WITHOUT_FIXTURE));
    expect(missing.map((a) => `${a.chart.chart} ${a.chart.version}`)).toEqual([]);
  });

  test.each(apps.map((a) => [a.node.path, a] as const))("%s passes only keys its chart knows", (_path, app) => {
    const fixture = fixtureOf(app);
    if (fixture === undefined) return; // allowlisted above
    expect(unknownKeys(app.values, fixture)).toEqual([]);
  });
});

describe("the checker", () => {
  const longhorn = loadChartKeys("longhorn", "1.12.1") as ChartKeys;
  const metallb = loadChartKeys("metallb", "0.16.1") as ChartKeys;
  const traefik = loadChartKeys("traefik", "41.3.0") as ChartKeys;

  test("catches a misspelt key and the pre-1.8 Longhorn backup target", () => {
    expect(
      unknownKeys(
        {
          defaultSettings: { backupTarget: "nfs://pi:/srv/longhorn", nodeDrainPolicy: "block-if-contains-last-replica" },
          defaultBackupStore: { backupTargett: "nfs://pi:/srv/longhorn" },
        },
        longhorn,
      ),
    ).toEqual(["defaultSettings.backupTarget", "defaultBackupStore.backupTargett"]);
  });

  test("catches Traefik's old redirection key (ports.web.redirections) and accepts the 41.x one", () => {
    expect(unknownKeys({ ports: { web: { redirections: { entryPoint: { to: "websecure" } } } } }, traefik)).toEqual([
      "ports.web.redirections",
    ]);
    expect(unknownKeys({ ports: { web: { http: { redirections: { entryPoint: { to: "websecure" } } } } } }, traefik)).toEqual([]);
  });

  test("accepts any key below a free-form map and any entry point name under ports (schema wildcard)", () => {
    expect(unknownKeys({ service: { annotations: { "metallb.io/loadBalancerIPs": "192.168.1.60" } } }, traefik)).toEqual([]);
    expect(unknownKeys({ ports: { dns: { port: 5353, expose: { default: true } } } }, traefik)).toEqual([]);
    expect(unknownKeys({ ports: { dns: { prot: 5353 } } }, traefik)).toEqual(["ports.dns.prot"]);
  });

  test("MetalLB: the frr-k8s subchart's keys pass unchecked, its on/off switch is checked", () => {
    expect(unknownKeys({ "frr-k8s": { anything: { goes: true } }, frrk8s: { enabled: false } }, metallb)).toEqual([]);
    expect(unknownKeys({ frrk8s: { enable: false } }, metallb)).toEqual(["frrk8s.enable"]);
  });

  test("kube-prometheus-stack: Grafana's keys are checked (its subchart's defaults are pinned), the exporters' subcharts pass unchecked", () => {
    const kps = loadChartKeys("kube-prometheus-stack", "88.5.3") as ChartKeys;
    expect(unknownKeys({ grafana: { enabled: false, forceDeployDashboards: false } }, kps)).toEqual([]);
    expect(unknownKeys({ grafana: { enable: false } }, kps)).toEqual(["grafana.enable"]);
    // kube-state-metrics 8.4.0 and prometheus-node-exporter 4.56.1 are not among the pinned
    // defaults: below their keys anything passes (the values set there are resources and one
    // relabelling, asserted in the MetricsStack test); the parent's switches are still checked.
    expect(unknownKeys({ "kube-state-metrics": { anything: 1 }, "prometheus-node-exporter": { resources: {} } }, kps)).toEqual([]);
    expect(unknownKeys({ kubeStateMetrics: { enable: true } }, kps)).toEqual(["kubeStateMetrics.enable"]);
    expect(unknownKeys({ prometheus: { prometheusSpec: { retentionSise: "1GB" } } }, kps)).toEqual(["prometheus.prometheusSpec.retentionSise"]);
  });

  test("a key that contains a dot (grafana.ini) is looked up segment by segment", () => {
    const grafana = loadChartKeys("grafana", "12.11.1") as ChartKeys;
    expect(unknownKeys({ "grafana.ini": { server: { root_url: "https://grafana.home.arpa" } } }, grafana)).toEqual([]);
    expect(unknownKeys({ "grafana.inii": { server: {} } }, grafana)).toEqual(["grafana.inii"]);
  });

  test("a key set below a scalar is refused", () => {
    expect(unknownKeys({ persistence: { defaultClass: { enabled: true } } }, longhorn)).toEqual(["persistence.defaultClass.enabled"]);
  });
});

describe("the repo's local charts", () => {
  const chartsDir = join(__dirname, "..", "..", "charts");
  const charts = readdirSync(chartsDir);

  test.each(charts)("%s: its templates read only keys its values.yaml declares", (chart) => {
    const keys = valuesKeys(parse(readFileSync(join(chartsDir, chart, "values.yaml"), "utf8")));
    const templates = readdirSync(join(chartsDir, chart, "templates")).map((f) => readFileSync(join(chartsDir, chart, "templates", f), "utf8"));
    const read = templates.flatMap((t) => [...t.matchAll(/\.Values((?:\.[A-Za-z0-9_]+)+)/g)].map((m) => m[1].slice(1)));
    expect(read.length).toBeGreaterThan(0);
    expect(read.filter((path) => !(path in keys))).toEqual([]);
  });

  test.each(charts)("%s: every release of it pins the version of its Chart.yaml", (chart) => {
    const meta = parse(readFileSync(join(chartsDir, chart, "Chart.yaml"), "utf8"));
    expect(meta.name).toBe(chart);
    const releases = Object.values(appsOf).flat().filter(
      (a) => a.chart.localPath !== undefined && a.chart.chart === chart,
    );
    expect(releases.length).toBeGreaterThan(0);
    for (const r of releases) expect(r.chart.version).toBe(meta.version);
  });
});
