/**
 * Writes what the platform stack hands to Prometheus and Alertmanager, as the real tools read it,
 * so that scripts/check-alerts.sh can check it with promtool and amtool:
 *   <out>/prometheus.yml      global settings, the lab's scrape jobs and its rule files
 *   <out>/rules/<name>.yaml   each PrometheusRule of the release (the alert set, the thresholds)
 *   <out>/alertmanager.yml    Alertmanager's configuration
 *   <out>/secrets/…           empty stand-ins for the mounted credential files (fixture, not secrets)
 * Usage: tsx scripts/export-monitoring-config.ts --out <dir> [--without-kubernetes-sd]
 *          [--set <config.path>=<JSON value>]… [lab.yaml]
 * (the lab file defaults to HOMELAB_CONFIG, then homelab.yaml; --set changes it before validation,
 * e.g. --set 'platform.monitoring.ntfy.serverUrl="https://ntfy.sh"' --set raspberryPi=null)
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Testing } from "cdktf";
import { parse, stringify } from "yaml";
import { formatProblems, validateLab } from "../config/load";
import { MetricsStack } from "../constructs/platform/metrics-stack";
import { buildLab } from "../stacks/lab";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const out = arg("--out");
if (!out) {
  console.error("export-monitoring-config: --out <dir> is required");
  process.exit(2);
}
const argv = process.argv.slice(2);
const positional = argv.filter((a, i) => !a.startsWith("--") && argv[i - 1] !== "--out" && argv[i - 1] !== "--set");
const configFile = positional[0] ?? process.env.HOMELAB_CONFIG ?? "homelab.yaml";
const raw = parse(readFileSync(configFile, "utf8")) as Record<string, any>;
for (const [i, a] of argv.entries()) {
  if (a !== "--set") continue;
  const [path, ...rest] = (argv[i + 1] ?? "").split("=");
  const keys = path.split(".");
  let node = raw;
  for (const k of keys.slice(0, -1)) node = node[k] ??= {};
  const value = JSON.parse(rest.join("="));
  if (value === null) delete node[keys[keys.length - 1]];
  else node[keys[keys.length - 1]] = value;
}
const result = validateLab(raw);
if (!result.ok) {
  console.error(`export-monitoring-config: ${configFile} is not valid:\n${formatProblems(result.problems)}`);
  process.exit(1);
}
const lab = buildLab(Testing.app(), result.lab);
const metrics = lab.platform.node.findAll().find((c): c is MetricsStack => c instanceof MetricsStack);
if (!metrics) {
  console.error(`export-monitoring-config: ${configFile} has platform.monitoring.enabled false; nothing to export`);
  process.exit(1);
}
const values = metrics.app.values as any;
const spec = values.prometheus.prometheusSpec;
const ruleFiles = values.additionalPrometheusRulesMap as Record<string, unknown>;

/** Absolute paths inside the pods, rewritten under <out> so that the tools find the files. */
const inPod = (path: string) => join(out, "pod", path);
const relocate = (text: string) =>
  text.replace(/(credentials_file|password_file): (\/[^\s]+)/g, (_m, key: string, path: string) => {
    mkdirSync(dirname(inPod(path)), { recursive: true });
    writeFileSync(inPod(path), "stand-in credential file written by export-monitoring-config\n");
    return `${key}: ${inPod(path)}`;
  });

mkdirSync(join(out, "rules"), { recursive: true });
for (const [name, file] of Object.entries(ruleFiles)) {
  writeFileSync(join(out, "rules", `${name}.yaml`), stringify(file, { lineWidth: 0 }));
}
// Debian's prometheus build leaves Kubernetes service discovery out, so its promtool refuses
// `kubernetes_sd_configs`. With --without-kubernetes-sd (what scripts/check-alerts.sh passes when
// that promtool is the one installed), each such block is swapped for an empty static target list:
// everything else of the job (relabelling, scheme, TLS, authorization) is still checked; the
// Kubernetes SD blocks' shape is asserted in __tests__/constructs/platform/scrape-configs.test.ts.
const withoutKubernetesSd = process.argv.includes("--without-kubernetes-sd");
const scrapeJobs = (spec.additionalScrapeConfigs as Record<string, unknown>[]).map((job) => {
  if (!withoutKubernetesSd || !("kubernetes_sd_configs" in job)) return job;
  const { kubernetes_sd_configs: _sd, ...rest } = job;
  return { ...rest, static_configs: [{ targets: [] }] };
});
const prometheus = {
  global: { scrape_interval: spec.scrapeInterval, evaluation_interval: spec.evaluationInterval },
  rule_files: Object.keys(ruleFiles).map((name) => join(out, "rules", `${name}.yaml`)),
  scrape_configs: scrapeJobs,
};
writeFileSync(join(out, "prometheus.yml"), relocate(stringify(prometheus, { lineWidth: 0 })));
writeFileSync(join(out, "alertmanager.yml"), relocate(stringify(values.alertmanager.config, { lineWidth: 0 })));
console.log(`export-monitoring-config: ${configFile} → ${out} (${Object.keys(ruleFiles).length} rule files, ${spec.additionalScrapeConfigs.length} scrape jobs)`);
