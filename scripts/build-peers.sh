#!/usr/bin/env bash
# Build the tools tenantguard is compared with (tests/bench/bench_peers.py) from their Go modules, at pinned
# versions, into a versioned cache outside the repo — the control plane's arrangement. Nothing built here is
# committed; the binaries stay in the cache.
#
#   kyverno          <- github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno   (the CLI: `kyverno apply`)
#   kyverno-server   <- github.com/kyverno/kyverno/cmd/kyverno                (the admission controller)
#   gator            <- github.com/open-policy-agent/gatekeeper/v3/cmd/gator  (`gator test`)
#
# kube-linter and Polaris are refused by the module proxy used here, for the version list and exact versions alike
# (checked 2026-12-06 with `go list -m -versions` and `GOFLAGS=-mod=mod go mod download`):
#   go: module golang.stackrox.io/kube-linter: reading https://proxy.golang.org/golang.stackrox.io/kube-linter/@v/list: 403 Forbidden
#   go: module github.com/stackrox/kube-linter: reading .../@v/list: 403 Forbidden / server response: This module version is not available.
#   go: module github.com/fairwindsops/polaris (and /v9, /v10): reading .../@v/list: 403 Forbidden / server response: This module version is not available.
# bench_peers.py asks again on every run and records the answer; it compares the rest.
#
# Each wrapper module requires the peer and carries the peer's own replace directives (Kyverno replaces
# k8s.io/pod-security-admission with its fork), so `go build` resolves what the peer's release resolves.
# Idempotent: finished binaries are never rebuilt; two builds at once wait for each other (flock).
#
#   scripts/build-peers.sh [kyverno|kyverno-server|gator]...   prints the bin directory
set -euo pipefail

KYVERNO_VERSION="${TENANTGUARD_KYVERNO_VERSION:-v1.19.1}"
GATEKEEPER_VERSION="${TENANTGUARD_GATEKEEPER_VERSION:-v3.23.1}"
CACHE="${TENANTGUARD_CACHE:-$HOME/.cache/tenantguard}"
KEY="peers_kyverno-${KYVERNO_VERSION}_gatekeeper-${GATEKEEPER_VERSION}"
BIN="$CACHE/$KEY/bin"
WORK="$CACHE/$KEY/build"
ALL=(kyverno kyverno-server gator)
wanted=("$@")
[ ${#wanted[@]} -eq 0 ] && wanted=("${ALL[@]}")

missing() {
  local b
  for b in "${wanted[@]}"; do [ -x "$BIN/$b" ] || return 0; done
  return 1
}
if ! missing; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { echo "build-peers: no Go toolchain on PATH; install Go >= 1.26" >&2; exit 1; }
mkdir -p "$BIN" "$WORK"
exec 9>"$CACHE/$KEY/.build.lock"
if ! flock -n 9; then
  echo "build-peers: another build of $KEY is running; waiting for it" >&2
  flock 9
fi
export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0
log() { printf '[build-peers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# wrapper NAME MODULE VERSION: a module in $WORK/NAME that requires MODULE@VERSION with MODULE's replaces.
wrapper() {
  local name="$1" mod="$2" ver="$3" dir="$WORK/$1" gomod
  mkdir -p "$dir"
  [ -f "$dir/go.sum" ] && return 0
  log "resolving ${mod}@${ver}"
  gomod=$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "${mod}@${ver}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module tenantguard.local/$name"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")"
    echo
    echo "require ${mod} ${ver}"
    echo
    # Single-line replaces that do not point at a local path (a consumer cannot follow those).
    grep -E '^replace [^ ]+( v[^ ]+)? => [^.][^ ]* v[^ ]+$' "$gomod" || true
    # Block form: replace ( ... )
    awk '/^replace \($/{inb=1; next} inb && /^\)$/{inb=0} inb && $0 !~ /=> \./ {print "replace" $0}' "$gomod"
  } > "$dir/go.mod"
  printf 'package main\n' > "$dir/doc.go"
  log "go mod tidy for $name (downloads the module graph on first run)"
  (cd "$dir" && go mod tidy -e >/dev/null 2>"$dir/tidy.log") || { cat "$dir/tidy.log" >&2; exit 1; }
}

# build NAME WRAPPER PACKAGE [ldflags...]
build() {
  local name="$1" wrap="$2" pkg="$3" ld="${4:-}"
  [ -x "$BIN/$name" ] && return 0
  printf '//go:build tools\n\npackage main\n\nimport _ "%s"\n' "$pkg" > "$WORK/$wrap/tools_$name.go"
  (cd "$WORK/$wrap" && go mod tidy -e >/dev/null 2>>"$WORK/$wrap/tidy.log")
  log "go build $name ($pkg; several minutes on 2 cores)"
  local t0; t0=$(date +%s)
  (cd "$WORK/$wrap" && go build -ldflags "-s -w $ld" -o "$BIN/$name.tmp" "$pkg")
  mv "$BIN/$name.tmp" "$BIN/$name"
  log "built $name in $(( $(date +%s) - t0 ))s"
}

for b in "${wanted[@]}"; do
  case "$b" in
    kyverno|kyverno-server)
      wrapper kyverno github.com/kyverno/kyverno "$KYVERNO_VERSION"
      ver="-X github.com/kyverno/kyverno/pkg/version.BuildVersion=${KYVERNO_VERSION}"
      if [ "$b" = kyverno ]; then
        build kyverno kyverno github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno "$ver"
      else
        build kyverno-server kyverno github.com/kyverno/kyverno/cmd/kyverno "$ver"
      fi
      ;;
    gator)
      wrapper gatekeeper github.com/open-policy-agent/gatekeeper/v3 "$GATEKEEPER_VERSION"
      build gator gatekeeper github.com/open-policy-agent/gatekeeper/v3/cmd/gator
      ;;
    *) echo "build-peers: unknown peer $b (known: ${ALL[*]})" >&2; exit 2 ;;
  esac
done
echo "$BIN"
