"""Client-certificate authentication (`serve --client-ca`): real handshakes against local servers.

Every server kind `tenantguard serve` can run on (tests/support/tls_servers.py) is probed with no certificate, a
certificate from another CA and one from the client CA — before and after the serving pair and the CA are rotated,
since each handshake is handed the context of the pair last loaded (webhook/tls.py) and that context must verify too.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tenantguard.webhook import certs, pki
from tenantguard.webhook.tls import ReloadingContext
from tests.support.tls_servers import KINDS, serving

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True, kw_only=True)
class Setup:
    dir: Path
    client_ca: Path  # the file the server trusts
    clients: dict[str, tuple[Path, Path] | None]  # name -> (cert, key) a client presents

    def reloading(self) -> ReloadingContext:
        return ReloadingContext(self.dir / "tls.crt", self.dir / "tls.key", self.client_ca)


def _client(directory: Path, name: str, ca: pki.Authority) -> tuple[Path, Path]:
    return pki.write_pair(directory, name, pki.issue_client(ca, user=name))


@pytest.fixture
def setup(tmp_path: Path) -> Setup:
    certs.ensure(tmp_path, ["localhost"], ["127.0.0.1"])
    apiserver_ca, other_ca = pki.new_authority("webhook-client-ca"), pki.new_authority("cluster-ca")
    pki.write_public(tmp_path / "client-ca.crt", apiserver_ca.cert_pem)
    clients: dict[str, tuple[Path, Path] | None] = {
        "none": None,
        "other-ca": _client(tmp_path, "alice", other_ca),  # e.g. a user certificate of the cluster's CA
        "client-ca": _client(tmp_path, "kube-apiserver", apiserver_ca),
    }
    return Setup(dir=tmp_path, client_ca=tmp_path / "client-ca.crt", clients=clients)


def _answered(port: int, ca: Path, client: tuple[Path, Path] | None, *, tls12: bool = False) -> bool:
    """One request on a new connection: True when the server answered it, False when the handshake was refused
    (with TLS 1.3 the client learns it at its first read: the server's alert follows the client's Finished)."""
    ctx = ssl.create_default_context(cafile=str(ca))
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    if client is not None:
        ctx.load_cert_chain(*client)
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            ctx.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            tls.sendall(b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
            return tls.recv(4096).startswith(b"HTTP/1.1 200")
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return False


def _verdicts(port: int, setup: Setup) -> dict[str, bool]:
    ca = setup.dir / "ca.crt"
    found = {}
    for name, client in setup.clients.items():
        tls13, tls12 = _answered(port, ca, client), _answered(port, ca, client, tls12=True)
        assert tls13 == tls12, f"{name}: TLS 1.3 and 1.2 disagree"
        found[name] = tls13
    return found


EXPECTED = {"none": False, "other-ca": False, "client-ca": True}


@pytest.mark.parametrize("kind", KINDS)
def test_only_a_certificate_of_the_client_ca_is_answered(setup: Setup, kind: str) -> None:
    reloading = setup.reloading()
    with serving(reloading.context, kind) as port:
        assert _verdicts(port, setup) == EXPECTED


@pytest.mark.parametrize("kind", KINDS)
def test_the_context_of_a_reloaded_pair_still_verifies_clients(setup: Setup, kind: str) -> None:
    reloading = setup.reloading()
    before = reloading.serial
    certs.issue_serving(setup.dir, ["localhost"], ["127.0.0.1"])
    assert reloading.reload() is True and reloading.serial != before
    with serving(reloading.context, kind) as port:
        assert _verdicts(port, setup) == EXPECTED


@pytest.mark.parametrize("kind", KINDS)
def test_a_rotated_client_ca_is_picked_up_and_a_broken_one_keeps_the_current(
    setup: Setup, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    reloading = setup.reloading()
    new_ca = pki.new_authority("webhook-client-ca-2")
    setup.clients["new-ca"] = _client(setup.dir, "kube-apiserver-2", new_ca)
    caplog.set_level(logging.INFO, logger="tenantguard.tls")
    old_ca = setup.client_ca.read_bytes()
    with serving(reloading.context, kind) as port:
        assert _verdicts(port, setup) == {**EXPECTED, "new-ca": False}
        pki.write_public(setup.client_ca, b"-----BEGIN CERTIFICATE-----\nbroken\n")
        assert reloading.reload() is False
        assert _verdicts(port, setup) == {**EXPECTED, "new-ca": False}, "a broken CA file keeps the loaded CA"
        warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
        assert "client CA" in warning.__dict__["fields"]["error"]
        # both CAs while clients move over, then the new one alone
        pki.write_public(setup.client_ca, new_ca.cert_pem + old_ca)
        assert reloading.reload() is True
        assert _verdicts(port, setup) == {**EXPECTED, "new-ca": True}
        pki.write_public(setup.client_ca, new_ca.cert_pem)
        assert reloading.reload() is True
        assert _verdicts(port, setup) == {**EXPECTED, "client-ca": False, "new-ca": True}


def test_openssl_s_client_without_a_certificate_is_refused(setup: Setup) -> None:
    """As an outside scanner sees it: the server asks for a certificate and ends the handshake without one."""
    reloading = setup.reloading()
    with serving(reloading.context, "socket") as port:
        base = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(setup.dir / "ca.crt")]
        runs = {}
        for name, extra in (("none", []), ("client-ca", ["-cert", "kube-apiserver.crt", "-key", "kube-apiserver.key"])):
            runs[name] = subprocess.run(
                [*base, *extra, "-tls1_2", "-ign_eof"],
                input="GET / HTTP/1.1\r\nhost: localhost\r\n\r\n",
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
                cwd=setup.dir,
            )
    refused, accepted = runs["none"], runs["client-ca"]
    assert "alert handshake failure" in refused.stderr or "certificate required" in refused.stderr, refused.stderr
    assert "HTTP/1.1 200" not in refused.stdout
    assert "HTTP/1.1 200" in accepted.stdout, accepted.stdout[-1500:] + accepted.stderr[-1500:]


def test_serve_refuses_to_start_with_an_unusable_client_ca(setup: Setup) -> None:
    pki.write_public(setup.client_ca, b"not a certificate\n")
    exe = Path(sys.executable).with_name("tenantguard")
    argv = [str(exe), "serve", "--tenants", str(ROOT / "examples/tenants"), "--cert-dir", str(setup.dir)]
    proc = subprocess.run(
        [*argv, "--port", "0", "--client-ca", str(setup.client_ca)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert f"with the client CA {setup.client_ca}" in proc.stderr and "does not contain a certificate" in proc.stderr
    assert "Traceback" not in proc.stderr
    with contextlib.suppress(FileNotFoundError):
        setup.client_ca.unlink()
    proc = subprocess.run(
        [*argv, "--port", "0", "--client-ca", str(setup.client_ca)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2 and "No such file" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
