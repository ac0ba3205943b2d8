"""Rotating the webhook's serving certificate fails no admission request made through kube-apiserver.

The new certificate (same CA) is written as a careless rotation would: tls.crt first, tls.key seconds later,
so the webhook polls at least once while the files hold a new certificate beside the old key. kube-apiserver
keeps its webhook connections alive, so the webhook is registered behind a TCP relay that the test empties
before every request: each admission call arrives on a new connection and shakes hands with whatever the
webhook serves at that moment.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook import pki
from tenantguard.webhook.configuration import configurations
from tests.e2e.webhook_fixtures import seed_platform
from tests.support.devcluster import DevCluster, wait_for
from tests.support.tcp_relay import TcpRelay
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

NAME = "tenantguard-cert-rotation"  # beside the shared fixture's "tenantguard" configurations, never replacing them


@dataclass(frozen=True, slots=True, kw_only=True)
class Attempt:
    returncode: int
    stdout: str
    stderr: str
    new_connections: int


@dataclass(slots=True, kw_only=True)
class Rotation:
    cluster: DevCluster
    hook: WebhookProcess
    relay: TcpRelay

    def serial(self) -> int:
        """The serial of the certificate the webhook presents to a new connection now."""
        ctx = ssl.create_default_context(cafile=str(self.hook.cert_dir / "ca.crt"))
        with (
            socket.create_connection(("127.0.0.1", self.hook.port), timeout=5) as raw,
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
            assert der is not None
            return x509.load_der_x509_certificate(der).serial_number

    def attempt(self, i: int) -> Attempt:
        """One admission request on a new connection to the webhook: a server-side dry run, as the admin."""
        # Counted from before the close: a connection kube-apiserver dials while the old ones close (a late dial of
        # its connection pool) is new too, and is the one the request may then use.
        before = self.relay.accepted
        self.relay.close_all()
        time.sleep(0.05)  # kube-apiserver notices the closed idle connections before it sends again
        proc = self.cluster.kubectl(
            "create", "configmap", f"rotation-{i}", "-n", "acme-dev", "--dry-run=server", "-o", "json", check=False
        )
        new_connections = self.relay.accepted - before
        return Attempt(
            returncode=proc.returncode, stdout=proc.stdout, stderr=proc.stderr, new_connections=new_connections
        )


@pytest.fixture
def rotation(dev_cluster: DevCluster, tmp_path: Path) -> Iterator[Rotation]:
    seed_platform(dev_cluster)
    hook = WebhookProcess(kubeconfig=dev_cluster.kubeconfig, work_dir=tmp_path / "webhook")
    hook.start()
    relay = TcpRelay(hook.port)
    relay.start()
    docs = configurations(
        DEFAULT_SETTINGS,
        ca_bundle=(hook.cert_dir / "ca.crt").read_bytes(),
        url=f"https://127.0.0.1:{relay.port}",
    )
    for doc in docs:
        doc["metadata"]["name"] = NAME
    try:
        dev_cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
        yield Rotation(cluster=dev_cluster, hook=hook, relay=relay)
    finally:
        dev_cluster.kubectl(
            "delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration", NAME, "--ignore-not-found"
        )
        relay.stop()
        hook.stop()


def test_rotating_the_certificate_cert_first_fails_no_admission_request(rotation: Rotation) -> None:
    hook = rotation.hook
    wait_for(
        lambda: rotation.attempt(0).new_connections > 0,
        what="kube-apiserver to call the webhook through the relay",
        timeout=20,
    )
    ca = pki.load_authority((hook.cert_dir / "ca.crt").read_bytes(), (hook.cert_dir / "ca.key").read_bytes())
    new = pki.issue_serving(ca, common_name="localhost", dns_names=("localhost",), ip_addresses=("127.0.0.1",))
    new_serial = x509.load_pem_x509_certificate(new.cert_pem).serial_number
    old_serial = rotation.serial()
    assert old_serial != new_serial

    attempts: list[Attempt] = []
    stop = threading.Event()

    def requests() -> None:
        i = 1
        while not stop.is_set():
            attempts.append(rotation.attempt(i))
            i += 1

    def more(n: int) -> None:
        target = len(attempts) + n
        wait_for(lambda: len(attempts) >= target, what=f"{n} more admission requests", timeout=20, interval=0.05)

    thread = threading.Thread(target=requests, name="admission-requests", daemon=True)
    thread.start()
    try:
        more(2)
        pki.write_public(hook.cert_dir / "tls.crt", new.cert_pem)
        wait_for(
            lambda: "certificate reload failed" in hook.log_file.read_text(errors="replace"),
            what="the webhook to reject the new certificate beside the old key",
            timeout=15,
        )
        in_between = len(attempts)
        more(3)  # every one on a new connection while the files hold a mismatched pair
        _assert_all_admitted(attempts)
        assert rotation.serial() == old_serial, "the old pair is served until the new one is complete"
        pki.write_private(hook.cert_dir / "tls.key", new.key_pem)
        wait_for(lambda: rotation.serial() == new_serial, what="the new certificate to be served", timeout=15)
        more(2)
    finally:
        stop.set()
        thread.join(60)

    _assert_all_admitted(attempts)
    assert len(attempts) - in_between >= 5


def _assert_all_admitted(attempts: list[Attempt]) -> None:
    attempts = list(attempts)  # the request thread may still append
    failed = [a.stderr.strip() for a in attempts if a.returncode != 0]
    assert not failed, f"{len(failed)} of {len(attempts)} admission requests failed: {failed[:3]}"
    for a in attempts:
        assert json.loads(a.stdout)["metadata"]["labels"] == {"tenantguard.io/tenant": "acme"}
        assert a.new_connections > 0, "each request reached the webhook on a new connection"
