"""The package's bytecode is written ahead (`make bytecode`, `tests/support/bytecode.py`): where
PYTHONDONTWRITEBYTECODE is set nothing else writes it, and every `tenantguard` process would compile its modules."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

from tests.support import bytecode

ROOT = Path(__file__).resolve().parents[2]


def _stale(package: str) -> list[str]:
    """The package's modules whose cached bytecode is missing or does not match the source's mtime and size."""
    stale = []
    for source in sorted((ROOT / package).rglob("*.py")):
        if any(part in ("__pycache__",) for part in source.parts):
            continue
        cached = Path(importlib.util.cache_from_source(str(source)))
        header = cached.read_bytes()[:16] if cached.exists() else b""
        stat = source.stat()
        # PEP 552 header: magic, flags (0: timestamp-based), mtime, source size.
        fresh = (
            len(header) == 16
            and header[:4] == importlib.util.MAGIC_NUMBER
            and int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
            and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
        )
        if not fresh:
            stale.append(str(source.relative_to(ROOT)))
    return stale


def test_ensure_leaves_every_module_with_current_bytecode() -> None:
    bytecode.ensure()
    for package in ("policies", "audit", "webhook", "tenantguard"):
        assert _stale(package) == [], package


@pytest.mark.parametrize("target", ["test", "unit", "e2e", "demo", "bench", "bench-peers"])
def test_the_readme_commands_and_benchmarks_write_it_first(target: str) -> None:
    # -n prints the recipes make would run, prerequisites included, without running them.
    plan = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-m compileall -q -j 0 policies audit webhook tenantguard" in plan
