#!/usr/bin/env bash
# Build helm from its Go module at a pinned version into the same versioned cache as the control plane, for the
# chart tests (`helm lint`, `helm template`, `helm install` against the dev cluster). Prints the binary's folder.
#
#   scripts/build-helm.sh        helm 4 (helm.sh/helm/v4 v4.3.2): every chart test
#   scripts/build-helm.sh 3      helm 3 (helm.sh/helm/v3 v3.21.4): lint and the rendering compared with helm 4's
#
# Idempotent: a finished binary is never rebuilt; two builds at once are serialised with flock.
set -euo pipefail

case "${1:-4}" in
  4) HELM_VERSION="${TENANTGUARD_HELM_VERSION:-v4.3.2}" ;;
  3) HELM_VERSION="${TENANTGUARD_HELM3_VERSION:-v3.21.4}" ;;
  v*) HELM_VERSION="$1" ;;
  *) echo "build-helm: expected 3, 4 or a version (v4.3.2), got $1" >&2; exit 2 ;;
esac
MAJOR="${HELM_VERSION%%.*}"            # v3 | v4
MODULE="helm.sh/helm/${MAJOR}"
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
log "go build helm from ${MODULE}@${HELM_VERSION} (about 8 minutes on 2 cores)"
(cd "$WORK" && rm -f go.mod go.sum && go mod init tenantguard.local/helm >/dev/null 2>&1 \
   && printf 'package main\n' > doc.go \
   && printf '//go:build tools\n\npackage main\n\nimport _ "%s/cmd/helm"\n' "$MODULE" > tools.go \
   && go get "${MODULE}@${HELM_VERSION}" >/dev/null 2>"$WORK/get.log" \
   && go mod tidy -e >/dev/null 2>>"$WORK/get.log" \
   || { cat "$WORK/get.log" >&2; exit 1; })
# helm prints its version from these variables; without them `helm version` says v4-dev.
ld="-s -w -X ${MODULE}/internal/version.version=${HELM_VERSION}"
if [ "$MAJOR" = v3 ]; then
  # helm 3 takes the Kubernetes version it renders for (.Capabilities.KubeVersion) from these variables, set by its
  # Makefile from client-go's version; unset, it renders for v1.20 and refuses charts that need a newer one.
  client_go=$(cd "$WORK" && go list -m -f '{{.Version}}' k8s.io/client-go)   # v0.N.x -> Kubernetes 1.N
  minor=$(echo "$client_go" | cut -d. -f2)
  for pkg in pkg/lint/rules pkg/chartutil; do
    ld+=" -X ${MODULE}/${pkg}.k8sVersionMajor=1 -X ${MODULE}/${pkg}.k8sVersionMinor=${minor}"
  done
fi
(cd "$WORK" && go build -ldflags "$ld" -o "$BIN/helm.tmp" "${MODULE}/cmd/helm")
mv "$BIN/helm.tmp" "$BIN/helm"
log "done in $(( $(date +%s) - start ))s -> $BIN"
echo "$BIN"
