import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { Alloy, ALLOY_RESOURCE_SHARES } from "../../../constructs/platform/alloy";
import { loadLab } from "../../helpers";
import { catalogResources, newStack, only, synthJson } from "./apps-support";

const lab = loadLab();
const PUSH = "http://loki.observability.svc.cluster.local:3100/loki/api/v1/push";
const DASHBOARDS = join(__dirname, "..", "..", "..", "dashboards");

/** The `name { … }` block of an Alloy pipeline, up to its closing brace at column 0. */
function block(pipeline: string, name: string): string {
  // Other blocks refer to it by this name (discovery.relabel.journal.rules).
  expect(pipeline).toContain(`\n${name} {\n`);
  const start = pipeline.indexOf(`\n${name} {\n`);
  return pipeline.slice(start + 1, pipeline.indexOf("\n}\n", start) + 2);
}

function build(lokiPushUrl = PUSH) {
  const stack = newStack();
  const alloy = new Alloy(stack, "alloy", { namespace: "observability", lokiPushUrl, resources: catalogResources(lab, "alloy") });
  return { alloy, json: synthJson(stack) };
}

describe("Alloy", () => {
  const { alloy, json } = build();
  const [, release] = only(json, "helm_release");
  const values = parse(release.values[0]);
  const pipeline: string = values.alloy.configMap.content;

  test("pins grafana/alloy 1.11.1 and runs as a DaemonSet", () => {
    expect(release).toMatchObject({ chart: "alloy", repository: "https://grafana.github.io/helm-charts", version: "1.11.1" });
    expect(values.controller.type).toBe("daemonset");
  });

  test("ships this node's pod logs from /var/log/pods", () => {
    expect(pipeline).toContain('discovery.kubernetes "pods"');
    expect(pipeline).toContain('field = "spec.nodeName=" + sys.env("NODE_NAME")');
    expect(pipeline).toContain('replacement   = "/var/log/pods/*$1/*.log"');
    expect(pipeline).toContain('loki.source.file "pod_logs"');
    expect(pipeline).toContain("stage.cri {}");
    expect(values.alloy.mounts.varlog).toBe(true);
    expect(values.alloy.extraEnv).toEqual([{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }]);
  });

  test("ships the node's systemd journal", () => {
    expect(pipeline).toContain('loki.source.journal "node"');
    expect(pipeline).toContain('path          = "/var/log/journal"');
    expect(values.alloy.mounts.extra).toEqual([{ name: "machine-id", mountPath: "/etc/machine-id", readOnly: true }]);
    // Reading root-owned host files: root, but no other privilege.
    expect(values.alloy.securityContext).toMatchObject({ runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
  });

  test("reads at most 12 h of a node's journal when it starts, less than the week Loki accepts", () => {
    const journal = block(pipeline, 'loki.source.journal "node"');
    expect(journal).toMatch(/^\s*max_age\s*= "12h"$/m);
    // Loki refuses entries older than reject_old_samples_max_age (168h by default, not changed in
    // loki.ts): a longer max_age would make a rebuilt node resend journal that Loki rejects.
    const hours = Number(/max_age\s*= "(\d+)h"/.exec(journal)?.[1]);
    expect(hours).toBeLessThanOrEqual(168);
  });

  test("labels the streams with what the dashboards select on", () => {
    const journal = block(pipeline, 'loki.source.journal "node"');
    expect(journal).toContain('labels        = { job = "node/journal", node = sys.env("NODE_NAME") }');
    const journalRules = block(pipeline, 'discovery.relabel "journal"');
    expect(journalRules).toContain('source_labels = ["__journal__systemd_unit"]\n    target_label  = "unit"');
    expect(journalRules).toContain('source_labels = ["__journal_priority_keyword"]\n    target_label  = "level"');
    expect(journal).toContain("relabel_rules = discovery.relabel.journal.rules");
    const podRules = block(pipeline, 'discovery.relabel "pod_logs"');
    for (const [meta, label] of [["namespace", "namespace"], ["pod_name", "pod"], ["pod_container_name", "container"], ["pod_node_name", "node"]]) {
      expect(podRules).toContain(`source_labels = ["__meta_kubernetes_${meta}"]\n    target_label  = "${label}"`);
    }
    // Every label a log dashboard (Loki datasource) selects or groups on is one the pipeline sets.
    const dashboards = readdirSync(DASHBOARDS)
      .filter((f) => f.endsWith(".json"))
      .map((f) => readFileSync(join(DASHBOARDS, f), "utf8"))
      .filter((text) => JSON.parse(text).panels.every((p: { datasource?: { type?: string } }) => p.datasource?.type === "loki"))
      .join("\n");
    const used = new Set([
      ...[...dashboards.matchAll(/[{,]\s*(\w+)\s*=~?\s*\\"/g)].map((m) => m[1]),
      ...[...dashboards.matchAll(/sum by \((\w+)\)/g)].map((m) => m[1]),
    ]);
    const set = new Set([...[...pipeline.matchAll(/target_label\s*= "(\w+)"/g)].map((m) => m[1]), "job", "node"]);
    expect(used.size).toBeGreaterThan(3);
    expect([...used].filter((label) => !set.has(label))).toEqual([]);
  });

  test("labels pod streams job=<namespace>/<container> and finds each container's log files by pod uid", () => {
    const podRules = block(pipeline, 'discovery.relabel "pod_logs"');
    expect(podRules).toContain(
      'source_labels = ["__meta_kubernetes_namespace", "__meta_kubernetes_pod_container_name"]\n    separator     = "/"\n    target_label  = "job"',
    );
    expect(podRules).toContain(
      'source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]\n    separator     = "/"\n    target_label  = "__path__"\n    replacement   = "/var/log/pods/*$1/*.log"',
    );
    expect(block(pipeline, 'discovery.kubernetes "pods"')).toContain('role  = "pod"\n    field = "spec.nodeName=" + sys.env("NODE_NAME")');
    expect(block(pipeline, 'loki.write "default"')).toContain(`endpoint {\n    url = "${PUSH}"\n  }`);
  });

  test("sends pod lines through the CRI parser and both sources to the one Loki writer", () => {
    expect(block(pipeline, 'local.file_match "pod_logs"')).toContain("path_targets = discovery.relabel.pod_logs.output");
    expect(block(pipeline, 'loki.source.file "pod_logs"')).toMatch(/targets\s+= local\.file_match\.pod_logs\.targets\n\s+forward_to = \[loki\.process\.pod_logs\.receiver\]/);
    expect(block(pipeline, 'loki.process "pod_logs"')).toMatch(/stage\.cri \{\}\n\s+forward_to = \[loki\.write\.default\.receiver\]/);
    expect(block(pipeline, 'loki.source.journal "node"')).toMatch(/forward_to\s+= \[loki\.write\.default\.receiver\]/);
    expect(block(pipeline, 'discovery.relabel "pod_logs"')).toContain("targets = discovery.kubernetes.pods.targets");
    // The journal's relabel block only holds rules for loki.source.journal: it discovers nothing.
    expect(block(pipeline, 'discovery.relabel "journal"')).toContain("targets = []");
    expect(block(pipeline, 'discovery.kubernetes "pods"')).toMatch(/^\s*role = "pod"\n/m);
  });

  test("runs on every server, control-plane taint or not, and reads the host's machine-id", () => {
    expect(values.controller.tolerations).toEqual([{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }]);
    // The mount names the volume: a rename of one alone fails the pod.
    expect(values.controller.volumes.extra).toEqual([{ name: "machine-id", hostPath: { path: "/etc/machine-id", type: "File" } }]);
    expect(values.alloy.mounts.extra[0].name).toBe(values.controller.volumes.extra[0].name);
    expect(values.alloy.configMap.create).toBe(true);
  });

  test("reads root-only log files with DAC_READ_SEARCH as its only capability", () => {
    expect(values.alloy.securityContext).toEqual({
      runAsUser: 0,
      runAsGroup: 0,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"], add: ["DAC_READ_SEARCH"] },
    });
  });

  test("writes to Loki's in-cluster push endpoint", () => {
    expect(pipeline).toContain(`url = "${PUSH}"`);
    expect(alloy.pipeline).toBe(pipeline);
  });

  test("keeps the pipeline free of Terraform and Helm template syntax", () => {
    expect(pipeline).not.toMatch(/\$\{|%\{|\{\{/);
  });

  test("its containers add up to the catalog's per-node resources", () => {
    const total = catalogResources(lab, "alloy");
    const parts = [values.alloy.resources, values.configReloader.resources];
    expect(parts.reduce((s, r) => s + Number(r.requests.memory.replace("Mi", "")), 0)).toBe(total.requestMemoryMiB);
    expect(parts.reduce((s, r) => s + Number(r.limits.memory.replace("Mi", "")), 0)).toBe(total.limitMemoryMiB);
    expect(parts.reduce((s, r) => s + Number(r.requests.cpu.replace("m", "")), 0)).toBe(total.requestMilliCpu);
    expect(Object.keys(ALLOY_RESOURCE_SHARES)).toEqual(["alloy", "configReloader"]);
  });

  test("fails when the Loki URL is not a push endpoint", () => {
    expect(() => build("http://loki:3100")).toThrow('lokiPushUrl "http://loki:3100" is not a Loki push endpoint');
  });
});
