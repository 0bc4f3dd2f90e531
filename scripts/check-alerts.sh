#!/usr/bin/env bash
# The alerting path checked by the real tools (Debian's `prometheus` and `prometheus-alertmanager`):
#   1. promtool check rules   alerts/*.rules.yaml
#   2. promtool test rules    alerts/tests/*.test.yaml (every alert fires in one case and not in another)
#   3. for each lab fixture: what the platform stack hands to Prometheus (scrape jobs, rule files)
#      through `promtool check config`, and Alertmanager's configuration through `amtool check-config`
#   4. negative controls: a planted broken rule, a planted wrong expectation and a planted broken
#      route must each make the tool fail, or this script fails (a check that cannot fail checks nothing)
# Usage: bash scripts/check-alerts.sh    (from the repository root; CI runs it from .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in promtool amtool; do
  command -v "$tool" >/dev/null || {
    echo "check-alerts: $tool is missing: apt-get install prometheus prometheus-alertmanager" >&2
    exit 2
  }
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
start=$SECONDS

echo "== promtool check rules"
promtool check rules alerts/*.rules.yaml

echo "== promtool test rules"
promtool test rules alerts/tests/*.test.yaml

# Debian builds Prometheus without Kubernetes service discovery: its promtool refuses the
# kubernetes_sd_configs the in-cluster jobs use (the Prometheus in the cluster has it).
sd_flag=()
if ! printf 'scrape_configs:\n  - job_name: probe\n    kubernetes_sd_configs: [{role: pod}]\n' >"$work/sd-probe.yml" \
  || ! promtool check config "$work/sd-probe.yml" >/dev/null 2>&1; then
  echo "   (this promtool has no Kubernetes service discovery: those blocks are checked without it)"
  sd_flag=(--without-kubernetes-sd)
fi

# The default lab, and the variants that change what Prometheus and Alertmanager receive.
check_lab() {
  local name="$1"
  shift
  local out="$work/lab-$name"
  echo "== lab '$name': promtool check config, amtool check-config"
  npx tsx scripts/export-monitoring-config.ts --out "$out" "${sd_flag[@]}" "$@" __tests__/fixtures/labs/default.yaml
  promtool check config "$out/prometheus.yml"
  amtool check-config "$out/alertmanager.yml"
}
check_lab default
check_lab external-ntfy --set 'platform.monitoring.ntfy.serverUrl="https://ntfy.sh"' --set 'platform.apps.ntfy.enabled=false' \
  --set 'platform.monitoring.runbookBaseUrl="https://github.com/example/homelab/blob/main"'
check_lab without-pi --set 'raspberryPi=null'
check_lab offsite --set 'raspberryPi.offsiteBackup={"repository":{"type":"rest","url":"https://backup.example.org/homelab/"}}'
check_lab fast-scrape --set 'platform.monitoring.scrapeIntervalSeconds=15' --set 'k3s.etcdSnapshotCron="0 * * * *"'

echo "== the Pi's exporters: blackbox modules, backup dating script"
if command -v prometheus-blackbox-exporter >/dev/null; then
  prometheus-blackbox-exporter --config.check --config.file=ansible/roles/blackbox_exporter/files/blackbox.yml 2>&1 | tail -n 1
else
  echo "   (prometheus-blackbox-exporter not installed: its config check is skipped)"
fi
# A stand-in export (fixture): two servers' snapshot copies, one missing, one Longhorn volume.
export_dir="$work/export"
mkdir -p "$export_dir/etcd/k3s-master-1" "$export_dir/etcd/k3s-master-2" "$export_dir/longhorn/backupstore/volumes/ab/cd/pvc-1/backups" "$work/textfile"
touch -d @1700000000 "$export_dir/etcd/k3s-master-1/etcd-snapshot-k3s-master-1-1700000000"
touch -d @1700003600 "$export_dir/longhorn/backupstore/volumes/ab/cd/pvc-1/backups/backup_a.cfg"
bash ansible/roles/node_exporter/files/homelab-backup-freshness "$export_dir" "$work/textfile" k3s-master-1 k3s-master-2 k3s-master-3
promtool check metrics <"$work/textfile/homelab_backups.prom"
grep -qx 'homelab_backup_newest_timestamp_seconds{kind="etcd",source="k3s-master-1"} 1700000000' "$work/textfile/homelab_backups.prom"
grep -qx 'homelab_backup_newest_timestamp_seconds{kind="longhorn",volume="pvc-1"} 1700003600' "$work/textfile/homelab_backups.prom"
grep -qx 'homelab_backup_collector_success 1' "$work/textfile/homelab_backups.prom"
echo "   backup dating script: valid exposition, expected values"

echo "== negative controls (each must fail)"
fail_expected() {
  local what="$1"
  shift
  if "$@" >"$work/control.log" 2>&1; then
    echo "check-alerts: the planted failure '$what' was NOT caught:" >&2
    cat "$work/control.log" >&2
    exit 1
  fi
  echo "   caught: $what"
}
mkdir -p "$work/planted/tests"
# A rule whose expression does not parse (a missing parenthesis).
sed 's/max by (node) (kube_node_status_condition/max by (node) (kube_node_status_condition(/' \
  alerts/homelab.rules.yaml >"$work/planted/homelab.rules.yaml"
cmp -s alerts/homelab.rules.yaml "$work/planted/homelab.rules.yaml" && { echo "check-alerts: planting the broken rule changed nothing" >&2; exit 1; }
fail_expected "broken PromQL in a rule" promtool check rules "$work/planted/homelab.rules.yaml"
# A rule that no longer fires when it should (threshold raised from 80% to 95%).
sed 's/) > 0.80$/) > 0.95/' alerts/homelab.rules.yaml >"$work/planted/homelab.rules.yaml"
cp alerts/tests/storage.test.yaml "$work/planted/tests/"
fail_expected "an alert that stopped firing" promtool test rules "$work/planted/tests/storage.test.yaml"
# A route to a receiver that does not exist.
sed 's/receiver: ntfy-critical/receiver: nobody/' "$work/lab-default/alertmanager.yml" >"$work/planted/alertmanager.yml"
fail_expected "a route to an undefined receiver" amtool check-config "$work/planted/alertmanager.yml"

if command -v prometheus-blackbox-exporter >/dev/null; then
  sed 's/valid_status_codes:/valid_status_code:/' ansible/roles/blackbox_exporter/files/blackbox.yml >"$work/planted/blackbox.yml"
  fail_expected "a blackbox module with a misspelt key" prometheus-blackbox-exporter --config.check --config.file="$work/planted/blackbox.yml"
fi

echo "check-alerts: OK in $((SECONDS - start)) s"
