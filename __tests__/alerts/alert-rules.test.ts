/**
 * The alert set (alerts/homelab.rules.yaml) without the tools: every alert has a severity, a
 * summary, a runbook link whose anchor exists, a firing and a non-firing promtool test case, PromQL
 * the Prometheus parser accepts, and selects jobs the lab scrapes. promtool itself runs in
 * scripts/check-alerts.sh (CI).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import {
  ALERT_RULES_FILE,
  backupThresholdRules,
  isAlertingRule,
  loadAlertRules,
  withRunbookBase,
  type AlertingRule,
} from "../../constructs/platform/alert-rules";
import { scrapeConfigs } from "../../constructs/platform/scrape-configs";
import { loadLab } from "../helpers";
import { metricNames, promqlErrors } from "../support/promql";

const ROOT = join(__dirname, "..", "..");
const TESTS = join(ROOT, "alerts", "tests");
const alerts: AlertingRule[] = loadAlertRules().groups.flatMap((g) => g.rules.filter(isAlertingRule));

/** GitHub's heading anchors: lowercase, spaces to '-', punctuation dropped. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1].trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-"),
    ),
  );
}

interface Case {
  readonly alertname: string;
  readonly firing: boolean;
}
const cases: Case[] = readdirSync(TESTS)
  .filter((f) => f.endsWith(".test.yaml"))
  .flatMap((f) => {
    const file = parse(readFileSync(join(TESTS, f), "utf8"));
    expect(file.rule_files).toEqual(["../homelab.rules.yaml"]);
    return (file.tests ?? []).flatMap((t: any) =>
      (t.alert_rule_test ?? []).map((a: any) => ({ alertname: a.alertname, firing: (a.exp_alerts ?? []).length > 0 })),
    );
  });

test("the rule file has the alert set of the issue", () => {
  expect(alerts.map((a) => a.alert).sort()).toEqual([
    "BackupCollectorFailing",
    "CertificateExpiringSoon",
    "EtcdQuorumAtRisk",
    "EtcdSnapshotTooOld",
    "HostDiskAlmostFull",
    "K3sServerNotReady",
    "KubernetesApiVipUnreachable",
    "LonghornBackupTooOld",
    "LonghornNodeStorageAlmostFull",
    "LonghornVolumeDegraded",
    "LonghornVolumeFaulted",
    "OffsiteBackupFailed",
    "OffsiteBackupTooOld",
    "PodCrashLooping",
    "ProxmoxHostDown",
    "ProxmoxStorageAlmostFull",
    "RaspberryPiDown",
    "RestoreDrillFailed",
    "RestoreDrillTooOld",
    "ScrapeTargetDown",
  ]);
});

describe.each(alerts.map((a) => [a.alert, a] as const))("%s", (name, rule) => {
  test("has a severity, a summary, a description and a runbook link into docs/observability.md", () => {
    expect(["critical", "warning"]).toContain(rule.labels.severity);
    expect(rule.annotations.summary.length).toBeGreaterThan(10);
    expect(rule.annotations.description.length).toBeGreaterThan(10);
    expect(rule.annotations.runbook_url).toBe(`docs/observability.md#${name.toLowerCase()}`);
  });

  test("its runbook anchor exists", () => {
    const [file, anchor] = rule.annotations.runbook_url.split("#");
    expect(anchors(readFileSync(join(ROOT, file), "utf8")).has(anchor)).toBe(true);
  });

  test("has a promtool case that fires it and one that does not", () => {
    const mine = cases.filter((c) => c.alertname === name);
    expect(mine.some((c) => c.firing)).toBe(true);
    expect(mine.some((c) => !c.firing)).toBe(true);
  });

  test("parses as PromQL", () => {
    expect(promqlErrors(rule.expr)).toEqual([]);
  });
});

test("every job a rule selects is one the lab scrapes (the chart's or the lab's)", () => {
  const lab = loadLab();
  const jobs = new Set([
    "kubelet",
    "node-exporter",
    "kube-state-metrics",
    ...scrapeConfigs({
      servers: lab.k3s.servers,
      proxmox: { exporterAddress: "x:9221", nodes: lab.proxmox.nodes },
      raspberryPi: { name: "pi", address: "192.168.1.5", apiProbeUrl: "https://192.168.1.50:6443/readyz" },
      pods: ["longhorn", "cert-manager", "traefik"].map((job) => ({ job, namespace: job, ports: [1] })),
    }).map((j) => j.job_name),
  ]);
  const named = alerts.flatMap((a) => [...a.expr.matchAll(/job=~?"([^"]+)"/g)].flatMap((m) => m[1].split("|")));
  expect(named.filter((j) => !jobs.has(j))).toEqual([]);
});

test("the backup thresholds follow the schedules: the longest gap plus 2 h", () => {
  const [group] = backupThresholdRules({ etcdSnapshotCron: "0 */6 * * *", longhornBackupCron: "0 3 * * *" }).groups;
  expect(group.rules).toEqual([
    { record: "homelab:backup_max_age_seconds", expr: "vector(28800)", labels: { kind: "etcd" } },
    { record: "homelab:backup_max_age_seconds", expr: "vector(93600)", labels: { kind: "longhorn" } },
  ]);
  // The series the alert compares with is the one recorded.
  const etcd = alerts.find((a) => a.alert === "EtcdSnapshotTooOld")!;
  expect(metricNames(etcd.expr)).toContain("homelab:backup_max_age_seconds");
});

test("runbook links become absolute under platform.monitoring.runbookBaseUrl", () => {
  const rules = withRunbookBase(loadAlertRules(), "https://github.com/you/homelab/blob/main/");
  const first = rules.groups[0].rules.find(isAlertingRule)!;
  expect(first.annotations.runbook_url).toBe("https://github.com/you/homelab/blob/main/docs/observability.md#proxmoxhostdown");
  expect(withRunbookBase(loadAlertRules())).toEqual(loadAlertRules());
});

test("fails when the rule file has no groups", () => {
  expect(() => loadAlertRules(join(ROOT, "package.json"))).toThrow("no rule groups");
  expect(ALERT_RULES_FILE).toMatch(/alerts\/homelab\.rules\.yaml$/);
});

test("the off-site backup and the drill get thresholds only when configured: nightly 26 h, weekly drill 7 d 2 h", () => {
  const [group] = backupThresholdRules({ etcdSnapshotCron: "0 */6 * * *", offsiteBackupCron: "30 4 * * *", restoreDrillCron: "0 6 * * 0" }).groups;
  expect(group.rules.slice(1)).toEqual([
    { record: "homelab:backup_max_age_seconds", expr: "vector(93600)", labels: { kind: "offsite" } },
    { record: "homelab:backup_max_age_seconds", expr: "vector(612000)", labels: { kind: "drill" } },
  ]);
  for (const name of ["OffsiteBackupTooOld", "RestoreDrillTooOld"]) {
    expect(metricNames(alerts.find((a) => a.alert === name)!.expr)).toEqual(
      expect.arrayContaining(["homelab:backup_max_age_seconds", "homelab_backup_job_configured_timestamp_seconds"]),
    );
  }
});
