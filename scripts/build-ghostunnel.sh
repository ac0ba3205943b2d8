#!/usr/bin/env bash
# Build ghostunnel, the TLS proxy the native mTLS sidecar runs, into the versioned cache beside the control
# plane's, for the end-to-end tests that start it with the args the webhook injects.
#
#   from source, when a copy with its vendor tree is present (offline, no module proxy):
#     $TENANTGUARD_THIRD_PARTY/ghostunnel-<version>, else ../shared/third_party/ghostunnel-<version> beside
#     this checkout or beside its main worktree       -> go build -mod=vendor
#   else from the module proxy                        -> go install github.com/ghostunnel/ghostunnel@<version>
#
# Keep the version in step with the sidecar's default image (policies/settings.py; a unit test checks).
# Idempotent: a finished binary is never rebuilt. Two builds at once wait for each other (flock).
set -euo pipefail

VERSION="${TENANTGUARD_GHOSTUNNEL_VERSION:-v1.11.1}"
CACHE="${TENANTGUARD_CACHE:-$HOME/.cache/tenantguard}"
KEY="ghostunnel-${VERSION}"
BIN="$CACHE/$KEY/bin"
OUT="$BIN/ghostunnel"

if [ -x "$OUT" ]; then
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { echo "build-ghostunnel: no Go toolchain on PATH; install Go >= 1.25" >&2; exit 1; }
mkdir -p "$BIN"
exec 9>"$CACHE/$KEY/.build.lock"
if ! flock -n 9; then
  echo "build-ghostunnel: another build of $KEY is running; waiting for it" >&2
  flock 9
fi
if [ -x "$OUT" ]; then
  echo "$OUT"
  exit 0
fi
log() { printf '[build-ghostunnel %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
start=$(date +%s)

repo="$(cd "$(dirname "$0")/.." && pwd)"
candidates=()
[ -n "${TENANTGUARD_THIRD_PARTY:-}" ] && candidates+=("$TENANTGUARD_THIRD_PARTY")
candidates+=("$repo/../shared/third_party")
# A worktree (/work/wt/<topic>) finds the copy beside the main checkout.
if common="$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)"; then
  candidates+=("$(dirname "$common")/../shared/third_party")
fi
src=""
for dir in "${candidates[@]}"; do
  if [ -f "$dir/ghostunnel-$VERSION/go.mod" ] && [ -d "$dir/ghostunnel-$VERSION/vendor" ]; then
    src="$(cd "$dir/ghostunnel-$VERSION" && pwd)"
    break
  fi
done

# Static, reproducible: no cgo (PKCS#11 and the macOS keychain are not used), no VCS stamp, the release's
# version string in `ghostunnel --version`.
export CGO_ENABLED=0
flags=(-trimpath -buildvcs=false -ldflags "-s -w -X main.version=${VERSION}")
if [ -n "$src" ]; then
  log "go build -mod=vendor from $src (about 30 s on 2 cores)"
  (cd "$src" && GOFLAGS= go build -mod=vendor "${flags[@]}" -o "$OUT.tmp" .)
else
  log "no vendored copy found; go install github.com/ghostunnel/ghostunnel@${VERSION}"
  tmpbin="$CACHE/$KEY/gobin"
  rm -rf "$tmpbin" && mkdir -p "$tmpbin"
  GOBIN="$tmpbin" go install "${flags[@]}" "github.com/ghostunnel/ghostunnel@${VERSION}"
  mv "$tmpbin/ghostunnel" "$OUT.tmp"
  rm -rf "$tmpbin"
fi
mv "$OUT.tmp" "$OUT"
log "built ghostunnel ${VERSION} in $(( $(date +%s) - start ))s -> $OUT"
echo "$OUT"
