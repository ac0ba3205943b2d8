#!/usr/bin/env bash
# Build the dev cluster's binaries from their Go modules into a versioned cache outside the repo.
#
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  <- k8s.io/kubernetes
#   etcd                                                              <- go.etcd.io/etcd/server/v3
#   kwok                                                              <- sigs.k8s.io/kwok
#
# k8s.io/kubernetes replaces every k8s.io/* staging module with a local path, which a
# consumer cannot follow; the build module therefore replaces each one with the published
# v0.<minor>.<patch> of the same release. Idempotent: finished binaries are never rebuilt.
set -euo pipefail

K8S_VERSION="${TENANTGUARD_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${TENANTGUARD_ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${TENANTGUARD_KWOK_VERSION:-v0.8.0}"
CACHE="${TENANTGUARD_CACHE:-$HOME/.cache/tenantguard}"
KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
BIN="$CACHE/$KEY/bin"
WORK="$CACHE/$KEY/build"

need=()
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
  [ -x "$BIN/$b" ] || need+=("$b")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { echo "build-control-plane: no Go toolchain on PATH; install Go >= 1.26 or set KUBEBUILDER_ASSETS" >&2; exit 1; }
mkdir -p "$BIN" "$WORK"
# Two builds at once (`make demo` and `make test` in two terminals) would race on the same *.tmp files: the
# second waits for the first, then finds the binaries built.
exec 9>"$CACHE/$KEY/.build.lock"
if ! flock -n 9; then
  echo "build-control-plane: another build of $KEY is running; waiting for it" >&2
  flock 9
fi
need=()
for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok; do
  [ -x "$BIN/$b" ] || need+=("$b")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "$BIN"
  exit 0
fi
export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0
log() { printf '[build-control-plane %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
start=$(date +%s)

build_kubernetes() {
  local dir="$WORK/kubernetes" minor="${K8S_VERSION#v1.}"
  mkdir -p "$dir"
  local staging="v0.${minor}"
  log "resolving k8s.io/kubernetes@${K8S_VERSION} (staging modules at ${staging})"
  local gomod
  gomod=$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module tenantguard.local/controlplane"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    echo "replace ("
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } > "$dir/go.mod"
  printf 'package main\n' > "$dir/doc.go"
  cat > "$dir/tools.go" <<'GO'
//go:build tools

package main

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  log "go mod tidy (downloads the module graph on first run)"
  (cd "$dir" && go mod tidy -e >/dev/null 2>"$dir/tidy.log" || { cat "$dir/tidy.log" >&2; exit 1; })
  local pkg="k8s.io/component-base/version" cpkg="k8s.io/client-go/pkg/version"
  local ld="-s -w"
  for p in $pkg $cpkg; do
    ld+=" -X $p.gitVersion=${K8S_VERSION} -X $p.gitMajor=1 -X $p.gitMinor=${minor%%.*} -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [ -x "$BIN/$b" ] && continue
    log "go build $b (the first, kube-apiserver, takes 3-5 minutes on 2 cores; the others reuse its packages)"
    (cd "$dir" && go build -ldflags "$ld" -o "$BIN/$b.tmp" "k8s.io/kubernetes/cmd/$b")
    mv "$BIN/$b.tmp" "$BIN/$b"
    log "built $b"
  done
}

build_simple() { # name module version package
  local name="$1" mod="$2" ver="$3" pkg="$4" dir="$WORK/$1"
  [ -x "$BIN/$name" ] && return 0
  mkdir -p "$dir"
  log "go build $name from ${mod}@${ver}"
  (cd "$dir" && rm -f go.mod go.sum && go mod init "tenantguard.local/$name" >/dev/null 2>&1 \
     && printf 'package main\n' > doc.go \
     && printf '//go:build tools\n\npackage main\n\nimport _ "%s"\n' "$pkg" > tools.go \
     && go get "${mod}@${ver}" >/dev/null 2>"$dir/get.log" && go mod tidy -e >/dev/null 2>>"$dir/get.log" \
     || { cat "$dir/get.log" >&2; exit 1; })
  (cd "$dir" && go build -ldflags "-s -w" -o "$BIN/$name.tmp" "$pkg")
  mv "$BIN/$name.tmp" "$BIN/$name"
  log "built $name"
}

build_simple etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/server/v3
build_simple kwok sigs.k8s.io/kwok "$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
build_kubernetes
log "done in $(( $(date +%s) - start ))s -> $BIN"
echo "$BIN"
