#!/usr/bin/env bash
# Build the tools tenantguard is compared with (tests/bench/bench_peers.py) from their Go modules, at pinned
# versions, into a versioned cache outside the repo — the control plane's arrangement. Nothing built here is
# committed; the binaries stay in the cache.
#
#   kyverno          <- github.com/kyverno/kyverno/cmd/cli/kubectl-kyverno   (the CLI: `kyverno apply`)
#   kyverno-server   <- github.com/kyverno/kyverno/cmd/kyverno                (the admission controller)
#   gator            <- github.com/open-policy-agent/gatekeeper/v3/cmd/gator  (`gator test`)
#   kube-linter      <- golang.stackrox.io/kube-linter/cmd/kube-linter        (`kube-linter lint`)
#   polaris          <- github.com/fairwindsops/polaris                        (`polaris audit --audit-path`)
#
# kube-linter and Polaris are refused by the module proxy used here, for the version list and exact versions alike
# (checked 2026-12-06 with `go list -m -versions` and `GOFLAGS=-mod=mod go mod download`):
#   go: module golang.stackrox.io/kube-linter: reading https://proxy.golang.org/golang.stackrox.io/kube-linter/@v/list: 403 Forbidden
#   go: module github.com/stackrox/kube-linter: reading .../@v/list: 403 Forbidden / server response: This module version is not available.
#   go: module github.com/fairwindsops/polaris (and /v9, /v10): reading .../@v/list: 403 Forbidden / server response: This module version is not available.
# Their dependencies are served, so each is built from its own source at the pinned tag when the proxy refuses it:
# TENANTGUARD_KUBE_LINTER_GIT / TENANTGUARD_POLARIS_GIT name a git repository of the tool (a clone or a snapshot;
# `git archive <tag>` takes the tag's tree). Without one, the build fails with the proxy's refusal, which
# bench_peers.py records; it compares the rest.
#
# Each wrapper module requires the peer and carries the peer's own replace directives (Kyverno replaces
# k8s.io/pod-security-admission with its fork), so `go build` resolves what the peer's release resolves.
# Idempotent: finished binaries are never rebuilt; two builds at once wait for each other (flock).
#
#   scripts/build-peers.sh [kyverno|kyverno-server|gator]...   prints the bin directory
#   scripts/build-peers.sh kube-linter|polaris                  prints that tool's bin directory
set -euo pipefail

KYVERNO_VERSION="${TENANTGUARD_KYVERNO_VERSION:-v1.19.1}"
GATEKEEPER_VERSION="${TENANTGUARD_GATEKEEPER_VERSION:-v3.23.1}"
KUBE_LINTER_VERSION="${TENANTGUARD_KUBE_LINTER_VERSION:-v0.8.3}"
POLARIS_VERSION="${TENANTGUARD_POLARIS_VERSION:-v10.2.2}"
CACHE="${TENANTGUARD_CACHE:-$HOME/.cache/tenantguard}"

# from_source NAME MODULE VERSION GIT PACKAGE: the tool built from the module proxy's copy of MODULE@VERSION, or,
# where the proxy refuses it, from the VERSION tag of the git repository GIT; its own go.mod and go.sum decide
# every dependency (served by the proxy). Prints the bin directory.
from_source() {
  local name="$1" mod="$2" ver="$3" git="$4" pkg="$5"
  local root="$CACHE/peers_${name}-${ver}" refusal src
  # How the cached binary was built (the module proxy, or a tag of a source repository), said on every call.
  if [ -x "$root/bin/$name" ]; then cat "$root/built-from" >&2 2>/dev/null || true; echo "$root/bin"; return 0; fi
  command -v go >/dev/null || { echo "build-peers: no Go toolchain on PATH; install Go >= 1.26" >&2; exit 1; }
  mkdir -p "$root/bin"
  exec 8>"$root/.build.lock"
  flock 8
  if [ -x "$root/bin/$name" ]; then cat "$root/built-from" >&2 2>/dev/null || true; echo "$root/bin"; return 0; fi
  export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0
  if src=$(cd "$root" && GOFLAGS=-mod=mod go mod download -json "${mod}@${ver}" 2>&1 | sed -n 's/.*"Dir": "\(.*\)".*/\1/p') \
    && [ -n "$src" ] && [ -d "$src" ]; then
    echo "${name}: built from ${mod}@${ver} as the module proxy serves it" > "$root/built-from.tmp"
  else
    refusal=$(cd "$root" && GOFLAGS=-mod=mod go mod download "${mod}@${ver}" 2>&1 | tr '\n' ' ' | cut -c1-300 || true)
    if [ -z "$git" ]; then
      echo "build-peers: $name: the module proxy refuses ${mod}@${ver} (${refusal}); set" \
        "TENANTGUARD_$(echo "$name" | tr 'a-z-' 'A-Z_')_GIT to a git repository of it to build its ${ver} tag" >&2
      exit 1
    fi
    src="$root/src"
    rm -rf "$src" && mkdir -p "$src"
    git -C "$git" archive "$ver" | tar -x -C "$src" || { echo "build-peers: $name: no tag $ver in $git" >&2; exit 1; }
    echo "${name}: built from tag ${ver} of ${git}: the module proxy refuses it (${refusal})" > "$root/built-from.tmp"
  fi
  printf '[build-peers %s] go build %s (a few minutes on 2 cores)\n' "$(date +%H:%M:%S)" "$name" >&2
  (cd "$src" && go build -ldflags "-s -w" -o "$root/bin/$name.tmp" "$pkg")
  mv "$root/built-from.tmp" "$root/built-from"
  mv "$root/bin/$name.tmp" "$root/bin/$name"
  cat "$root/built-from" >&2
  echo "$root/bin"
}

case "${1:-}" in
  kube-linter)
    from_source kube-linter golang.stackrox.io/kube-linter "$KUBE_LINTER_VERSION" "${TENANTGUARD_KUBE_LINTER_GIT:-}" \
      ./cmd/kube-linter
    exit 0
    ;;
  polaris)
    from_source polaris github.com/fairwindsops/polaris "$POLARIS_VERSION" "${TENANTGUARD_POLARIS_GIT:-}" .
    exit 0
    ;;
esac
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
