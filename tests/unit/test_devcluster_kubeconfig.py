import base64

import yaml

from tenantguard.devcluster import kubeconfig


def test_render_embeds_credentials_and_selects_the_context() -> None:
    text = kubeconfig.render(
        cluster="dev",
        server="https://127.0.0.1:6443",
        ca_pem=b"CA",
        user="alice",
        cert_pem=b"CERT",
        key_pem=b"KEY",
    )
    doc = yaml.safe_load(text)
    assert doc["current-context"] == "alice@dev"
    assert doc["contexts"] == [{"name": "alice@dev", "context": {"cluster": "dev", "user": "alice"}}]
    cluster = doc["clusters"][0]["cluster"]
    assert cluster["server"] == "https://127.0.0.1:6443"
    assert base64.b64decode(cluster["certificate-authority-data"]) == b"CA"
    user = doc["users"][0]
    assert user["name"] == "alice"
    assert base64.b64decode(user["user"]["client-certificate-data"]) == b"CERT"
    assert base64.b64decode(user["user"]["client-key-data"]) == b"KEY"
