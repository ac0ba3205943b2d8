"""Certificates (0600 keys, SANs, renewal), TLS >= 1.2, reload on change, and the webhook configurations."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook import certs
from tenantguard.webhook.configuration import configurations
from tenantguard.webhook.tls import ReloadingContext


def test_generated_keys_are_private_and_the_certificate_names_the_host(tmp_path: Path) -> None:
    assert certs.ensure(tmp_path, ["webhook.example"], ["127.0.0.1"]) is True
    assert certs.ensure(tmp_path, ["webhook.example"]) is False, "existing certificates are kept"
    for key in ("ca.key", "tls.key"):
        assert stat.S_IMODE((tmp_path / key).stat().st_mode) == 0o600
    info = certs.inspect(tmp_path / "tls.crt")
    assert info.dns_names == ("webhook.example",) and info.ip_addresses == ("127.0.0.1",)
    assert "tenantguard-webhook-ca" in info.issuer


def _serve_once(context: ssl.SSLContext, connections: int = 2) -> tuple[int, threading.Thread]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(10)
    port = server.getsockname()[1]

    def accept() -> None:
        with server:
            for _ in range(connections):
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                with conn:
                    try:
                        with context.wrap_socket(conn, server_side=True) as tls:
                            tls.recv(1)
                    except (ssl.SSLError, OSError):
                        pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return port, thread


def _peer_serial(port: int, ca: Path, max_version: ssl.TLSVersion | None = None) -> int:
    ctx = ssl.create_default_context(cafile=str(ca))
    if max_version is not None:
        with warnings.catch_warnings():  # the point is to offer a deprecated version
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = max_version
    with socket.create_connection(("127.0.0.1", port)) as raw, ctx.wrap_socket(raw, server_hostname="localhost") as s:
        der = s.getpeercert(binary_form=True)
        assert der is not None
        from cryptography import x509

        return x509.load_der_x509_certificate(der).serial_number


@pytest.fixture
def cert_dir(tmp_path: Path) -> Iterator[Path]:
    certs.ensure(tmp_path, ["localhost"], ["127.0.0.1"])
    yield tmp_path


def test_reload_serves_the_renewed_certificate_without_a_restart(cert_dir: Path) -> None:
    reloading = ReloadingContext(cert_dir / "tls.crt", cert_dir / "tls.key")
    port, thread = _serve_once(reloading.context)
    first = _peer_serial(port, cert_dir / "ca.crt")
    assert reloading.reload() is False, "unchanged files are not reloaded"
    certs.issue_serving(cert_dir, ["localhost"], ["127.0.0.1"])
    assert reloading.reload() is True
    second = _peer_serial(port, cert_dir / "ca.crt")
    thread.join(5)
    assert first != second


def test_a_broken_certificate_file_keeps_the_current_one(cert_dir: Path) -> None:
    reloading = ReloadingContext(cert_dir / "tls.crt", cert_dir / "tls.key")
    (cert_dir / "tls.crt").write_text("garbage")
    assert reloading.reload() is False and reloading.loaded


def test_tls_below_1_2_is_refused(cert_dir: Path) -> None:
    reloading = ReloadingContext(cert_dir / "tls.crt", cert_dir / "tls.key")
    port, thread = _serve_once(reloading.context, connections=1)
    with pytest.raises(ssl.SSLError):
        _peer_serial(port, cert_dir / "ca.crt", max_version=ssl.TLSVersion.TLSv1_1)
    thread.join(10)


def test_webhook_configurations_fail_closed_and_keep_exempt_namespaces_away() -> None:
    mutating, validating = configurations(DEFAULT_SETTINGS, ca_bundle=b"pem", url="https://127.0.0.1:8443")
    assert mutating["kind"] == "MutatingWebhookConfiguration"
    assert validating["kind"] == "ValidatingWebhookConfiguration"
    for config in (mutating, validating):
        for hook in config["webhooks"]:
            assert hook["failurePolicy"] == "Fail" and hook["sideEffects"] == "None"
            assert 1 <= hook["timeoutSeconds"] <= 10
            exprs = hook["namespaceSelector"]["matchExpressions"]
            exempt = next(e for e in exprs if e["key"] == "kubernetes.io/metadata.name")
            assert exempt["operator"] == "NotIn" and {"kube-system", "tenantguard-system"} <= set(exempt["values"])
    namespaced = validating["webhooks"][0]
    assert {"key": "tenantguard.io/tenant", "operator": "Exists"} in namespaced["namespaceSelector"]["matchExpressions"]
    assert "pods/ephemeralcontainers" in namespaced["rules"][0]["resources"]
    assert "DELETE" in namespaced["rules"][0]["operations"]
    assert "DELETE" not in mutating["webhooks"][0]["rules"][0]["operations"]
    assert namespaced["clientConfig"]["url"] == "https://127.0.0.1:8443/validate"
    cluster = validating["webhooks"][1]
    assert {r["resources"][0] for r in cluster["rules"]} == {
        "namespaces",
        "tenants",
        "clusterrolebindings",
        "clusterroles",
    }
    assert "request.userInfo.username != 'system:apiserver'" in [c["expression"] for c in cluster["matchConditions"]]
