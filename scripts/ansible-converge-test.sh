#!/usr/bin/env bash
# The real run of issue 4's acceptance: the node_prereqs, kube_vip and k3s_server roles converge
# two Debian 13 (trixie) root filesystems (a first and a joining server) through Ansible's chroot
# connection, twice; the second run must change nothing. Tasks that need a running kernel, systemd
# or the K3s download are skipped by tag, as is the Longhorn data disk (no /dev/sdb in a chroot).
#
# The debootstrap rootfs is cached as a tarball under ansible/.rootfs/ (git-ignored).
# Needs root, debootstrap, ansible, and the Debian mirror apt already uses.
set -euo pipefail
export NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
start=$SECONDS
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
CACHE="$ROOT/ansible/.rootfs"
SUITE=trixie
TARBALL="$CACHE/debian-$SUITE-minbase.tar"
WORK="$CACHE/converge"
SKIP_TAGS="needs_runtime,longhorn_disk"
HOSTS=(k3s-master-1 k3s-master-2)

if [ "$(id -u)" -ne 0 ]; then
  echo "ansible-converge-test: must run as root (debootstrap and chroot)" >&2
  exit 1
fi

# The Debian mirror apt is configured with (deb822 or one-line sources), else the default one.
debian_mirror() {
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -hsE '^deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
    awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' | grep -E '/debian/?$' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

mkdir -p "$CACHE"
if [ ! -s "$TARBALL" ]; then
  mirror=$(debian_mirror)
  echo "== debootstrap $SUITE (minbase) from $mirror into the cache"
  rm -rf "$CACHE/build"
  # python3 for Ansible's modules, sudo for `become`, ca-certificates for apt over https mirrors.
  debootstrap --variant=minbase --include=python3,sudo,ca-certificates "$SUITE" "$CACHE/build" "$mirror" \
    >"$CACHE/debootstrap.log" 2>&1 || { tail -n 30 "$CACHE/debootstrap.log"; exit 1; }
  tar -C "$CACHE/build" -cf "$TARBALL.partial" . && mv "$TARBALL.partial" "$TARBALL"
  rm -rf "$CACHE/build"
  echo "   cached in $((SECONDS - start)) s"
fi

rm -rf "$WORK"
mkdir -p "$WORK"
for host in "${HOSTS[@]}"; do
  mkdir "$WORK/$host"
  tar -C "$WORK/$host" -xf "$TARBALL"
  cp /etc/resolv.conf "$WORK/$host/etc/resolv.conf"
  # As in any image build: packages must not try to start services inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$WORK/$host/usr/sbin/policy-rc.d"
  chmod 0755 "$WORK/$host/usr/sbin/policy-rc.d"
done

# The inventory generated from the default lab fixture, plus a second inventory that only points
# the two servers at their chroots.
HOMELAB_CONFIG="$ROOT/__tests__/fixtures/labs/default.yaml" \
  "$ROOT/node_modules/.bin/tsx" "$ROOT/scripts/write-inventory.ts" --out "$WORK/hosts.yaml" >/dev/null
{
  echo "all:"
  echo "  hosts:"
  for host in "${HOSTS[@]}"; do
    echo "    $host: { ansible_connection: community.general.chroot, ansible_host: \"$WORK/$host\" }"
  done
} >"$WORK/chroot.yaml"

# A throwaway token, as the k3s stack's random_password would be (alphanumeric, 48 characters).
K3S_TOKEN=$(tr -dc 'A-Za-z0-9' </dev/urandom | head -c 48 || true)
export K3S_TOKEN
# Throwaway CA files, as the k3s stack's K3sClusterCa hands them over (JSON, file name -> PEM): the
# first server, which creates the cluster, must get them (roles/k3s_server/tasks/custom_ca.yml).
K3S_CA_FILES=$(python3 - "$WORK" <<'PY'
import json, os, subprocess, sys
work = sys.argv[1]
files = {}
for ca in ["server-ca", "client-ca", "request-header-ca", "etcd/peer-ca", "etcd/server-ca"]:
    key, crt = f"{work}/ca.key", f"{work}/ca.crt"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", crt, "-days", "1", "-subj", f"/CN=converge-{ca.replace('/', '-')}"],
                   check=True, capture_output=True)
    files[f"{ca}.crt"], files[f"{ca}.key"] = open(crt).read(), open(key).read()
subprocess.run(["openssl", "genrsa", "-out", f"{work}/service.key", "2048"], check=True, capture_output=True)
files["service.key"] = open(f"{work}/service.key").read()
for f in ("ca.key", "ca.crt", "service.key"):
    os.remove(f"{work}/{f}")
print(json.dumps(files))
PY
)
export K3S_CA_FILES
export ANSIBLE_CONFIG="$ROOT/ansible/ansible.cfg" ANSIBLE_ROLES_PATH="$ROOT/ansible/roles"
# One chroot exec per task instead of copy + chmod + run + remove.
export ANSIBLE_PIPELINING=true
# Per-task timings in the logs; the slowest are printed after each run.
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
playbook() {
  ansible-playbook -i "$WORK/hosts.yaml" -i "$WORK/chroot.yaml" --limit "$(IFS=,; echo "${HOSTS[*]}")" "$@"
}

echo "== skipped tags: $SKIP_TAGS (these tasks need a running kernel, systemd, the K3s download or the Longhorn disk):"
# group_by hosts exist only at run time, so list the tasks from one play that names every K3s role.
printf -- '- name: Every K3s role\n  hosts: server\n  roles: [node_prereqs, kube_vip, k3s_server]\n' >"$WORK/list.yml"
playbook "$WORK/list.yml" --list-tasks --tags "$SKIP_TAGS" |
  grep -E '^\s+[A-Za-z0-9_]+ : ' | sed -E 's/\s+TAGS: .*//; s/^\s+/   - /' | sort -u
echo "   (handlers that restart services are skipped by their chroot check: handlers ignore tags)"

for run in 1 2; do
  t0=$SECONDS
  playbook "$ROOT/__tests__/ansible/converge/converge.yml" --skip-tags "$SKIP_TAGS" >"$WORK/run$run.log" 2>&1 ||
    { cat "$WORK/run$run.log"; echo "FAILED: converge run $run" >&2; exit 1; }
  echo "== converge run $run ($((SECONDS - t0)) s)"
  sed -n '/PLAY RECAP/,$p' "$WORK/run$run.log" | grep -E 'ok=' | sed 's/^/   /'
  echo "   slowest tasks:"
  { grep -E -- '-{3,} +[0-9.]+s$' "$WORK/run$run.log" || true; } | sed -E 's/ -{3,} +/: /; s/^/     /' | sed -n 1,3p
done

changed=$(sed -n '/PLAY RECAP/,$p' "$WORK/run2.log" | grep -oE 'changed=[0-9]+' | grep -vc 'changed=0' || true)
if [ "$changed" -ne 0 ]; then
  echo "FAILED: the second run changed something (not idempotent):" >&2
  grep -E '^changed:' -B2 "$WORK/run2.log" >&2 || true
  exit 1
fi
echo "   second run: changed=0 on every host"

echo "== verify the rendered files"
playbook "$ROOT/__tests__/ansible/converge/verify.yml" >"$WORK/verify.log" 2>&1 ||
  { cat "$WORK/verify.log"; echo "FAILED: verify" >&2; exit 1; }
sed -n '/PLAY RECAP/,$p' "$WORK/verify.log" | grep -E 'ok=' | sed 's/^/   /'

if grep -rqsF "$K3S_TOKEN" "$WORK/hosts.yaml" "$ROOT/ansible/roles" "$ROOT/ansible/playbooks" "$WORK/run1.log" "$WORK/run2.log"; then
  echo "FAILED: the join token appears in the inventory, the roles or the Ansible output" >&2
  exit 1
fi

if grep -qsF "PRIVATE KEY" "$WORK/run1.log" "$WORK/run2.log" "$WORK/verify.log"; then
  echo "FAILED: a CA private key from K3S_CA_FILES appears in the Ansible output" >&2
  exit 1
fi

rm -rf "$WORK"
echo "ansible converge: OK, second run changed nothing, rendered files verified ($((SECONDS - start)) s)"
