#!/usr/bin/env bash
# `npm run ansible:check`: lint every role and playbook (ansible-lint, production profile) and
# syntax-check every playbook against the inventory generated from the default lab fixture.
# Needs ansible and ansible-lint (Debian: apt-get install ansible ansible-lint).
set -euo pipefail
export NO_COLOR=1 ANSIBLE_NOCOLOR=1
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

HOMELAB_CONFIG="$ROOT/__tests__/fixtures/labs/default.yaml" \
  "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/write-inventory.ts" --out "$WORK/hosts.yaml"

cd "$ROOT/ansible"
export ANSIBLE_CONFIG="$ROOT/ansible/ansible.cfg"
# The roles read the join token from the environment; syntax-check and lint do not need one.

echo "== ansible-lint (production profile)"
# --offline: collections come from the Debian package, nothing is fetched.
ansible-lint --offline --profile production --exclude .rootfs -- roles playbooks
# The CI converge playbooks follow the same rules.
ANSIBLE_ROLES_PATH="$ROOT/ansible/roles" ansible-lint --offline --profile production -- "$ROOT"/__tests__/ansible/converge/*.yml

echo "== ansible-playbook --syntax-check"
status=0
for playbook in playbooks/*.yml; do
  if ansible-playbook -i "$WORK/hosts.yaml" --syntax-check "$playbook" >"$WORK/out" 2>&1; then
    echo "ok: $playbook"
  else
    status=1
    echo "FAILED: $playbook"
    cat "$WORK/out"
  fi
done
exit "$status"
