import base64
from pathlib import Path

from tenantguard.devcluster import kind


def test_create_command_writes_the_kubeconfig_where_we_say() -> None:
    kubeconfig = Path("/s/admin.kubeconfig")
    argv = kind.create_command(kind="/usr/bin/kind", name="tenantguard", kubeconfig_path=kubeconfig)
    assert argv == [
        "/usr/bin/kind",
        "create",
        "cluster",
        "--name",
        "tenantguard",
        "--kubeconfig",
        "/s/admin.kubeconfig",
        "--wait",
        "120s",
    ]


def test_create_command_passes_the_node_image() -> None:
    argv = kind.create_command(kind="kind", name="n", kubeconfig_path=Path("k"), image="kindest/node:v1.36.3")
    assert argv[-2:] == ["--image", "kindest/node:v1.36.3"]


def test_delete_command() -> None:
    assert kind.delete_command(kind="kind", name="n", kubeconfig_path=Path("k")) == [
        "kind",
        "delete",
        "cluster",
        "--name",
        "n",
        "--kubeconfig",
        "k",
    ]


def test_csr_manifest_asks_the_apiserver_client_signer() -> None:
    manifest = kind.csr_manifest(name="tenantguard-alice", csr_pem=b"PEM")
    assert manifest["spec"]["signerName"] == "kubernetes.io/kube-apiserver-client"
    assert manifest["spec"]["usages"] == ["client auth"]
    assert base64.b64decode(manifest["spec"]["request"]) == b"PEM"
