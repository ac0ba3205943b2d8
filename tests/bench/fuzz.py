"""The fuzz properties of the suite with a large budget: admission edge (/validate, /mutate) and lint.

    python tests/bench/fuzz.py [--examples 20000]

Runs tests/unit/test_webhook_fuzz.py and tests/unit/test_lint_fuzz.py with TENANTGUARD_FUZZ_EXAMPLES set, and
prints the inputs tried per property and the outcome (crashes, unexpected 5xx: pytest reports any failing
example, shrunk). Figures, never a timing pass/fail.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=20_000, help="examples per property")
    args = parser.parse_args()
    env = {**os.environ, "TENANTGUARD_FUZZ_EXAMPLES": str(args.examples)}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-show-statistics",
         "tests/unit/test_webhook_fuzz.py", "tests/unit/test_lint_fuzz.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    tried = re.findall(
        r"- during generate phase \(([\d.]+) seconds\):\s+- Typical runtimes: [^\n]*\n\s+- (\d+) passing", proc.stdout
    )
    print(proc.stdout[-3000:])
    print(f"examples per property: {args.examples:,}; properties: {len(tried)}; wall time {elapsed:.0f} s")
    print(f"generated and passed: {sum(int(n) for _, n in tried):,} examples" if tried else "")
    print("outcome:", "no crash, no unexpected 5xx, no traceback" if proc.returncode == 0 else "FAILURES above")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
