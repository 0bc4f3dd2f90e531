#!/usr/bin/env bash
# `npm run ansible:check`: lint every role and playbook (ansible-lint, production profile) and
# syntax-check every playbook against the inventory generated from the default lab fixture.
#
# With the host's Ansible (Debian: apt-get install ansible ansible-lint). With
# HOMELAB_ANSIBLE_CONTROLLER=debian13 (CI; root), the lint and a second syntax check run with the
# Ansible users have, Debian 13's (ansible-core 2.19, ansible-lint 25), on the runtime harness's
# Debian 13 controller (a debootstrapped rootfs used through chroot, __tests__/ansible/runtime/);
# the host keeps its syntax check.
set -euo pipefail
export NO_COLOR=1 ANSIBLE_NOCOLOR=1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CONTROLLER="${HOMELAB_ANSIBLE_CONTROLLER:-host}"
cd "$ROOT/ansible"
export ANSIBLE_CONFIG="$ROOT/ansible/ansible.cfg"
# The roles read the join token from the environment; syntax-check and lint do not need one.

lint() {
  local version
  version=$(ansible-lint --version 2>&1)
  echo "== ansible-lint (production profile): ${version%%$'\n'*}"
  # --offline: collections come from the Debian package, nothing is fetched.
  ansible-lint --offline --profile production --exclude .rootfs -- roles playbooks
  # The runtime converge's assertion playbooks follow the same rules.
  ansible-lint --offline --profile production -- "$ROOT"/__tests__/ansible/runtime/verify/*.yml
}

syntax_check() {
  local inventory=$1 status=0 version
  version=$(ansible-playbook --version 2>&1)
  echo "== ansible-playbook --syntax-check: ${version%%$'\n'*}"
  for playbook in playbooks/*.yml; do
    if out=$(ansible-playbook -i "$inventory" --syntax-check "$playbook" 2>&1); then
      echo "ok: $playbook"
    else
      status=1
      echo "FAILED: $playbook"
      echo "$out"
    fi
  done
  return "$status"
}

# On the controller (see below): lint and syntax check with its tools, the inventory given.
if [ "${1:-}" = --inside ]; then
  lint
  syntax_check "$2"
  exit
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
HOMELAB_CONFIG="$ROOT/__tests__/fixtures/labs/default.yaml" \
  "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/write-inventory.ts" --out "$WORK/hosts.yaml"

status=0
case "$CONTROLLER" in
  host)
    lint
    syntax_check "$WORK/hosts.yaml" || status=1
    ;;
  debian13)
    # This script again, on Debian 13's controller (the clone and the inventory bind-mounted).
    HOMELAB_CONTROLLER_BIND="$WORK" "$ROOT/node_modules/.bin/tsx" "$ROOT/__tests__/ansible/runtime/controller.ts" \
      bash "$ROOT/scripts/ansible-check.sh" --inside "$WORK/hosts.yaml" || status=1
    # The host's Ansible parses every playbook too (Debian 12's is 2.14: the version check in
    # each playbook refuses to run there, but the syntax must stay readable).
    if command -v ansible-playbook >/dev/null; then syntax_check "$WORK/hosts.yaml" || status=1; fi
    ;;
  *)
    echo "ansible-check: HOMELAB_ANSIBLE_CONTROLLER must be host or debian13, not $CONTROLLER" >&2
    exit 2
    ;;
esac
exit "$status"
