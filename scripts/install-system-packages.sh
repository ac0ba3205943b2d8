#!/usr/bin/env bash
# Debian packages the test suite and the demo use, installed when missing (both README commands call this).
#
#   chromium     headless screenshots of the HTML audit report (tests/e2e/test_html_report_browser.py)
#   prometheus   real Prometheus and promtool for the usage reports' metrics and history tests
#   haproxy      the load balancer in front of two webhook replicas (tests/e2e/test_load_faults.py, bench_faults)
#   util-linux   flock (serialises builds into the shared cache) and taskset (benchmarks)
#
# Installs with apt-get as root, or through `sudo -n` when that works; otherwise it says exactly what to run
# and fails: the tests never skip what they need.
set -euo pipefail

# command -> Debian package
declare -A NEED=(
  [chromium]=chromium
  [prometheus]=prometheus
  [haproxy]=haproxy
  [promtool]=prometheus
  [flock]=util-linux
  [taskset]=util-linux
)
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${NEED[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')

if [ "$(id -u)" -eq 0 ]; then
  run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n)
else
  echo "install-system-packages: missing Debian packages: $packages" >&2
  echo "  run: sudo apt-get update && sudo apt-get install -y --no-install-recommends $packages" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-packages: no apt-get here; install these packages with your system's tools: $packages" >&2
  exit 1
fi
echo "install-system-packages: installing $packages" >&2
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get update -qq
# shellcheck disable=SC2086
"${run[@]}" apt-get install -y -qq --no-install-recommends $packages >/dev/null
