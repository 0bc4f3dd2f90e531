#!/usr/bin/env bash
# The Pi's off-site backup (ansible/roles/offsite_backup, via rpi.yml) and the state copy
# (ansible/playbooks/state-backup.yml) on a booted Debian 13 standing in for the Pi: systemd as
# PID 1 in systemd-nspawn (scripts/lib/nspawn.sh), reached by Ansible's nsenter connection.
#   1. rpi.yml and state-backup.yml, twice each: the second runs change nothing (changed=0);
#      the units pass systemd-analyze verify; the secrets are root-only files, never in the output;
#   2. the backup (the unit, as its timer starts it), twice: the export (a real etcd snapshot made
#      by etcd, Longhorn backup files), AdGuard Home's state and the Terraform state (through the
#      Pi's local restic repository) reach the off-site repository, a REST server on the container's
#      loopback (rclone serve restic, with basic auth);
#   3. the restore drill (the unit), twice: green, recorded for node-exporter (promtool check metrics);
#   4. restore and verify from outside, as docs/runbooks/disaster-recovery.md does: the state and the
#      etcd snapshot come back byte for byte;
#   5. a planted corruption (one pack file of the off-site repository deleted) turns the drill red:
#      the unit fails, the result says which check failed, and the OnFailure hook posts to ntfy
#      (a stand-in ntfy on the container's loopback records the request).
# Nothing leaves the container's private network. The rootfs is cached under ansible/.rootfs/.
# Needs root, debootstrap, systemd-nspawn, ansible, and from Debian: rclone, restic, etcd-server,
# etcd-client (etcd makes the snapshot), prometheus (promtool, optional).
set -euo pipefail
export NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
start=$SECONDS
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/nspawn.sh
source "$ROOT/scripts/lib/nspawn.sh"
CACHE="$ROOT/ansible/.rootfs"
WORK="$(mktemp -d /var/tmp/homelab-offsite-converge.XXXXXX)"
PI=rpi-01
PI_ADDRESS=192.168.1.5 # raspberryPi.address of the default lab fixture
EXPORT=/srv/homelab-backups
REST_PORT=8000
NTFY_PORT=8090
HELPERS=()

cleanup() {
  local pid
  for pid in "${HELPERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  nspawn_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "FAILED: offsite-backup-converge, line $LINENO: $BASH_COMMAND" >&2' ERR

nspawn_require_root offsite-backup-converge
nspawn_require_tools offsite-backup-converge debootstrap systemd-nspawn rclone restic etcd etcdctl python3
TARBALL=$(nspawn_rootfs "$CACHE" "$NSPAWN_PI_PACKAGES")

# Stand-in secrets of this run only (the test's own, never a user's).
export HOMELAB_RESTIC_PASSWORD="converge-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export HOMELAB_OFFSITE_REST_USERNAME=homelab
export HOMELAB_OFFSITE_REST_PASSWORD="rest-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export NTFY_PUBLISH_AUTHORIZATION="Bearer tk_converge$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
# Ansible runs on the Debian 13 controller, which passes HOMELAB_* variables and the names listed here.
export HOMELAB_CONTROLLER_PASS_ENV=NTFY_PUBLISH_AUTHORIZATION
SECRETS=("$HOMELAB_RESTIC_PASSWORD" "$HOMELAB_OFFSITE_REST_PASSWORD" "${NTFY_PUBLISH_AUTHORIZATION#Bearer }")

echo "== the lab: the default fixture with an off-site REST repository on the Pi's loopback"
python3 - "$ROOT/__tests__/fixtures/labs/default.yaml" "$WORK/lab.yaml" "$REST_PORT" <<'PY'
import sys, yaml
lab = yaml.safe_load(open(sys.argv[1]))
lab["raspberryPi"]["offsiteBackup"] = {
    "repository": {"type": "rest", "url": f"http://127.0.0.1:{sys.argv[3]}/homelab/"},
    "retention": {"daily": 7, "weekly": 4, "monthly": 12},
    "drill": {"readDataPercent": 50},
}
yaml.safe_dump(lab, open(sys.argv[2], "w"), sort_keys=False)
PY
HOMELAB_CONFIG="$WORK/lab.yaml" "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/write-inventory.ts" --out "$WORK/hosts.yaml" >"$WORK/inventory.log" 2>&1 ||
  { cat "$WORK/inventory.log"; exit 1; }

echo "== boot the Pi stand-in (systemd-nspawn, private network)"
nspawn_boot "$TARBALL" "$WORK/pi" homelab-pi
nspawn_in ip address add "$PI_ADDRESS/32" dev lo
nspawn_inventory "$PI" >"$WORK/nsenter.yaml"
# The packages are in the image and the container has no route out: the apt cache counts as fresh,
# so the role's apt task checks them instead of downloading.
nspawn_in sh -c 'mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/update-success-stamp'

echo "== the off-site REST server and a stand-in ntfy, on the container's loopback"
mkdir -p "$WORK/offsite" "$WORK/ntfy"
nspawn_net rclone serve restic --addr "127.0.0.1:$REST_PORT" --user "$HOMELAB_OFFSITE_REST_USERNAME" \
  --pass "$HOMELAB_OFFSITE_REST_PASSWORD" "$WORK/offsite" >"$WORK/rclone.log" 2>&1 &
HELPERS+=($!)
nspawn_net python3 - "$NTFY_PORT" "$WORK/ntfy" >"$WORK/ntfy.log" 2>&1 <<'PY' &
import http.server, json, os, sys
class Ntfy(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        n = len(os.listdir(sys.argv[2]))
        with open(os.path.join(sys.argv[2], f"{n}.json"), "w") as f:
            json.dump({"path": self.path, "headers": dict(self.headers), "body": body}, f)
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ntfy).serve_forever()
PY
HELPERS+=($!)

echo "== what the Pi holds: a real etcd snapshot (etcd $(etcd --version | sed -n 's/^etcd Version: //p')), Longhorn backups, AdGuard Home's state"
nspawn_net etcd --name converge --data-dir "$WORK/etcd" --listen-client-urls http://127.0.0.1:23790 \
  --advertise-client-urls http://127.0.0.1:23790 --listen-peer-urls http://127.0.0.1:23800 \
  --initial-advertise-peer-urls http://127.0.0.1:23800 --initial-cluster converge=http://127.0.0.1:23800 >"$WORK/etcd.log" 2>&1 &
etcd_pid=$!
HELPERS+=("$etcd_pid")
for _ in $(seq 50); do nspawn_net env ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:23790 endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
for i in $(seq 20); do nspawn_net env ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:23790 put "/registry/configmaps/default/cm-$i" "value-$i" >/dev/null; done
snapshot_dir="$WORK/pi$EXPORT/etcd"
mkdir -p "$snapshot_dir/k3s-master-1" "$snapshot_dir/k3s-master-2" "$WORK/pi$EXPORT/longhorn/backupstore/volumes/ab/cd/pvc-gitea/backups"
newest="$snapshot_dir/k3s-master-2/etcd-snapshot-k3s-master-2-1796000000"
nspawn_net env ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:23790 snapshot save "$newest" >/dev/null 2>&1
kill "$etcd_pid"
touch -d @1796000000 "$newest"
# An older snapshot of another server, which the drill must not pick.
cp "$newest" "$snapshot_dir/k3s-master-1/etcd-snapshot-k3s-master-1-1795000000"
touch -d @1795000000 "$snapshot_dir/k3s-master-1/etcd-snapshot-k3s-master-1-1795000000"
head -c 300000 /dev/urandom >"$WORK/pi$EXPORT/longhorn/backupstore/volumes/ab/cd/pvc-gitea/backups/backup_0001.blk"
echo '{"Name":"backup_0001","VolumeName":"pvc-gitea"}' >"$WORK/pi$EXPORT/longhorn/backupstore/volumes/ab/cd/pvc-gitea/backups/backup_0001.cfg"
mkdir -p "$WORK/pi/var/lib/adguardhome"
printf 'schema_version: 34\ndns:\n  port: 53\n' >"$WORK/pi/var/lib/adguardhome/AdGuardHome.yaml"

# Two stacks' state as Terraform writes it (version 4), made here: the project commits no state.
mkdir -p "$WORK/state"
for stack in infra k3s; do
  python3 - "$WORK/state/terraform.$stack.tfstate" "$stack" <<'PY'
import json, sys, uuid
resources = [{"mode": "managed", "type": "random_password", "name": f"{sys.argv[2]}_{i}", "provider": "provider[\"registry.terraform.io/hashicorp/random\"]",
              "instances": [{"schema_version": 3, "attributes": {"length": 32, "id": "none"}}]} for i in range(3)]
state = {"version": 4, "terraform_version": "1.9.8", "serial": 7, "lineage": str(uuid.uuid4()), "outputs": {}, "resources": resources, "check_results": None}
open(sys.argv[1], "w").write(json.dumps(state, indent=2) + "\n")
PY
done

export ANSIBLE_CONFIG="$ROOT/ansible/ansible.cfg" ANSIBLE_ROLES_PATH="$ROOT/ansible/roles"
inventory=(-i "$WORK/hosts.yaml" -i "$WORK/nsenter.yaml" --limit "$PI" -e "pi_ntfy_url=http://127.0.0.1:$NTFY_PORT/homelab-alerts")
converge() { # converge NAME PLAYBOOK ARGS...: runs it twice, the second must change nothing
  local name="$1" book="$2"
  shift 2
  nspawn_converge_twice "$PI" "$name" "${inventory[@]}" "$ROOT/ansible/playbooks/$book" "$@"
}

echo "== rpi.yml (role offsite_backup), twice"
converge rpi rpi.yml --tags offsite_backup
for f in restic-password offsite.env ntfy.env; do
  mode=$(stat -c '%a %U' "$WORK/pi/etc/homelab-backup/$f")
  [ "$mode" = "600 root" ] || { echo "FAILED: /etc/homelab-backup/$f is $mode, expected 600 root" >&2; exit 1; }
done
echo "   secrets: /etc/homelab-backup/{restic-password,offsite.env,ntfy.env} are 0600 root"
nspawn_in systemd-analyze verify /etc/systemd/system/homelab-offsite-backup.service /etc/systemd/system/homelab-offsite-backup.timer \
  /etc/systemd/system/homelab-restore-drill.service /etc/systemd/system/homelab-restore-drill.timer \
  /etc/systemd/system/homelab-backup-notify@.service >"$WORK/verify.log" 2>&1 || { cat "$WORK/verify.log"; echo "FAILED: systemd-analyze verify" >&2; exit 1; }
echo "   systemd-analyze verify: the five units are clean"
nspawn_in systemctl is-enabled --quiet homelab-offsite-backup.timer homelab-restore-drill.timer
echo "   timers enabled: $(nspawn_in systemctl list-timers --all --no-legend 'homelab-*' | awk '{print $(NF-1)}' | sort -u | tr '\n' ' ')"

echo "== state-backup.yml (the state copy npm run deploy makes), twice"
converge state state-backup.yml -e "homelab_state_dir=$WORK/state"

if grep -qsF -e "${SECRETS[0]}" -e "${SECRETS[1]}" -e "${SECRETS[2]}" "$WORK"/rpi*.log "$WORK"/state*.log; then
  echo "FAILED: a secret appears in the Ansible output" >&2
  exit 1
fi
echo "   no secret in the Ansible output"

unit_run() { # unit_run UNIT: starts a oneshot unit as its timer does and waits for it; returns its result
  nspawn_in systemctl start "$1.service" >/dev/null 2>&1 || return 1
}
metric() { grep -E "^$1 " "$WORK/pi/var/lib/prometheus/node-exporter/$2.prom" | awk '{print $2}'; }

echo "== the backup, twice"
for run in 1 2; do
  t0=$SECONDS
  unit_run homelab-offsite-backup || { nspawn_in journalctl -u homelab-offsite-backup --no-pager -o cat | tail -n 30; echo "FAILED: backup run $run" >&2; exit 1; }
  [ "$(metric homelab_offsite_backup_success homelab_offsite_backup)" = 1 ] || { echo "FAILED: backup run $run not recorded as a success" >&2; exit 1; }
  echo "   backup run $run ($((SECONDS - t0)) s): $(metric homelab_offsite_backup_added_bytes homelab_offsite_backup) bytes added"
done
REPO="rest:http://$HOMELAB_OFFSITE_REST_USERNAME:$HOMELAB_OFFSITE_REST_PASSWORD@127.0.0.1:$REST_PORT/homelab/"
outside() { nspawn_net env RESTIC_PASSWORD="$HOMELAB_RESTIC_PASSWORD" RESTIC_CACHE_DIR="$WORK/restic-cache" restic -r "$REPO" "$@"; }
outside snapshots --compact >"$WORK/snapshots.txt"
pi_snapshots=$(outside snapshots --json --tag homelab-pi | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
state_snapshots=$(outside snapshots --json --tag terraform-state | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$pi_snapshots" = 2 ] && [ "$state_snapshots" = 2 ] ||
  { cat "$WORK/snapshots.txt"; echo "FAILED: expected 2 Pi snapshots and 2 state snapshots off-site" >&2; exit 1; }
echo "   off-site: $pi_snapshots snapshots of the Pi, $state_snapshots of the state (one per stack, copied once)"

echo "== the restore drill, twice"
for run in 1 2; do
  t0=$SECONDS
  unit_run homelab-restore-drill || { nspawn_in journalctl -u homelab-restore-drill --no-pager -o cat | tail -n 30; echo "FAILED: drill run $run" >&2; exit 1; }
  echo "   drill run $run ($((SECONDS - t0)) s): $(nspawn_in journalctl -u homelab-restore-drill --no-pager -o cat -n 4 | grep -E 'drill: (etcd|state)' | tr '\n' ' ')"
done
prom="$WORK/pi/var/lib/prometheus/node-exporter/homelab_restore_drill.prom"
[ "$(metric homelab_restore_drill_success homelab_restore_drill)" = 1 ] || { cat "$prom"; echo "FAILED: the drill is not recorded as green" >&2; exit 1; }
[ "$(metric homelab_restore_drill_etcd_snapshot_timestamp_seconds homelab_restore_drill)" = 1796000000 ] ||
  { cat "$prom"; echo "FAILED: the drill did not restore the newest etcd snapshot" >&2; exit 1; }
if command -v promtool >/dev/null; then
  cat "$WORK/pi/var/lib/prometheus/node-exporter/"homelab_*.prom | promtool check metrics
  echo "   promtool check metrics: the recorded results are valid exposition"
fi

echo "== restore and verify from outside (the disaster runbook's commands)"
outside dump --tag terraform-state,stack-infra latest /terraform.infra.tfstate >"$WORK/infra.restored"
cmp "$WORK/infra.restored" "$WORK/state/terraform.infra.tfstate"
outside restore latest --tag homelab-pi --target "$WORK/restored" --include "$EXPORT/etcd" >/dev/null
cmp "$WORK/restored$EXPORT/etcd/k3s-master-2/etcd-snapshot-k3s-master-2-1796000000" "$newest"
ETCDCTL_API=3 etcdctl snapshot restore "$WORK/restored$EXPORT/etcd/k3s-master-2/etcd-snapshot-k3s-master-2-1796000000" \
  --data-dir "$WORK/etcd-restored" >/dev/null 2>&1
echo "   terraform.infra.tfstate and the newest etcd snapshot restored byte for byte; etcdctl restores the snapshot"

echo "== a planted corruption: one pack file of the off-site repository deleted"
pack=$(find "$WORK/offsite/homelab/data" -type f | sort | head -n 1)
rm -f "$pack"
before=$(ls "$WORK/ntfy" | wc -l)
if unit_run homelab-restore-drill; then
  echo "FAILED: the drill passed with pack $(basename "$pack") deleted" >&2
  exit 1
fi
result=$(nspawn_in systemctl show -p Result --value homelab-restore-drill.service)
[ "$(metric homelab_restore_drill_success homelab_restore_drill)" = 0 ] || { cat "$prom"; echo "FAILED: the failed drill is recorded as green" >&2; exit 1; }
grep -qx 'homelab_restore_drill_check_success{check="repository"} 0' "$prom" || { cat "$prom"; echo "FAILED: the repository check is not the failed one" >&2; exit 1; }
echo "   the drill fails (unit result: $result), recorded: $(grep -E '^homelab_restore_drill_check_success' "$prom" | tr '\n' ' ')"
for _ in $(seq 40); do [ "$(ls "$WORK/ntfy" | wc -l)" -gt "$before" ] && break; sleep 0.25; done
sent=$(ls "$WORK/ntfy" | sort -n | tail -n 1)
[ -n "$sent" ] && python3 - "$WORK/ntfy/$sent" "$NTFY_PUBLISH_AUTHORIZATION" <<'PY' || { nspawn_in journalctl -u 'homelab-backup-notify@*' --no-pager -o cat | tail; echo "FAILED: no failure notice reached ntfy" >&2; exit 1; }
import json, sys
sent = json.load(open(sys.argv[1]))
assert sent["path"] == "/homelab-alerts", sent["path"]
assert sent["headers"].get("Authorization") == sys.argv[2], "no Authorization header"
assert "homelab-restore-drill.service failed" in sent["headers"]["Title"], sent["headers"]["Title"]
assert "repository check" in sent["body"], sent["body"]
print("   OnFailure hook: ntfy got \"" + sent["headers"]["Title"] + "\": " + sent["body"].splitlines()[0][:120])
PY
echo "offsite backup converge: OK ($((SECONDS - start)) s)"
