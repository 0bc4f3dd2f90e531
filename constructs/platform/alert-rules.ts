/**
 * The lab's Prometheus rules: the alert set kept in alerts/homelab.rules.yaml (checked and
 * unit-tested with promtool by scripts/check-alerts.sh) and the few thresholds that depend on the
 * config, recorded as series so that the alert file itself stays static and testable.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { cronMaxIntervalSeconds } from "../../config/cron";

/** alerts/homelab.rules.yaml, read at synth. */
export const ALERT_RULES_FILE = join(__dirname, "..", "..", "alerts", "homelab.rules.yaml");

/** Where each alert's runbook lives, relative to the repository root. */
export const RUNBOOK_DOC = "docs/observability.md";

/** How late a backup may be after its schedule's longest gap before it counts as stale. */
export const BACKUP_GRACE_SECONDS = 2 * 3600;

/** The recorded series the backup alerts compare the newest backup's age with. */
export const BACKUP_MAX_AGE_SERIES = "homelab:backup_max_age_seconds";

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Record<string, string>;
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly (AlertingRule | RecordingRule)[];
}

/** A Prometheus rule file: what `promtool check rules` reads and a PrometheusRule's spec holds. */
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

export function isAlertingRule(rule: AlertingRule | RecordingRule): rule is AlertingRule {
  return "alert" in rule;
}

/** The alert rule file of the repository. */
export function loadAlertRules(file = ALERT_RULES_FILE): RuleFile {
  const parsed = parse(readFileSync(file, "utf8")) as RuleFile;
  if (!parsed || !Array.isArray(parsed.groups) || parsed.groups.length === 0) {
    throw new Error(`${file}: no rule groups; it must be a Prometheus rule file (groups: [{name, rules}])`);
  }
  return parsed;
}

/**
 * The rules with every runbook link made absolute under `baseUrl` (e.g. the web view of your
 * fork: https://github.com/you/homelab/blob/main), or left as the path in the repository.
 */
export function withRunbookBase(file: RuleFile, baseUrl?: string): RuleFile {
  if (baseUrl === undefined) return file;
  const base = baseUrl.replace(/\/+$/, "");
  return {
    groups: file.groups.map((g) => ({
      ...g,
      rules: g.rules.map((r) =>
        isAlertingRule(r) && r.annotations.runbook_url !== undefined
          ? { ...r, annotations: { ...r.annotations, runbook_url: `${base}/${r.annotations.runbook_url}` } }
          : r,
      ),
    })),
  };
}

export interface BackupSchedules {
  /** K3s' etcd snapshot schedule (k3s.etcdSnapshotCron). */
  readonly etcdSnapshotCron: string;
  /** Longhorn's backup job (platform.longhorn.backupSchedule); absent without a backup target. */
  readonly longhornBackupCron?: string;
  /** The Pi's off-site backup (raspberryPi.offsiteBackup.schedule); absent without one. */
  readonly offsiteBackupCron?: string;
  /** The Pi's restore drill (raspberryPi.offsiteBackup.drill.schedule); absent without an off-site backup. */
  readonly restoreDrillCron?: string;
}

/**
 * The freshness limits of the backups, one recorded series per kind: the longest gap the
 * schedule leaves between two runs, plus BACKUP_GRACE_SECONDS. With the defaults: etcd every
 * 6 h → 8 h, Longhorn and the off-site backup nightly → 26 h, the weekly drill → 7 d 2 h.
 */
export function backupThresholdRules(schedules: BackupSchedules): RuleFile {
  const limit = (cron: string) => cronMaxIntervalSeconds(cron) + BACKUP_GRACE_SECONDS;
  const rules: RecordingRule[] = [
    { record: BACKUP_MAX_AGE_SERIES, expr: `vector(${limit(schedules.etcdSnapshotCron)})`, labels: { kind: "etcd" } },
  ];
  const optional: [string, string | undefined][] = [
    ["longhorn", schedules.longhornBackupCron],
    ["offsite", schedules.offsiteBackupCron],
    ["drill", schedules.restoreDrillCron],
  ];
  for (const [kind, cron] of optional) {
    if (cron !== undefined) rules.push({ record: BACKUP_MAX_AGE_SERIES, expr: `vector(${limit(cron)})`, labels: { kind } });
  }
  return { groups: [{ name: "homelab-thresholds", rules }] };
}
