"""Where the control plane's executables come from.

In order: an explicit directory (``--bin-dir`` / ``TENANTGUARD_DEVCLUSTER_BIN_DIR``), then
``KUBEBUILDER_ASSETS`` (envtest's layout: ``etcd``, ``kube-apiserver`` and ``kubectl``; the dev
cluster also needs ``kube-controller-manager``, ``kube-scheduler`` and ``kwok`` beside them), then
the versioned build cache that ``scripts/build-control-plane.sh`` fills, building it when empty.
A directory that lacks something is an error naming what it lacks: mixing binaries from two
places silently is how one ends up debugging a version skew.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Keep in step with the defaults in scripts/build-control-plane.sh (a unit test checks).
K8S_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"

ENVTEST_BINARIES = ("etcd", "kube-apiserver", "kubectl")
EXTRA_BINARIES = ("kube-controller-manager", "kube-scheduler", "kwok")
ALL_BINARIES = ENVTEST_BINARIES + EXTRA_BINARIES

BIN_DIR_ENV = "TENANTGUARD_DEVCLUSTER_BIN_DIR"
ASSETS_ENV = "KUBEBUILDER_ASSETS"


class BinariesError(RuntimeError):
    """The binaries cannot be had; the message says why and what to do."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Binaries:
    directory: Path
    source: str  # human-readable: "KUBEBUILDER_ASSETS", "build cache", ...

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def kubectl(self) -> Path:
        return self.path("kubectl")


def versions(env: Mapping[str, str]) -> tuple[str, str, str]:
    """The pinned versions, with the build script's environment overrides."""
    return (
        env.get("TENANTGUARD_K8S_VERSION", K8S_VERSION),
        env.get("TENANTGUARD_ETCD_VERSION", ETCD_VERSION),
        env.get("TENANTGUARD_KWOK_VERSION", KWOK_VERSION),
    )


def cache_bin_dir(env: Mapping[str, str]) -> Path:
    """Mirror the build script's ``$CACHE/$KEY/bin``."""
    cache = Path(env.get("TENANTGUARD_CACHE") or Path(env.get("HOME", "~")) / ".cache" / "tenantguard")
    k8s, etcd, kwok = versions(env)
    return cache.expanduser() / f"k8s-{k8s}_etcd-{etcd}_kwok-{kwok}" / "bin"


def missing_in(directory: Path, names: tuple[str, ...] = ALL_BINARIES) -> list[str]:
    return [name for name in names if not os.access(directory / name, os.X_OK)]


def _require_complete(directory: Path, source: str) -> Binaries:
    if not directory.is_dir():
        raise BinariesError(f"{source}: {directory} is not a directory")
    missing = missing_in(directory)
    if missing:
        envtest_note = ""
        if source == ASSETS_ENV and not missing_in(directory, ENVTEST_BINARIES):
            envtest_note = (
                " (envtest ships only etcd, kube-apiserver and kubectl; the dev cluster also runs"
                " kube-controller-manager, kube-scheduler and kwok)"
            )
        raise BinariesError(
            f"{source}={directory} lacks {', '.join(missing)}{envtest_note}. Put them beside the others,"
            f" or unset {source} to use the build cache (scripts/build-control-plane.sh)."
        )
    return Binaries(directory=directory, source=source)


def build_script() -> Path | None:
    """The build script of the repository checkout this package runs from, if any."""
    candidate = Path(__file__).resolve().parents[2] / "scripts" / "build-control-plane.sh"
    return candidate if candidate.is_file() else None


def build(script: Path, env: Mapping[str, str]) -> Path:
    """Run the build script, its progress on our stderr; return the bin dir it prints last."""
    print(
        f"dev-cluster: building the control plane with {script} (first run: ~7 minutes on 2 cores)",
        file=sys.stderr,
    )
    proc = subprocess.run(
        ["bash", str(script)], stdout=subprocess.PIPE, stderr=None, text=True, env=dict(env), check=False
    )
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise BinariesError(f"{script} failed with exit code {proc.returncode}; its log is above on stderr")
    return Path(lines[-1])


def resolve(*, bin_dir: Path | None = None, env: Mapping[str, str] | None = None, allow_build: bool = True) -> Binaries:
    env = os.environ if env is None else env
    if bin_dir is not None:
        return _require_complete(bin_dir, "--bin-dir")
    if env.get(BIN_DIR_ENV):
        return _require_complete(Path(env[BIN_DIR_ENV]), BIN_DIR_ENV)
    if env.get(ASSETS_ENV):
        return _require_complete(Path(env[ASSETS_ENV]), ASSETS_ENV)
    cached = cache_bin_dir(env)
    if cached.is_dir() and not missing_in(cached):
        return Binaries(directory=cached, source="build cache")
    script = build_script()
    if not allow_build or script is None:
        where = "no repository checkout to build from" if script is None else "building disabled"
        raise BinariesError(
            f"no control-plane binaries: {cached} lacks {', '.join(missing_in(cached))} and {where};"
            f" set {ASSETS_ENV} or {BIN_DIR_ENV} to a directory holding {', '.join(ALL_BINARIES)}"
        )
    built = build(script, env)
    return _require_complete(built, "build cache")
