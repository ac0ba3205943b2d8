"""The wheel: one import name (`tenantguard`), no test support, and a console script that runs installed.

The wheel is built from this checkout with pip (build isolation, as a user's `pip install .` builds it) and
installed into a fresh virtual environment whose only other path entry is the dev venv's site-packages, for
the dependencies; the dev venv's editable hook is not loaded there, so nothing resolves to the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


_NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "tests", "build", "out", "*.egg-info", "__pycache__", ".*_cache", "node_modules"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy of the working tree (symlinks kept): setuptools writes build/ next to the sources.
    source = tmp_path_factory.mktemp("source") / "tenantguard"
    shutil.copytree(ROOT, source, symlinks=True, ignore=_NOT_SOURCES)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (found,) = out.glob("tenantguard-*.whl")
    return found


def test_wheel_claims_only_the_tenantguard_name(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    version = wheel.name.split("-")[1]
    assert {n.split("/")[0] for n in names} == {"tenantguard", f"tenantguard-{version}.dist-info"}
    for package in ("policies", "webhook", "audit"):
        assert any(n.startswith(f"tenantguard/{package}/") for n in names), package
    test_support = [n for n in names if n.rsplit("/", 1)[-1] in ("fixtures.py", "testing.py", "webhook_runner.py")]
    assert test_support == [], "test helpers ship in tests/, never in the wheel"


def test_installed_wheel_runs_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Dependencies from the dev venv, as a plain path entry: its .pth files (the editable hook) do not run.
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    installed = sorted(p.name for p in purelib.iterdir() if p.name != "deps.pth" and not p.name.startswith("_"))
    assert [n for n in installed if not n.endswith(".dist-info")] == ["tenantguard"]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import tenantguard.policies.engine as e, tenantguard.audit.lint, tenantguard.webhook.app; "
            "print(e.__file__)",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip().startswith(str(purelib)), "modules come from the installed wheel"
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(
        "apiVersion: tenantguard.io/v1alpha1\nkind: Tenant\nmetadata: {name: t}\n"
        "spec: {namespaces: [t-prod], podSecurity: baseline, mtls: {mode: none}}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: t-prod}\n"
        "spec: {containers: [{name: c, image: nginx}]}\n"
    )
    lint = subprocess.run(
        [str(venv / "bin" / "tenantguard"), "lint", str(manifest)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stderr
    docs = subprocess.run(
        [str(venv / "bin" / "tenantguard"), "docs", "crd"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert docs.returncode == 0 and "kind: CustomResourceDefinition" in docs.stdout, docs.stderr
