"""Certificates (0600 keys, SANs), TLS >= 1.2, reload on change, and the webhook configurations.

Reload tests handshake with real local servers (tests/support/tls_servers.py) while the files are rotated in
every order a writer can leave them, calling reload() where the server would poll.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import socket
import ssl
import stat
import subprocess
import sys
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook import certs, pki
from tenantguard.webhook.configuration import configurations
from tenantguard.webhook.tls import ReloadingContext
from tests.support.devcluster import wait_for
from tests.support.tls_servers import KINDS, serving

ROOT = Path(__file__).resolve().parents[2]


def test_generated_keys_are_private_and_the_certificate_names_the_host(tmp_path: Path) -> None:
    assert certs.ensure(tmp_path, ["webhook.example"], ["127.0.0.1"]) is True
    assert certs.ensure(tmp_path, ["webhook.example"]) is False, "existing certificates are kept"
    for key in ("ca.key", "tls.key"):
        assert stat.S_IMODE((tmp_path / key).stat().st_mode) == 0o600
    info = certs.inspect(tmp_path / "tls.crt")
    assert info.dns_names == ("webhook.example",) and info.ip_addresses == ("127.0.0.1",)
    assert "tenantguard-webhook-ca" in info.issuer


@dataclass(frozen=True, slots=True, kw_only=True)
class Pair:
    cert: bytes
    key: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert)


@dataclass(frozen=True, slots=True, kw_only=True)
class Pairs:
    dir: Path
    old: Pair  # on disk when the test starts
    new: Pair
    other: Pair  # from the same CA, matching neither key

    def write(self, name: str, data: bytes) -> None:
        """Write in place, as a naive tool would: a reader may see any mix of old and new files."""
        if name == "key":
            pki.write_private(self.dir / "tls.key", data)
        else:
            pki.write_public(self.dir / "tls.crt", data)

    def reloading(self) -> ReloadingContext:
        return ReloadingContext(self.dir / "tls.crt", self.dir / "tls.key")


@pytest.fixture
def pairs(tmp_path: Path) -> Pairs:
    certs.ensure(tmp_path, ["localhost"], ["127.0.0.1"])
    ca = pki.load_authority((tmp_path / "ca.crt").read_bytes(), (tmp_path / "ca.key").read_bytes())

    def issue(days: int) -> Pair:  # distinct lifetimes, so not_after tells the pairs apart too
        kp = pki.issue_serving(
            ca,
            common_name="localhost",
            dns_names=("localhost",),
            ip_addresses=("127.0.0.1",),
            validity=dt.timedelta(days=days),
        )
        return Pair(cert=kp.cert_pem, key=kp.key_pem)

    old = Pair(cert=(tmp_path / "tls.crt").read_bytes(), key=(tmp_path / "tls.key").read_bytes())
    return Pairs(dir=tmp_path, old=old, new=issue(30), other=issue(60))


def _handshake(port: int, ca: Path, *, host: str = "localhost", max_version: ssl.TLSVersion | None = None) -> int:
    """One HTTPS request on a new connection; the serial of the certificate the server presented."""
    ctx = ssl.create_default_context(cafile=str(ca))
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    if max_version is not None:
        with warnings.catch_warnings():  # offering a deprecated version is the point of some probes
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = max_version
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname=host) as s,
    ):
        assert s.selected_alpn_protocol() == "http/1.1"
        s.sendall(b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 200"), "the server answered the request"
        der = s.getpeercert(binary_form=True)
        assert der is not None
        return x509.load_der_x509_certificate(der).serial_number


def _presented(port: int, pairs: Pairs) -> int:
    """The serial every kind of client gets: with and without SNI (kube-apiserver dials an IP), TLS 1.3 and 1.2."""
    ca = pairs.dir / "ca.crt"
    serials = {
        _handshake(port, ca),
        _handshake(port, ca, host="127.0.0.1"),
        _handshake(port, ca, max_version=ssl.TLSVersion.TLSv1_2),
    }
    assert len(serials) == 1, f"clients were shown different certificates: {serials}"
    return serials.pop()


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


# Each step: which file is written with what (a function of the pairs), then which pair must be served.
Step = tuple[str, Callable[[Pairs], bytes], str]
ROTATIONS: dict[str, list[Step]] = {
    "key-then-cert": [("key", lambda p: p.new.key, "old"), ("cert", lambda p: p.new.cert, "new")],
    "cert-then-key": [("cert", lambda p: p.new.cert, "old"), ("key", lambda p: p.new.key, "new")],
    "half-written-cert": [
        ("cert", lambda p: _half(p.new.cert), "old"),
        ("key", lambda p: p.new.key, "old"),
        ("cert", lambda p: p.new.cert, "new"),
    ],
    "half-written-key": [
        ("key", lambda p: _half(p.new.key), "old"),
        ("cert", lambda p: p.new.cert, "old"),
        ("key", lambda p: p.new.key, "new"),
    ],
    "emptied-cert": [
        ("cert", lambda p: b"", "old"),
        ("key", lambda p: p.new.key, "old"),
        ("cert", lambda p: p.new.cert, "new"),
    ],
    "cert-not-matching-its-key": [
        ("key", lambda p: p.new.key, "old"),
        ("cert", lambda p: p.other.cert, "old"),
        ("cert", lambda p: p.new.cert, "new"),
    ],
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rotation", list(ROTATIONS))
def test_a_rotation_serves_the_old_pair_until_the_new_one_is_complete(pairs: Pairs, rotation: str, kind: str) -> None:
    reloading = pairs.reloading()
    with serving(reloading.context, kind) as port:
        assert _presented(port, pairs) == pairs.old.certificate.serial_number
        for i, (name, content, expected) in enumerate(ROTATIONS[rotation]):
            pairs.write(name, content(pairs))
            assert reloading.reload() is (expected == "new"), f"step {i}: {name}"
            assert reloading.reload() is False, "a pair already judged is not loaded again"
            served = pairs.new if expected == "new" else pairs.old
            assert _presented(port, pairs) == served.certificate.serial_number, f"step {i}: {name}"
            # /readyz and the expiry metric describe the certificate actually served
            assert reloading.loaded and reloading.serial == served.certificate.serial_number
            assert reloading.not_after == served.certificate.not_valid_after_utc.timestamp()


@pytest.mark.parametrize("kind", KINDS)
def test_handshakes_during_many_rotations_all_succeed(pairs: Pairs, kind: str) -> None:
    """A client handshakes without pause while the reloader sees every half-done state of 20 rotations."""
    reloading = pairs.reloading()
    complete = {p.certificate.serial_number for p in (pairs.old, pairs.new)}
    seen: list[int] = []
    failures: list[BaseException] = []
    stop = threading.Event()
    with serving(reloading.context, kind) as port:

        def client() -> None:
            while not stop.is_set():
                try:
                    seen.append(_handshake(port, pairs.dir / "ca.crt", host="127.0.0.1"))
                except (OSError, AssertionError) as err:
                    failures.append(err)

        thread = threading.Thread(target=client, daemon=True)
        thread.start()
        current = pairs.old
        for i in range(20):
            target = pairs.new if current is pairs.old else pairs.old
            order = ("cert", "key") if i % 2 else ("key", "cert")
            for name in order:
                pairs.write(name, getattr(target, name))
                reloading.reload()
            assert reloading.serial == target.certificate.serial_number
            current = target
        wait_for(lambda: len(seen) > 20, what="handshakes", timeout=10)
        stop.set()
        thread.join(10)
    assert not failures, failures[:3]
    assert set(seen) <= complete


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
def test_an_open_connection_keeps_its_certificate_and_new_ones_get_the_new(pairs: Pairs, loop: str) -> None:
    reloading = pairs.reloading()
    ctx = ssl.create_default_context(cafile=str(pairs.dir / "ca.crt"))
    with serving(reloading.context, loop) as port:
        conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=5)
        try:
            conn.request("GET", "/")
            assert conn.getresponse().read() == b"ok"
            pairs.write("key", pairs.new.key)
            pairs.write("cert", pairs.new.cert)
            assert reloading.reload() is True
            conn.request("GET", "/")  # keep-alive, as kube-apiserver's connections are
            assert conn.getresponse().read() == b"ok"
            assert conn.sock is not None
            der = conn.sock.getpeercert(binary_form=True)
            assert der is not None and x509.load_der_x509_certificate(der) == pairs.old.certificate
        finally:
            conn.close()
        assert _presented(port, pairs) == pairs.new.certificate.serial_number


def test_a_bad_pair_is_logged_once_per_pair_and_without_key_material(
    pairs: Pairs, caplog: pytest.LogCaptureFixture
) -> None:
    reloading = pairs.reloading()
    caplog.set_level(logging.INFO, logger="tenantguard.tls")

    def warnings_logged() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.levelno == logging.WARNING]

    pairs.write("cert", pairs.new.cert)  # new certificate, old key
    for _ in range(3):
        assert reloading.reload() is False
    assert len(warnings_logged()) == 1
    first = warnings_logged()[0]
    fields = first.__dict__["fields"]
    assert "mismatch" in fields["error"].lower(), fields
    assert fields["serving"] == f"{pairs.old.certificate.serial_number:x}"
    pairs.write("key", _half(pairs.new.key))  # another bad pair: logged once more
    assert reloading.reload() is False and reloading.reload() is False
    assert len(warnings_logged()) == 2
    pairs.write("key", pairs.new.key)
    assert reloading.reload() is True
    assert caplog.records[-1].getMessage() == "serving certificate loaded"
    pairs.write("cert", pairs.other.cert)  # a bad pair after a good one is reported again
    assert reloading.reload() is False
    assert len(warnings_logged()) == 3
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__.get("fields"))
        for key in (pairs.old.key, pairs.new.key, pairs.other.key):
            body = b"".join(key.splitlines()[1:-1]).decode()
            assert "PRIVATE" not in text and not any(line in text for line in (body[:16], body[-16:]))


def test_nothing_is_served_until_a_pair_loads(pairs: Pairs) -> None:
    pairs.write("cert", pairs.new.cert)  # mismatched from the start
    reloading = pairs.reloading()
    assert (reloading.loaded, reloading.not_after, reloading.serial) == (False, 0.0, None)
    with serving(reloading.context, "socket") as port:
        with pytest.raises(ssl.SSLError):
            _handshake(port, pairs.dir / "ca.crt")
        pairs.write("key", pairs.new.key)
        assert reloading.reload() is True
        assert _presented(port, pairs) == pairs.new.certificate.serial_number


def test_serve_refuses_to_start_without_a_loadable_pair(pairs: Pairs) -> None:
    pairs.write("cert", pairs.new.cert)
    exe = Path(sys.executable).with_name("tenantguard")
    argv = [str(exe), "serve", "--tenants", str(ROOT / "examples/tenants"), "--cert-dir", str(pairs.dir), "--port", "0"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc.stderr
    assert f"cannot load the serving certificate from {pairs.dir}" in proc.stderr
    assert "key values mismatch" in proc.stderr and "Traceback" not in proc.stderr


def test_the_renewal_command_is_picked_up_by_the_watcher(pairs: Pairs) -> None:
    reloading = pairs.reloading()
    stop = threading.Event()
    reloading.watch(stop, interval=0.01)
    try:
        certs.issue_serving(pairs.dir, ["localhost"], ["127.0.0.1"])
        renewed = x509.load_pem_x509_certificate((pairs.dir / "tls.crt").read_bytes()).serial_number
        wait_for(lambda: reloading.serial == renewed, what="the renewed certificate", timeout=10, interval=0.01)
    finally:
        stop.set()
    assert renewed != pairs.old.certificate.serial_number
    with serving(reloading.context, "socket") as port:
        assert _presented(port, pairs) == renewed


def test_tls_below_1_2_is_refused(pairs: Pairs) -> None:
    reloading = pairs.reloading()
    with serving(reloading.context, "socket") as port, pytest.raises(ssl.SSLError):
        _handshake(port, pairs.dir / "ca.crt", max_version=ssl.TLSVersion.TLSv1_1)


def test_webhook_configurations_fail_closed_and_keep_exempt_namespaces_away() -> None:
    mutating, validating = configurations(DEFAULT_SETTINGS, ca_bundle=b"pem", url="https://127.0.0.1:8443")
    assert mutating["kind"] == "MutatingWebhookConfiguration"
    assert validating["kind"] == "ValidatingWebhookConfiguration"
    for config in (mutating, validating):
        for hook in config["webhooks"]:
            assert hook["failurePolicy"] == "Fail"
            # /validate writes Events about denied controller writes, except on dry run
            assert hook["sideEffects"] == ("None" if config is mutating else "NoneOnDryRun")
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
    assert {res for r in cluster["rules"] for res in r["resources"]} == {
        "namespaces",
        "namespaces/status",
        "namespaces/finalize",
        "tenants",
        "clusterrolebindings",
        "clusterroles",
    }
    assert "*/status" in namespaced["rules"][0]["resources"], "label changes through status are judged"
    (metadata_changed,) = [
        c["expression"] for c in namespaced["matchConditions"] if c["name"] == "status-changes-metadata"
    ]
    for field, empty in (("labels", "{}"), ("annotations", "{}"), ("ownerReferences", "[]")):  # annotations: corpus
        new, old = (f"(has({o}.metadata.{field}) ? {o}.metadata.{field} : {empty})" for o in ("object", "oldObject"))
        assert f"{new} != {old}" in metadata_changed, field
    (mutate_cluster,) = [h for h in mutating["webhooks"] if h["name"] == "mutate-cluster.tenantguard.io"]
    mutating_cluster = {res for r in mutate_cluster["rules"] for res in r["resources"]}
    assert (
        "namespaces/status" not in mutating_cluster
        and "*/status" not in mutating["webhooks"][0]["rules"][0]["resources"]
    )
    assert "request.userInfo.username != 'system:apiserver'" in [c["expression"] for c in cluster["matchConditions"]]


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    for e in selector["matchExpressions"]:
        value = labels.get(e["key"])
        if e["operator"] == "Exists" and value is None:
            return False
        if e["operator"] == "In" and value not in e["values"]:
            return False
        if e["operator"] == "NotIn" and value in e["values"]:
            return False
    return True


@pytest.mark.parametrize("mode", [None, "native", "istio", "none", "other"])
def test_each_tenant_namespace_is_sent_to_one_mutating_entry_which_skips_only_in_a_known_mode(mode: str | None) -> None:
    mutating, validating = configurations(DEFAULT_SETTINGS, ca_bundle=b"pem", url="https://127.0.0.1:8443")
    labels = {"tenantguard.io/tenant": "acme", "kubernetes.io/metadata.name": "acme-dev"}
    if mode is not None:
        labels["tenantguard.io/mtls-mode"] = mode
    namespaced = [h for h in mutating["webhooks"] if h["rules"][0]["scope"] == "Namespaced"]
    (entry,) = [h for h in namespaced if _selects(h["namespaceSelector"], labels)]
    skips = [c for c in entry["matchConditions"] if c["name"] == "pod-needs-mutation"]
    if mode in ("native", "istio", "none"):
        assert entry["name"] == f"mutate-mtls-{mode}.tenantguard.io" and len(skips) == 1
    else:
        assert entry["name"] == "mutate-namespaced.tenantguard.io" and not skips, "an unknown mode sends everything"
    assert not any(c["name"] == "pod-needs-mutation" for h in validating["webhooks"] for c in h["matchConditions"])


def _s_client(port: int, ca: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Debian's openssl s_client, as an outside scanner would probe the webhook."""
    return subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(ca), "-servername", "localhost", *args],
        input="",
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "accepted"),
    [
        pytest.param(("-tls1",), False, id="tls1.0"),
        pytest.param(("-tls1_1",), False, id="tls1.1"),
        pytest.param(("-tls1_2", "-cipher", "AES128-SHA"), False, id="rsa-key-exchange-cbc-sha1"),
        pytest.param(("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"), False, id="ecdhe-cbc-sha1"),
        pytest.param(("-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-SHA384"), False, id="ecdhe-cbc-sha384"),
        pytest.param(("-tls1_2", "-cipher", "DES-CBC3-SHA:RC4-SHA:NULL-SHA"), False, id="3des-rc4-null"),
        pytest.param(("-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"), True, id="tls1.2-aead"),
        pytest.param(("-tls1_3",), True, id="tls1.3"),
    ],
)
def test_old_protocols_and_weak_ciphers_are_refused_as_openssl_sees_it(
    pairs: Pairs, args: tuple[str, ...], accepted: bool
) -> None:
    reloading = pairs.reloading()
    with serving(reloading.context, "socket") as port:
        run = _s_client(port, pairs.dir / "ca.crt", *args)
    handshook = "Verify return code: 0 (ok)" in run.stdout and "Cipher is (NONE)" not in run.stdout
    assert handshook is accepted, run.stdout[-1500:] + run.stderr[-1500:]
