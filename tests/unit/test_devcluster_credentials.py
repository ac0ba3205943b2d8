"""What the dev cluster writes before its first process starts: private keys owner-only, and kube-apiserver's
client certificate for webhooks (the admission configuration, the kubeconfig it names, the CA a webhook trusts)."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import yaml
from cryptography import x509

from tenantguard.devcluster import credentials, webhook_client
from tenantguard.devcluster.layout import Layout

SECRET_MARKERS = (b"PRIVATE KEY", b"client-key-data")


def _written(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "state")
    credentials.write_all(layout, "https://127.0.0.1:6443", 6444)
    credentials.write_user(layout, "https://127.0.0.1:6443", "carol", ("hooli-devs",))
    return layout


def test_every_file_holding_a_private_key_is_owner_only(tmp_path: Path) -> None:
    layout = _written(tmp_path)
    secret = {
        p.relative_to(layout.root).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in layout.root.rglob("*")
        if p.is_file() and any(m in p.read_bytes() for m in SECRET_MARKERS)
    }
    # the CAs, the service-account signing key, every component's and user's kubeconfig and key, the webhook client
    assert {"pki/ca.key", "pki/sa.key", "pki/webhook-client-ca.key", "pki/webhook-client.key"} <= set(secret)
    assert {"admin.kubeconfig", "alice.kubeconfig", "users/carol.kubeconfig", "webhook-client.kubeconfig"} <= set(
        secret
    )
    assert {name: oct(mode) for name, mode in secret.items() if mode != 0o600} == {}
    assert stat.S_IMODE(layout.root.stat().st_mode) == 0o700


def test_kube_apiserver_presents_a_certificate_of_its_own_ca_to_the_reserved_webhook_port(tmp_path: Path) -> None:
    layout = _written(tmp_path)
    admission = yaml.safe_load(layout.admission_config.read_text())
    assert admission["kind"] == "AdmissionConfiguration"
    assert {p["name"] for p in admission["plugins"]} == {"ValidatingAdmissionWebhook", "MutatingAdmissionWebhook"}
    for plugin in admission["plugins"]:
        assert plugin["configuration"] == {
            "apiVersion": "apiserver.config.k8s.io/v1",
            "kind": "WebhookAdmissionConfiguration",
            "kubeConfigFile": str(layout.webhook_client_kubeconfig),
        }
    users = yaml.safe_load(layout.webhook_client_kubeconfig.read_text())["users"]
    assert [u["name"] for u in users] == ["127.0.0.1:6444", "localhost:6444"], "exactly the webhook's host:port"
    cert = x509.load_pem_x509_certificate(base64.b64decode(users[0]["user"]["client-certificate-data"]))
    client_ca = x509.load_pem_x509_certificate(layout.webhook_client_ca.read_bytes())
    cert.verify_directly_issued_by(client_ca)
    assert cert.subject.rfc4514_string() == f"CN={webhook_client.CLIENT_USER}"
    cluster_ca = x509.load_pem_x509_certificate(layout.ca_file.read_bytes())
    assert client_ca.subject != cluster_ca.subject, "not the CA that signs every user's certificate"
