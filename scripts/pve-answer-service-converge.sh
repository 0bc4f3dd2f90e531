#!/usr/bin/env bash
# The Pi's answer service role (ansible/roles/pve_answer_service, via rpi.yml's role) on a booted
# Debian 13: systemd as PID 1 in systemd-nspawn, reached with Ansible's nsenter connection. It
#   1. serves (-e pve_answer_service_enabled=true), twice: the second run changes nothing;
#   2. checks the running service: TLS with the certificate npm run pve:answers made, each node's
#      answer by MAC, a refusal for an unknown machine, a recorded install report;
#   3. switches it off (a run without the switch): unit, answers, key and reports are gone.
# The answers are generated from the default lab fixture with a stand-in hash of no password.
# The Pi's LAN address is put on the container's loopback (private network: nothing leaves it).
#
# The rootfs is cached as a tarball under ansible/.rootfs/ (git-ignored).
# Needs root, debootstrap, systemd-nspawn (Debian: systemd-container), ansible, openssl, curl.
set -euo pipefail
export NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
start=$SECONDS
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=scripts/lib/nspawn.sh
source "$ROOT/scripts/lib/nspawn.sh"
CACHE="$ROOT/ansible/.rootfs"
WORK="$(mktemp -d /var/tmp/homelab-pi-converge.XXXXXX)"
PI_ADDRESS=192.168.1.5 # raspberryPi.address of the default lab fixture

cleanup() {
  nspawn_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "FAILED: pve-answer-service-converge, line $LINENO: $BASH_COMMAND" >&2' ERR

nspawn_require_root pve-answer-service-converge
nspawn_require_tools pve-answer-service-converge debootstrap systemd-nspawn openssl curl
TARBALL=$(nspawn_rootfs "$CACHE" "$NSPAWN_PI_PACKAGES")

echo "== answers from the default lab fixture"
HASH="\$6\$converge\$$(printf 'x%.0s' $(seq 86))"
HOMELAB_CONFIG="$ROOT/__tests__/fixtures/labs/default.yaml" PVE_ROOT_PASSWORD_HASH="$HASH" \
  "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/pve-answers.ts" --out "$WORK/answers" >"$WORK/answers.log" 2>&1 ||
  { cat "$WORK/answers.log"; exit 1; }
HOMELAB_CONFIG="$ROOT/__tests__/fixtures/labs/default.yaml" \
  "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/write-inventory.ts" --out "$WORK/hosts.yaml" >/dev/null

echo "== boot the Pi stand-in (systemd-nspawn, private network)"
nspawn_boot "$TARBALL" "$WORK/pi" homelab-pi
leader=$NSPAWN_LEADER
in_pi() { nspawn_in "$@"; }
in_pi ip address add "$PI_ADDRESS/32" dev lo
nspawn_inventory rpi-01 >"$WORK/nsenter.yaml"
export ANSIBLE_CONFIG="$ROOT/ansible/ansible.cfg" ANSIBLE_ROLES_PATH="$ROOT/ansible/roles"
playbook_args=(-i "$WORK/hosts.yaml" -i "$WORK/nsenter.yaml" --limit rpi-01 "$ROOT/ansible/playbooks/rpi.yml"
  -e pi_secondary_dns=false -e pve_answer_service_source="$WORK/answers" --tags pve_answer_service)
playbook() { nspawn_ansible_playbook "${playbook_args[@]}" "$@"; }

echo "== serving, twice (the second run changes nothing)"
nspawn_converge_twice rpi-01 serve "${playbook_args[@]}" -e pve_answer_service_enabled=true

echo "== the running service"
fingerprint=$(openssl x509 -in "$WORK/answers/tls/answer-service.crt" -noout -fingerprint -sha256 | cut -d= -f2)
# The host's openssl and curl, inside the container's network namespace (the Pi's address is there).
served=""
for _ in 1 2 3 4 5; do
  served=$(nsenter --target "$leader" --net sh -c "echo | openssl s_client -connect $PI_ADDRESS:8443 2>/dev/null" |
    openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2 || true)
  [ -n "$served" ] && break
  sleep 1
done
[ "$served" = "$fingerprint" ] || { echo "FAILED: served certificate $served, expected $fingerprint" >&2; exit 1; }
echo "   TLS: the certificate of .pve-answers/tls ($fingerprint)"
mac=$(sed -n 's/.*"mac": "\(.*\)".*/\1/p' "$WORK/answers/http/service.json" | sed -n 2p)
post() { nsenter --target "$leader" --net curl -sk -o "$WORK/body" -w '%{http_code}' -H 'Content-Type: application/json' --data "$2" "https://$PI_ADDRESS:8443$1"; }
code=$(post /answer "{\"network_interfaces\":[{\"link\":\"enp1s0\",\"mac\":\"$mac\"}]}")
[ "$code" = 200 ] && cmp -s "$WORK/body" "$WORK/answers/http/pve-02.toml" ||
  { echo "FAILED: the answer for $mac: HTTP $code" >&2; exit 1; }
echo "   $mac: HTTP 200, pve-02's answer"
code=$(post /answer '{"network_interfaces":[{"link":"enp1s0","mac":"aa:bb:cc:dd:ee:ff"}]}')
[ "$code" = 404 ] || { echo "FAILED: an unknown machine got HTTP $code" >&2; exit 1; }
echo "   unknown machine: HTTP 404"
code=$(post /installed "{\"fqdn\":\"pve-02.home.arpa\",\"network-interfaces\":[{\"mac\":\"$mac\",\"is-management\":true}]}")
[ "$code" = 200 ] && [ -s "$WORK/pi/var/lib/pve-answer-service/installed/pve-02.json" ] ||
  { echo "FAILED: the install report: HTTP $code" >&2; exit 1; }
echo "   install report of pve-02: HTTP 200, recorded"
in_pi journalctl -u pve-answer-service --no-pager -o cat | sed 's/^/   | /' | tail -n 6

echo "== switched off"
playbook >"$WORK/off.log" 2>&1 || { cat "$WORK/off.log"; echo "FAILED: switching off" >&2; exit 1; }
for gone in etc/systemd/system/pve-answer-service.service etc/pve-answer-service var/lib/pve-answer-service; do
  [ ! -e "$WORK/pi/$gone" ] || { echo "FAILED: /$gone is still there" >&2; exit 1; }
done
if in_pi systemctl is-active --quiet pve-answer-service; then echo "FAILED: still running" >&2; exit 1; fi
echo "   unit, answers, key and reports removed; $(grep -E '^rpi-01 +:' "$WORK/off.log" | tr -s ' ')"
if grep -qsF "$HASH" "$WORK"/serve*.log "$WORK/off.log"; then
  echo "FAILED: the root password hash appears in the Ansible output" >&2
  exit 1
fi
echo "pve answer service converge: OK ($((SECONDS - start)) s)"
