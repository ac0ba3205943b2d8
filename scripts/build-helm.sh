#!/usr/bin/env bash
# Build helm from its Go module (helm.sh/helm/v4 at a pinned version) into the same versioned cache as the
# control plane, for the chart tests (`helm lint`, `helm template`, `helm install` against the dev cluster).
# Idempotent: a finished binary is never rebuilt; two builds at once are serialised with flock.
set -euo pipefail

HELM_VERSION="${TENANTGUARD_HELM_VERSION:-v4.3.2}"
CACHE="${TENANTGUARD_CACHE:-$HOME/.cache/tenantguard}"
KEY="helm-${HELM_VERSION}"
BIN="$CACHE/$KEY/bin"
WORK="$CACHE/$KEY/build"

[ -x "$BIN/helm" ] && { echo "$BIN"; exit 0; }
command -v go >/dev/null || { echo "build-helm: no Go toolchain on PATH; install Go >= 1.26" >&2; exit 1; }
mkdir -p "$BIN" "$WORK"
exec 9>"$CACHE/$KEY/.build.lock"
if ! flock -n 9; then
  echo "build-helm: another build of $KEY is running; waiting for it" >&2
  flock 9
fi
[ -x "$BIN/helm" ] && { echo "$BIN"; exit 0; }

log() { printf '[build-helm %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
start=$(date +%s)
export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0
log "go build helm from helm.sh/helm/v4@${HELM_VERSION} (about 2-4 minutes on 2 cores)"
(cd "$WORK" && rm -f go.mod go.sum && go mod init tenantguard.local/helm >/dev/null 2>&1 \
   && printf 'package main\n' > doc.go \
   && printf '//go:build tools\n\npackage main\n\nimport _ "helm.sh/helm/v4/cmd/helm"\n' > tools.go \
   && go get "helm.sh/helm/v4@${HELM_VERSION}" >/dev/null 2>"$WORK/get.log" \
   && go mod tidy -e >/dev/null 2>>"$WORK/get.log" \
   || { cat "$WORK/get.log" >&2; exit 1; })
# helm prints its version from these variables; without them `helm version` says v4-dev.
ld="-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}"
(cd "$WORK" && go build -ldflags "$ld" -o "$BIN/helm.tmp" helm.sh/helm/v4/cmd/helm)
mv "$BIN/helm.tmp" "$BIN/helm"
log "done in $(( $(date +%s) - start ))s -> $BIN"
echo "$BIN"
