"""kube-apiserver authenticates to the webhook with a client certificate (`serve --client-ca`).

The dev cluster always configures kube-apiserver to present its client certificate to the webhook on its reserved
port (`--admission-control-config-file`, tenantguard/devcluster/webhook_client.py); this module serves a webhook
there that requires a certificate of the dev cluster's webhook-client CA. The same webhook is also registered
behind a TCP relay, an address kube-apiserver has no certificate for: those calls cannot complete a handshake, and
`failurePolicy: Fail` refuses the request. Both registrations carry an objectSelector, so only this module's
objects reach them.
"""

from __future__ import annotations

import base64
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook import pki
from tenantguard.webhook.configuration import configurations
from tests.e2e.webhook_fixtures import seed_platform
from tests.support.devcluster import DevCluster, wait_for
from tests.support.tcp_relay import TcpRelay
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

NAME = "tenantguard-client-auth"
LABEL = "tenantguard.io/e2e-client-auth"  # objectSelector key: "direct" or "no-cert"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientAuth:
    cluster: DevCluster
    hook: WebhookProcess
    relay: TcpRelay  # the same webhook at an address kube-apiserver has no certificate for

    def reviews(self) -> int:
        """AdmissionReviews this webhook has judged (its /metrics, read with a certificate of the client CA)."""
        status, body = self.hook.get("/metrics")
        assert status == 200
        counts = re.findall(rb"^tenantguard_admission_requests_total\{[^}]*\} ([\d.e+]+)$", body, re.M)
        return int(sum(float(c) for c in counts))


def _registrations(hook: WebhookProcess, url: str, name: str, selected: str) -> list[dict[str, object]]:
    docs = configurations(DEFAULT_SETTINGS, ca_bundle=(hook.cert_dir / "ca.crt").read_bytes(), url=url)
    for doc in docs:
        doc["metadata"]["name"] = name
        for webhook in doc["webhooks"]:
            webhook["objectSelector"] = {"matchLabels": {LABEL: selected}}
    return docs


@pytest.fixture(scope="module")
def client_auth(dev_cluster: DevCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientAuth]:
    seed_platform(dev_cluster)
    work = tmp_path_factory.mktemp("client-auth")
    ca_key = dev_cluster.webhook_client_ca.with_suffix(".key")
    ca = pki.load_authority(dev_cluster.webhook_client_ca.read_bytes(), ca_key.read_bytes())
    probe = pki.write_pair(work, "probe", pki.issue_client(ca, user="e2e-probe"))  # the test's own reads
    hook = WebhookProcess(
        kubeconfig=dev_cluster.kubeconfig,
        work_dir=work / "webhook",
        port=dev_cluster.webhook_port,
        client_ca=dev_cluster.webhook_client_ca,
        client_cert=probe,
    )
    hook.start()
    relay = TcpRelay(hook.port)
    relay.start()
    docs = _registrations(hook, hook.url, NAME, "direct")
    docs += _registrations(hook, f"https://127.0.0.1:{relay.port}", f"{NAME}-no-cert", "no-cert")
    try:
        dev_cluster.kubectl("apply", "-f", "-", input=yaml.safe_dump_all(docs))
        yield ClientAuth(cluster=dev_cluster, hook=hook, relay=relay)
    finally:
        dev_cluster.kubectl(
            "delete",
            "mutatingwebhookconfiguration,validatingwebhookconfiguration",
            NAME,
            f"{NAME}-no-cert",
            "--ignore-not-found",
        )
        relay.stop()
        hook.stop()


def _configmap(name: str, selected: str, tenant: str | None = None) -> str:
    labels = {LABEL: selected, **({"tenantguard.io/tenant": tenant} if tenant else {})}
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "acme-dev", "labels": labels},
    }
    return yaml.safe_dump(doc)


def test_kube_apiserver_presents_its_certificate_and_admission_works(client_auth: ClientAuth) -> None:
    cluster = client_auth.cluster
    before = client_auth.reviews()
    created = cluster.kubectl(
        "create", "-f", "-", "--dry-run=server", "-o", "yaml", input=_configmap("client-auth-ok", "direct")
    )
    assert yaml.safe_load(created.stdout)["metadata"]["labels"]["tenantguard.io/tenant"] == "acme", "mutated"
    denied = cluster.kubectl(
        "create", "-f", "-", "--dry-run=server", input=_configmap("client-auth-bad", "direct", "globex"), check=False
    )
    assert denied.returncode != 0 and "[TEN004]" in denied.stderr, denied.stderr
    assert client_auth.reviews() >= before + 3, "this webhook judged them: mutate, validate, and the denied one"
    log = client_auth.hook.log_file.read_text(errors="replace")
    assert "certificate required" not in log and "handshake" not in log.lower()


def test_a_call_without_the_certificate_is_refused_and_fails_closed(client_auth: ClientAuth) -> None:
    cluster = client_auth.cluster
    before = client_auth.reviews()
    refused = cluster.kubectl(
        "create", "-f", "-", "--dry-run=server", input=_configmap("client-auth-no-cert", "no-cert"), check=False
    )
    # TLS 1.3: kube-apiserver's handshake completes on its side, the webhook's alert ends the connection (EOF)
    assert refused.returncode != 0 and "failed calling webhook" in refused.stderr, refused.stderr
    assert f"https://127.0.0.1:{client_auth.relay.port}/mutate" in refused.stderr
    assert client_auth.relay.accepted > 0, "kube-apiserver did call"
    assert client_auth.reviews() == before, "nothing reached the handlers"


def _handshake(port: int, ca: Path, client: tuple[Path, Path] | None) -> bool:
    ctx = ssl.create_default_context(cafile=str(ca))
    if client is not None:
        ctx.load_cert_chain(*client)
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            tls.sendall(b"GET /healthz HTTP/1.1\r\nhost: webhook\r\nconnection: close\r\n\r\n")
            return tls.recv(4096).startswith(b"HTTP/1.1 200")
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
        return False


def test_clients_without_a_certificate_of_the_client_ca_are_refused(client_auth: ClientAuth, tmp_path: Path) -> None:
    """Everyone else who can reach the port: no certificate, or alice's (the cluster CA signs it)."""
    hook, cluster = client_auth.hook, client_auth.cluster
    config = yaml.safe_load(cluster.user_kubeconfig.read_text())["users"][0]["user"]
    alice = (tmp_path / "alice.crt", tmp_path / "alice.key")
    alice[0].write_bytes(base64.b64decode(config["client-certificate-data"]))
    pki.write_private(alice[1], base64.b64decode(config["client-key-data"]))
    ca = hook.cert_dir / "ca.crt"
    verdicts = {
        "none": _handshake(hook.port, ca, None),
        "alice": _handshake(hook.port, ca, alice),
        "client-ca": _handshake(hook.port, ca, hook.client_cert),
    }
    assert verdicts == {"none": False, "alice": False, "client-ca": True}
    wait_for(lambda: hook.get("/readyz")[0] == 200, what="the webhook to stay ready", timeout=5)
