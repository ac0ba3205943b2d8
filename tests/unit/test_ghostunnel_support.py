"""tests/support/ghostunnel.py and mtls_peers.py: the version pins, the args rewrite, kubelet's Secret volume."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest

from tenantguard.policies.rules.mtls.sidecar import sidecar_container
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tests.support import ghostunnel
from tests.support.mtls_peers import project

SIDECAR = sidecar_container(DEFAULT_SETTINGS, "acme", 8000)
MOUNT = SIDECAR["volumeMounts"][0]["mountPath"]


def test_the_tested_ghostunnel_is_the_sidecar_images_version() -> None:
    script = ghostunnel.SCRIPT.read_text()
    (pinned,) = re.findall(r'VERSION="\$\{TENANTGUARD_GHOSTUNNEL_VERSION:-(v[0-9.]+)\}"', script)
    assert pinned == ghostunnel.VERSION
    assert DEFAULT_SETTINGS.mtls.image.rsplit(":", 1)[1].startswith(f"{ghostunnel.VERSION}-")


def test_the_cache_is_beside_the_control_planes(tmp_path: Path) -> None:
    env = {"TENANTGUARD_CACHE": str(tmp_path)}
    assert ghostunnel.cached(env) == tmp_path / f"ghostunnel-{ghostunnel.VERSION}" / "bin" / "ghostunnel"


def test_localised_rewrites_the_mount_and_the_ports_and_keeps_the_rest(tmp_path: Path) -> None:
    args = ghostunnel.localised(SIDECAR, mount=MOUNT, cert_dir=tmp_path, listen=1111, target=2222)
    assert args == [
        "server", "--listen=127.0.0.1:1111", "--target=127.0.0.1:2222",
        f"--cert={tmp_path}/tls.crt", f"--key={tmp_path}/tls.key", f"--cacert={tmp_path}/ca.crt",
        "--allow-uri=spiffe://tenantguard.io/tenant/acme", "--allow-uri=spiffe://tenantguard.io/gateway/llm-gateway",
        "--timed-reload=30s",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        pytest.param(["server", "--listen=:8443", "--target=127.0.0.1:8000"], "expected flags", id="no-certificates"),
        pytest.param([*SIDECAR["args"], f"--keystore={MOUNT}/all.p12"], "expected flags", id="another-file"),
        pytest.param([*SIDECAR["args"], f"@{MOUNT}/flags"], "unexpected use", id="args-file"),
        pytest.param(["--target=10.0.0.1:80", *SIDECAR["args"][1:]], "not this pod's loopback", id="remote-target"),
    ],
)
def test_localised_refuses_what_it_would_not_run_faithfully(args: list[str], problem: str, tmp_path: Path) -> None:
    with pytest.raises(ghostunnel.GhostunnelError, match=problem):
        ghostunnel.localised({**SIDECAR, "args": args}, mount=MOUNT, cert_dir=tmp_path, listen=1, target=2)


def _secret(**files: bytes) -> dict[str, object]:
    return {"data": {k.replace("_", "."): base64.b64encode(v).decode() for k, v in files.items()}}


def test_project_swaps_the_files_as_kubelet_does(tmp_path: Path) -> None:
    project(tmp_path, _secret(tls_crt=b"one", ca_crt=b"ca"))
    first = (tmp_path / "..data").readlink()
    assert (tmp_path / "tls.crt").readlink() == Path("..data/tls.crt") and (tmp_path / "tls.crt").read_bytes() == b"one"
    project(tmp_path, _secret(tls_crt=b"two", ca_crt=b"ca"))
    assert (tmp_path / "..data").readlink() != first and not (tmp_path / first).exists()
    assert (tmp_path / "tls.crt").read_bytes() == b"two" and (tmp_path / "ca.crt").read_bytes() == b"ca"
    dot_entries = {p.name for p in tmp_path.iterdir() if p.name.startswith("..")}
    assert dot_entries == {"..data", (tmp_path / "..data").readlink().name}
