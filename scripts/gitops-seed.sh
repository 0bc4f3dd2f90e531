#!/usr/bin/env bash
# Seeds the lab's GitOps repository in Gitea from the project's gitops/ folder. Run by the
# platform stack (null_resource "gitops seed", local-exec) after the Gitea release; safe to rerun:
#   - the repository is created only when the API answers 404 for it;
#   - the folder is committed on top of the existing history only when its content differs
#     (no force push: edits made in Gitea are reverted by a visible commit, never erased).
# Credentials come from the environment only (never arguments: they would show in `ps`).
#
# Environment:
#   GITEA_USER, GITEA_PASSWORD   admin credentials (the platform stack passes them)
#   GITOPS_OWNER, GITOPS_REPO    repository owner (the admin user) and name
#   GITOPS_SOURCE_DIR            folder to publish (the project's gitops/)
#   GITEA_URL                    optional: Gitea base URL reachable from here; when empty, a
#                                kubectl port-forward to GITEA_NAMESPACE/svc/GITEA_SERVICE:GITEA_PORT
#                                is opened, with the cluster credential below (or KUBECONFIG)
#   KUBE_SERVER, KUBE_CA_PEM,    the API URL, its CA, the admin certificate and key (PEM), as the
#   KUBE_CLIENT_CERT_PEM,        platform stack passes them: the script writes a kubeconfig into its
#   KUBE_CLIENT_KEY_PEM          own temporary folder (0700) and deletes it on exit
#   GITEA_LOCAL_PORT             local port of that port-forward (default 13000)
#   GITOPS_REMOTE_OVERRIDE       the break-glass remote ArgoCD follows instead of Gitea, if any:
#                                Gitea may be down, so nothing is done (rerun once it is cleared)
set -euo pipefail

if [ -n "${GITOPS_REMOTE_OVERRIDE:-}" ]; then
  echo "gitops-seed: ArgoCD follows the break-glass remote $GITOPS_REMOTE_OVERRIDE; Gitea is not seeded"
  exit 0
fi

: "${GITEA_USER:?GITEA_USER is not set}"
: "${GITEA_PASSWORD:?GITEA_PASSWORD is not set}"
: "${GITOPS_OWNER:?GITOPS_OWNER is not set}"
: "${GITOPS_REPO:?GITOPS_REPO is not set}"
: "${GITOPS_SOURCE_DIR:?GITOPS_SOURCE_DIR is not set}"
[ -d "$GITOPS_SOURCE_DIR" ] || { echo "gitops-seed: $GITOPS_SOURCE_DIR is not a folder" >&2; exit 1; }
# Terraform passes paths relative to the stack directory; the script changes directory later.
GITOPS_SOURCE_DIR="$(cd "$GITOPS_SOURCE_DIR" && pwd)"
if [ -n "${KUBECONFIG:-}" ] && [ -f "$KUBECONFIG" ]; then
  KUBECONFIG="$(cd "$(dirname "$KUBECONFIG")" && pwd)/$(basename "$KUBECONFIG")"
  export KUBECONFIG
fi
for tool in curl git; do
  command -v "$tool" >/dev/null || { echo "gitops-seed: $tool is required" >&2; exit 1; }
done

umask 077
work="$(mktemp -d)"
pf_pid=""
cleanup() {
  [ -n "$pf_pid" ] && kill "$pf_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${GITEA_URL:-}" ] && [ -n "${KUBE_SERVER:-}" ]; then
  for var in KUBE_CA_PEM KUBE_CLIENT_CERT_PEM KUBE_CLIENT_KEY_PEM; do
    [ -n "${!var:-}" ] || { echo "gitops-seed: KUBE_SERVER is set but $var is empty" >&2; exit 1; }
  done
  b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
  cat >"$work/kubeconfig" <<KUBECONFIG_EOF
apiVersion: v1
kind: Config
clusters:
  - name: homelab
    cluster:
      server: $KUBE_SERVER
      certificate-authority-data: $(b64 "$KUBE_CA_PEM")
users:
  - name: homelab-admin
    user:
      client-certificate-data: $(b64 "$KUBE_CLIENT_CERT_PEM")
      client-key-data: $(b64 "$KUBE_CLIENT_KEY_PEM")
contexts:
  - name: homelab
    context: { cluster: homelab, user: homelab-admin }
current-context: homelab
KUBECONFIG_EOF
  export KUBECONFIG="$work/kubeconfig"
fi

if [ -z "${GITEA_URL:-}" ]; then
  command -v kubectl >/dev/null || { echo "gitops-seed: kubectl is required (or set GITEA_URL)" >&2; exit 1; }
  port="${GITEA_LOCAL_PORT:-13000}"
  kubectl -n "${GITEA_NAMESPACE:-gitea}" port-forward "svc/${GITEA_SERVICE:-gitea-http}" "${port}:${GITEA_PORT:-3000}" \
    >"$work/port-forward.log" 2>&1 &
  pf_pid=$!
  GITEA_URL="http://127.0.0.1:${port}"
fi
GITEA_URL="${GITEA_URL%/}"

# curl reads the credentials from a config on stdin, so they never appear in the process list.
api() { # api METHOD PATH [JSON_BODY_FILE] -> prints the HTTP status, body in $work/body
  local method="$1" path="$2" body="${3:-}"
  local args=(-sS -o "$work/body" -w '%{http_code}' -X "$method" -H 'Content-Type: application/json')
  [ -n "$body" ] && args+=(--data "@$body")
  printf 'user = "%s:%s"\n' "$GITEA_USER" "$GITEA_PASSWORD" | curl -K - "${args[@]}" "$GITEA_URL$path"
}

echo "gitops-seed: waiting for Gitea at $GITEA_URL"
for attempt in $(seq 1 60); do
  if curl -fsS -o /dev/null "$GITEA_URL/api/healthz" 2>/dev/null; then break; fi
  [ "$attempt" = 60 ] && { echo "gitops-seed: Gitea did not answer in 2 minutes" >&2; cat "$work/port-forward.log" >&2 2>/dev/null || true; exit 1; }
  sleep 2
done

status="$(api GET "/api/v1/repos/$GITOPS_OWNER/$GITOPS_REPO")"
case "$status" in
  200) echo "gitops-seed: repository $GITOPS_OWNER/$GITOPS_REPO exists" ;;
  404)
    printf '{"name":"%s","private":true,"default_branch":"main","auto_init":false,"description":"GitOps source of the homelab (seeded from the project gitops/ folder)"}' \
      "$GITOPS_REPO" >"$work/create.json"
    status="$(api POST /api/v1/user/repos "$work/create.json")"
    [ "$status" = 201 ] || { echo "gitops-seed: creating the repository failed (HTTP $status): $(cat "$work/body")" >&2; exit 1; }
    echo "gitops-seed: repository $GITOPS_OWNER/$GITOPS_REPO created"
    ;;
  *) echo "gitops-seed: unexpected HTTP $status from Gitea: $(cat "$work/body")" >&2; exit 1 ;;
esac

# git asks this helper for the credentials; it reads them from the environment.
cat >"$work/askpass" <<'ASKPASS'
#!/bin/sh
case "$1" in
  Username*) printf '%s\n' "$GITEA_USER" ;;
  *) printf '%s\n' "$GITEA_PASSWORD" ;;
esac
ASKPASS
chmod 700 "$work/askpass"
export GIT_ASKPASS="$work/askpass" GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME="homelab" GIT_AUTHOR_EMAIL="homelab@localhost"
export GIT_COMMITTER_NAME="homelab" GIT_COMMITTER_EMAIL="homelab@localhost"

remote="$GITEA_URL/$GITOPS_OWNER/$GITOPS_REPO.git"
git -c credential.helper= clone --quiet "$remote" "$work/repo" 2>"$work/clone.log" || {
  echo "gitops-seed: git clone failed: $(cat "$work/clone.log")" >&2; exit 1; }
cd "$work/repo"
git symbolic-ref HEAD refs/heads/main
# Replace the tree with the folder's content (history is kept).
find . -mindepth 1 -maxdepth 1 ! -name .git -exec rm -rf {} +
cp -R "$GITOPS_SOURCE_DIR"/. .
git add -A
if git rev-parse --verify --quiet HEAD >/dev/null && git diff --cached --quiet; then
  echo "gitops-seed: $GITOPS_OWNER/$GITOPS_REPO already matches $GITOPS_SOURCE_DIR, nothing to push"
  exit 0
fi
git commit --quiet -m "Sync from the homelab project's gitops/ folder"
git -c credential.helper= push --quiet origin HEAD:refs/heads/main
echo "gitops-seed: pushed $(git rev-parse --short HEAD) to $GITOPS_OWNER/$GITOPS_REPO"
