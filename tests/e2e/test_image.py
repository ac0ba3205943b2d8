"""The Containerfile's build stage, run here: its COPY lines lay out a build context, its RUN line builds the wheel
and installs it with the pinned dependencies (constraints.txt) into /app — here a temporary folder — then the
result runs as the image's entrypoint would (`python3 -m tenantguard.cli`, PYTHONPATH=/app, no writable
bytecode cache, from /).

No container engine runs here (and no base image can be pulled), so the image itself is not built; what it
copies, installs and runs is.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = (ROOT / "Containerfile").read_text()
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]

pytestmark = pytest.mark.e2e


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", CONTAINERFILE)
    rows = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(row.split(None, 1)[0], row.split(None, 1)[1]) for row in rows]


def _build_stage() -> list[tuple[str, str]]:
    stages: list[list[tuple[str, str]]] = []
    for op, arg in _instructions():
        if op == "FROM":
            stages.append([])
        stages[-1].append((op, arg))
    return stages[0]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the build stage leaves in /app."""
    root = tmp_path_factory.mktemp("image")
    context, target, wheels = root / "src", root / "app", root / "wheels"
    context.mkdir()
    commands = []
    for op, arg in _build_stage():
        if op == "COPY":
            *sources, _ = arg.split()
            for source in sources:
                src = ROOT / source.rstrip("/")
                if src.is_dir():
                    shutil.copytree(
                        src, context / source.rstrip("/"), symlinks=True, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(src, context / source)
        elif op == "RUN":
            commands.append(arg.replace("/wheels", str(wheels)).replace("/app", str(target)))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("PYTHONPATH", None)
    for command in commands:
        proc = subprocess.run(
            ["bash", "-ec", command], cwd=context, env=env, capture_output=True, text=True, timeout=900, check=False
        )
        assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return target


def _entrypoint(app: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (final,) = [arg for op, arg in _instructions() if op == "ENTRYPOINT"]
    entry = [sys.executable if word == "python3" else word for word in __import__("json").loads(final)]
    env = {"PYTHONPATH": str(app), "PYTHONDONTWRITEBYTECODE": "1", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    return subprocess.run([*entry, *args], cwd="/", env=env, capture_output=True, text=True, timeout=120, check=False)


def test_the_image_runs_tenantguard_version(app: Path) -> None:
    proc = _entrypoint(app, "--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"tenantguard {VERSION}"


def test_the_image_has_the_pinned_dependencies(app: Path) -> None:
    pins = dict(
        line.split("==") for line in (ROOT / "constraints.txt").read_text().splitlines() if line and line[0] != "#"
    )
    installed = {
        re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version
        for d in importlib.metadata.distributions(path=[str(app)])
    }
    assert installed.pop("tenantguard") == VERSION
    assert installed == pins


def test_the_image_serves_and_audits(app: Path) -> None:
    for command in ("serve", "audit", "lint", "certs"):
        proc = _entrypoint(app, command, "--help")
        assert proc.returncode == 0, proc.stderr
    # The chart's containers start with a subcommand: the entrypoint is the CLI, not a shell.
    assert "--format" in _entrypoint(app, "audit", "--help").stdout


def test_the_final_stage_is_non_root_and_shell_free() -> None:
    final = [(op, arg) for op, arg in _instructions()][[op for op, _ in _instructions()].index("FROM", 1) :]
    assert final[0][1].startswith("gcr.io/distroless/python3-debian12:nonroot")
    assert ("USER", "65532:65532") in final
    (entry,) = [arg for op, arg in final if op == "ENTRYPOINT"]
    assert entry.startswith("[")  # exec form: no /bin/sh -c
    assert not [arg for op, arg in final if op == "RUN"]  # nothing runs a shell in the final image
    chart_values = (ROOT / "charts/tenantguard/templates/_pod.tpl").read_text()
    assert "runAsUser: 65532" in chart_values
