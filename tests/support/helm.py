"""helm for the chart tests: the binary scripts/build-helm.sh builds into the cache, and rendering helpers.

The binary is found (or built, once, under a lock) by running the script, which prints its folder; a test
that needs helm therefore fails with the build's reason, never skips.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "tenantguard"


class HelmError(AssertionError):
    """helm exited non-zero; the message carries its stderr."""


@functools.cache
def helm_bin() -> Path:
    if os.environ.get("TENANTGUARD_HELM"):
        return Path(os.environ["TENANTGUARD_HELM"])
    proc = subprocess.run(
        [str(ROOT / "scripts" / "build-helm.sh")], capture_output=True, text=True, timeout=1800, check=False
    )
    if proc.returncode != 0:
        raise HelmError(f"scripts/build-helm.sh exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return Path(proc.stdout.strip().splitlines()[-1]) / "helm"


def helm(*args: str, check: bool = True, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    run_env = {**os.environ, **(env or {})}
    proc = subprocess.run(
        [str(helm_bin()), *args], capture_output=True, text=True, timeout=300, env=run_env, check=False
    )
    if check and proc.returncode != 0:
        raise HelmError(f"helm {' '.join(args)} exited {proc.returncode}: {proc.stderr.strip()}")
    return proc


def set_args(values: Mapping[str, Any] | None) -> list[str]:
    """Values as one --set-json per top-level key (exact types: lists stay lists, numbers numbers)."""
    import json

    return [arg for key, value in (values or {}).items() for arg in ("--set-json", f"{key}={json.dumps(value)}")]


def template(
    values: Mapping[str, Any] | None = None,
    *,
    release: str = "tenantguard",
    namespace: str = "tenantguard-system",
    extra: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Every object `helm template` renders, CRDs included."""
    out = helm(
        "template", release, str(CHART), "--namespace", namespace, "--include-crds", *set_args(values), *extra
    ).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


def find(objs: Iterable[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    matches = [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]
    if len(matches) != 1:
        raise AssertionError(f"expected one {kind} {name or ''}, found {len(matches)}")
    return matches[0]
