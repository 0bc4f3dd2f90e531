#!/usr/bin/env bash
# `npm run ci:online`: the checks that need the internet, as CI runs them (.github/workflows/ci.yml),
# on the lab config (HOMELAB_CONFIG or ./homelab.yaml):
#   1. synthesize every stack (into a scratch folder), then `terraform init -backend=false && terraform validate` each one
#      with the real providers from the Terraform registry (exact versions from the synthesized JSON);
#   2. `helm pull` every pinned upstream chart, render every Helm release of the platform stack with
#      the real Helm and validate every object (scripts/render-validate.ts --charts --pull);
#   3. ansible-lint and syntax-check of every playbook (npm run ansible:check).
# Needs: node_modules (npm ci), terraform >= 1.5, ansible and ansible-lint; network access to
# registry.terraform.io, releases.hashicorp.com and the chart repositories.
# Pulled charts are kept in $HOMELAB_CHARTS_DIR (default node_modules/.cache/homelab-charts).
set -euo pipefail
export NO_COLOR=1
cd "$(dirname "$0")/.."

missing=0
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "ci-online: $1 not found: $2" >&2
    missing=1
  fi
}
need terraform "install Terraform >= 1.5 (CI uses 1.14.9)"
need ansible-playbook "apt-get install ansible (or pip install ansible-core, then ansible-galaxy collection install -r ansible/requirements.yml)"
need ansible-lint "apt-get install ansible-lint"
[ -x node_modules/.bin/tsx ] || { echo "ci-online: node_modules missing: run npm ci" >&2; missing=1; }
[ "$missing" -eq 0 ] || exit 1

# Synthesized into a scratch folder: your cdktf.out (and its provider caches) stays as it is.
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
echo "== synth"
CDKTF_OUTDIR="$OUT" npm run --silent synth

echo "== terraform init -backend=false && terraform validate, every stack"
export TF_IN_AUTOMATION=1 TF_INPUT=0
export TF_PLUGIN_CACHE_DIR="${TF_PLUGIN_CACHE_DIR:-$PWD/node_modules/.cache/terraform-plugins}"
mkdir -p "$TF_PLUGIN_CACHE_DIR"
stacks=0
for dir in "$OUT"/stacks/*/; do
  echo "-- stack $(basename "$dir")"
  (cd "$dir" && terraform init -backend=false -no-color >/dev/null && terraform validate -no-color)
  stacks=$((stacks + 1))
done
[ "$stacks" -gt 0 ] || { echo "ci-online: synth wrote no stack" >&2; exit 1; }

echo "== helm pull + render + validate, every release of the platform stack"
node_modules/.bin/tsx scripts/render-validate.ts --stack "$OUT/stacks/platform" \
  --charts "${HOMELAB_CHARTS_DIR:-node_modules/.cache/homelab-charts}" --pull

echo "== ansible-lint + syntax-check"
npm run --silent ansible:check
