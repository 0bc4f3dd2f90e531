# shellcheck shell=bash
# A booted Debian 13 for the converge tests: systemd as PID 1 in systemd-nspawn (private network),
# reached by Ansible's community.docker.nsenter connection. Sourced by
# scripts/pve-answer-service-converge.sh and scripts/offsite-backup-converge.sh:
#
#   source "$ROOT/scripts/lib/nspawn.sh"
#   nspawn_require_root my-test; nspawn_require_tools my-test debootstrap systemd-nspawn ansible-playbook
#   tarball=$(nspawn_rootfs "$CACHE" systemd-sysv,dbus,python3,...)   # debootstrapped once, cached
#   nspawn_boot "$tarball" "$WORK/pi" homelab-pi                      # sets NSPAWN_LEADER
#   nspawn_in ip link set lo up                                        # a command in the container
#   nspawn_inventory rpi-01 >"$WORK/nsenter.yaml"                      # Ansible reaches it by nsenter
#   nspawn_stop                                                        # (call it from the EXIT trap)
#
# The rootfs tarball is cached under the given folder (ansible/.rootfs/, git-ignored), one per
# list of packages: the file name carries a hash of the list, so two tests with different
# packages never share a stale image.

NSPAWN_SUITE="${NSPAWN_SUITE:-trixie}"
# The Raspberry Pi stand-in every Pi converge boots (one image, built once): systemd-sysv for a
# booted machine, python3-apt for the apt module, iproute2 to add the Pi's address, and the
# packages of the Pi's roles that have no network to fetch them there (private network): restic
# and etcd-client (role offsite_backup).
NSPAWN_PI_PACKAGES=systemd-sysv,dbus,python3,python3-apt,iproute2,ca-certificates,restic,etcd-client
NSPAWN_PID=""

# nspawn_converge_twice HOST NAME ARGS...: nspawn_ansible_playbook ARGS twice (logs $WORK/NAME1.log
# and NAME2.log), printing HOST's recap of each; fails when a run fails or the second one changes
# anything (not idempotent).
nspawn_converge_twice() {
  local host="$1" name="$2" run t0
  shift 2
  for run in 1 2; do
    t0=$SECONDS
    nspawn_ansible_playbook "$@" >"$WORK/$name$run.log" 2>&1 ||
      { cat "$WORK/$name$run.log"; echo "FAILED: $name run $run" >&2; exit 1; }
    echo "   $name run $run ($((SECONDS - t0)) s): $(grep -E "^$host +:" "$WORK/$name$run.log" | tr -s ' ')"
  done
  if ! grep -qE "^$host +: .*changed=0 " "$WORK/${name}2.log"; then
    grep -E '^changed:' -B2 "$WORK/${name}2.log" >&2 || true
    echo "FAILED: the second $name run changed something (not idempotent)" >&2
    exit 1
  fi
}

# nspawn_ansible_playbook ARGS...: ansible-playbook of Debian 13 (ansible-core 2.19, what the Pi and
# users have; the playbooks refuse older), run on the runtime harness's Debian 13 controller
# (__tests__/ansible/runtime/controller.ts, chroot; images cached by the runtime converge) with the
# clone and $WORK bound at their own paths. The controller passes ANSIBLE_*, HOMELAB_* and the
# names in HOMELAB_CONTROLLER_PASS_ENV; nsenter reaches the booted container from there.
nspawn_ansible_playbook() {
  (cd "$ROOT" && HOMELAB_CONTROLLER_BIND="$WORK" "$ROOT/node_modules/.bin/tsx" "$ROOT/__tests__/ansible/runtime/controller.ts" \
    ansible-playbook "$@")
}
NSPAWN_LEADER=""

nspawn_require_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$1: must run as root (debootstrap, systemd-nspawn)" >&2
    exit 1
  fi
}

# nspawn_require_tools NAME TOOL...: fails naming the first missing tool.
nspawn_require_tools() {
  local name="$1" tool
  shift
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: $tool is missing" >&2; exit 1; }
  done
}

# The Debian mirror apt is configured with (deb822 or one-line sources), else the default one.
debian_mirror() {
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -hsE '^deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
    awk '{for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' | grep -E '/debian/?$' | head -n1 || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# nspawn_rootfs CACHE PACKAGES: prints the path of a tarball of a debootstrapped Debian (minbase)
# with PACKAGES (comma-separated) installed, building and caching it on first use.
nspawn_rootfs() {
  local cache="$1" packages="$2" key tarball build t0=$SECONDS
  key=$(printf '%s' "$NSPAWN_SUITE:$packages" | sha256sum | cut -c1-10)
  tarball="$cache/debian-$NSPAWN_SUITE-systemd-$key.tar"
  if [ ! -s "$tarball" ]; then
    mkdir -p "$cache"
    build="$cache/build-$key"
    local mirror
    mirror=$(debian_mirror)
    echo "== debootstrap $NSPAWN_SUITE (minbase + $packages) from $mirror into the cache" >&2
    rm -rf "$build"
    debootstrap --variant=minbase --include="$packages" "$NSPAWN_SUITE" "$build" "$mirror" >"$cache/debootstrap-$key.log" 2>&1 ||
      { tail -n 30 "$cache/debootstrap-$key.log" >&2; return 1; }
    tar -C "$build" -cf "$tarball.partial" . && mv "$tarball.partial" "$tarball"
    rm -rf "$build"
    echo "   cached in $((SECONDS - t0)) s: $tarball" >&2
  fi
  echo "$tarball"
}

# The children of a process, from /proc (no procps on a bare machine).
nspawn_children_of() {
  local stat
  for stat in /proc/[0-9]*/stat; do
    awk -v parent="$1" '$4 == parent { print $1 }' "$stat" 2>/dev/null || true
  done
}

# nspawn_boot TARBALL DIR MACHINE: unpacks the rootfs into DIR and boots it (private network);
# waits for systemd to be running and sets NSPAWN_PID (systemd-nspawn) and NSPAWN_LEADER (the
# container's PID 1). The boot log is DIR.boot.log.
nspawn_boot() {
  local tarball="$1" dir="$2" machine="$3" pid state=""
  mkdir -p "$dir"
  tar -C "$dir" -xf "$tarball"
  : >"$dir/etc/machine-id"
  systemd-nspawn --quiet --register=no --keep-unit --console=pipe --private-network -D "$dir" -M "$machine" -b \
    >"$dir.boot.log" 2>&1 </dev/null &
  NSPAWN_PID=$!
  NSPAWN_LEADER=""
  for _ in $(seq 100); do
    for pid in $(nspawn_children_of "$NSPAWN_PID"); do
      if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "systemd" ]; then NSPAWN_LEADER=$pid; break; fi
    done
    [ -n "$NSPAWN_LEADER" ] && break
    sleep 0.2
  done
  [ -n "$NSPAWN_LEADER" ] || { cat "$dir.boot.log" >&2; echo "FAILED: the container did not boot" >&2; return 1; }
  for _ in $(seq 120); do
    state=$(nspawn_in systemctl is-system-running 2>/dev/null || true)
    case "$state" in running | degraded) break ;; esac
    sleep 0.5
  done
  echo "   booted: $state"
  nspawn_in ip link set lo up
}

# nspawn_in COMMAND...: runs a command in every namespace of the booted container.
nspawn_in() { nsenter --target "$NSPAWN_LEADER" --all "$@"; }

# nspawn_net COMMAND...: runs a host command in the container's network namespace only (the
# host's binaries, the container's loopback).
nspawn_net() { nsenter --target "$NSPAWN_LEADER" --net "$@"; }

# nspawn_inventory HOST: an inventory that points HOST at the container (nsenter runs as root in
# every namespace of the container: no user, no sudo).
nspawn_inventory() {
  echo "all:"
  echo "  hosts:"
  echo "    $1: { ansible_connection: community.docker.nsenter, ansible_nsenter_pid: $NSPAWN_LEADER, ansible_user: root, ansible_become: false, ansible_remote_tmp: /tmp/.ansible, ansible_python_interpreter: /usr/bin/python3 }"
}

# Stops the container (SIGTERM to systemd-nspawn shuts it down; SIGKILL after 15 s).
nspawn_stop() {
  if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
    kill -TERM "$NSPAWN_PID" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$NSPAWN_PID" 2>/dev/null || true
  fi
  NSPAWN_PID=""
}
