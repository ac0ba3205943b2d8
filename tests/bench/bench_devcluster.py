"""How long `tenantguard dev-cluster up` takes from the binary cache, after a `down`.

    python tests/bench/bench_devcluster.py --runs 5

Each run is the real command in a fresh process: `up` into a temporary state directory (timed
until it prints KUBECONFIG=, i.e. /readyz answers and the simulated nodes are Ready), then `down`.
Exits 1 when the median exceeds the budget (20 s, the issue's target).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _devcluster(*args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "tenantguard.cli", "dev-cluster", *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def bench(runs: int, state_dir: Path) -> list[float]:
    timings = []
    for run in range(1, runs + 1):
        started = time.perf_counter()
        up = _devcluster("up", "--state-dir", str(state_dir))
        elapsed = time.perf_counter() - started
        expected = f"KUBECONFIG={state_dir / 'admin.kubeconfig'}"
        if up.returncode != 0 or not up.stdout.strip().endswith(expected):
            _devcluster("down", "--state-dir", str(state_dir))
            raise SystemExit(f"run {run}: up failed ({up.returncode}):\n{up.stderr}")
        started = time.perf_counter()
        down = _devcluster("down", "--state-dir", str(state_dir))
        down_elapsed = time.perf_counter() - started
        if down.returncode != 0:
            raise SystemExit(f"run {run}: down failed ({down.returncode}):\n{down.stderr}")
        timings.append(elapsed)
        print(f"run {run}: up {elapsed:.2f} s  (down {down_elapsed:.2f} s)", flush=True)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds the median may take")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-") as tmp:
        timings = bench(args.runs, Path(tmp) / "dev-cluster")
    median = statistics.median(timings)
    spread = f"min {min(timings):.2f}, max {max(timings):.2f}; budget {args.budget:.0f} s"
    print(f"median up: {median:.2f} s over {len(timings)} runs ({spread})")
    return 0 if median <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
