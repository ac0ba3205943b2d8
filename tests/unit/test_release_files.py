"""What a release carries besides the code: the pinned dependencies the image installs, and `--version`."""

from __future__ import annotations

import runpy
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_constraints_pin_what_the_tests_run_with() -> None:
    render = runpy.run_path(str(ROOT / "scripts" / "constraints.py"))["render"]
    assert (ROOT / "constraints.txt").read_text() == render(), (
        "constraints.txt is stale: .venv/bin/python scripts/constraints.py > constraints.txt"
    )


def test_tenantguard_version_is_the_distribution_version() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    exe = Path(sys.executable).with_name("tenantguard")
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=False)
    assert (proc.returncode, proc.stdout) == (0, f"tenantguard {version}\n")
    chart = yaml.safe_load((ROOT / "charts/tenantguard/Chart.yaml").read_text())
    assert chart["appVersion"] == version  # the image tag the chart runs by default
