"""Bytecode for the package, written before anything times a `tenantguard` process.

Where PYTHONDONTWRITEBYTECODE is set (this machine; most Python container images), an editable install never
gets its bytecode written, and each process compiles every module it imports whose cached bytecode is missing or
stale: ~0.1 s of each start, more or less depending on which files were edited since. `make bytecode` does the
same for the README's commands; a benchmark run directly does it here, so that its figures never include it.
"""

from __future__ import annotations

import compileall
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("policies", "audit", "webhook", "tenantguard")  # tenantguard/ links to the first three


def ensure() -> None:
    for package in PACKAGES:
        # compile_dir does not follow tenantguard/'s links: each tree is compiled once, under its own name.
        if not compileall.compile_dir(str(ROOT / package), quiet=1, workers=0):
            raise RuntimeError(f"cannot compile {package}/: run `python -m compileall {package}` to see why")
