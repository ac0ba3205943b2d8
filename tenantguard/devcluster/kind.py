"""The kind provider: a containerised cluster where a Docker engine runs.

Thin on purpose: ``kind create cluster`` does the work. What it adds is the same contract as the
KWOK provider (state directory, admin kubeconfig, ``KUBECONFIG=`` line) and the tenant user, whose
certificate is issued through the CertificateSigningRequest API because kind keeps its CA key in
the node container. There are no simulated GPU nodes on kind.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tenantguard.devcluster import kubeconfig
from tenantguard.devcluster.credentials import TENANT_GROUP, TENANT_USER
from tenantguard.devcluster.layout import Layout, State
from tenantguard.webhook import pki

PROVIDER = "kind"
DEFAULT_NAME = "tenantguard"


class KindError(RuntimeError):
    pass


def docker_problem() -> str | None:
    """None when ``docker info`` answers, else why kind cannot run here."""
    if shutil.which("docker") is None:
        return "no docker CLI on PATH"
    try:
        proc = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 20s"
    if proc.returncode != 0:
        return f"`docker info` failed: {(proc.stderr or proc.stdout).strip()[-300:]}"
    return None


def _run(argv: list[str], *, input: str | None = None, capture: bool = True) -> str:
    """Run a kind or kubectl command; a failure becomes a KindError naming it, with its stderr."""
    proc = subprocess.run(argv, input=input, capture_output=capture, text=True, check=False)
    if proc.returncode != 0:
        detail = f": {proc.stderr.strip()[-500:]}" if capture else " (its output is above)"
        raise KindError(f"`{' '.join(argv)}` exited {proc.returncode}{detail}")
    return proc.stdout or ""


def create_command(
    *, kind: str, name: str, kubeconfig_path: Path, image: str | None = None, wait: str = "120s"
) -> list[str]:
    argv = [kind, "create", "cluster", "--name", name, "--kubeconfig", str(kubeconfig_path), "--wait", wait]
    if image:
        argv += ["--image", image]
    return argv


def delete_command(*, kind: str, name: str, kubeconfig_path: Path) -> list[str]:
    return [kind, "delete", "cluster", "--name", name, "--kubeconfig", str(kubeconfig_path)]


def csr_manifest(*, name: str, csr_pem: bytes) -> dict[str, Any]:
    return {
        "apiVersion": "certificates.k8s.io/v1",
        "kind": "CertificateSigningRequest",
        "metadata": {"name": name},
        "spec": {
            "request": base64.b64encode(csr_pem).decode("ascii"),
            "signerName": "kubernetes.io/kube-apiserver-client",
            "expirationSeconds": 86400 * 30,
            "usages": ["client auth"],
        },
    }


def _require_tools() -> tuple[str, str]:
    kind_bin, kubectl = shutil.which("kind"), shutil.which("kubectl")
    if kind_bin is None:
        raise KindError("--provider kind: no `kind` on PATH (https://kind.sigs.k8s.io/docs/user/quick-start/)")
    if kubectl is None:
        raise KindError("--provider kind: no `kubectl` on PATH")
    problem = docker_problem()
    if problem is not None:
        raise KindError(f"--provider kind needs a running Docker engine: {problem}")
    return kind_bin, kubectl


def _issue_tenant_kubeconfig(kubectl: str, admin: Path, target: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, TENANT_GROUP),
            x509.NameAttribute(NameOID.COMMON_NAME, TENANT_USER),
        ]
    )
    csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
    name = f"tenantguard-{TENANT_USER}"
    manifest = csr_manifest(name=name, csr_pem=csr.public_bytes(serialization.Encoding.PEM))
    base = [kubectl, "--kubeconfig", str(admin)]
    _run([*base, "delete", "csr", name, "--ignore-not-found"])
    _run([*base, "create", "-f", "-"], input=json.dumps(manifest))
    _run([*base, "certificate", "approve", name])
    cert_b64 = ""
    for _ in range(100):
        cert_b64 = _run([*base, "get", "csr", name, "-o", "jsonpath={.status.certificate}"]).strip()
        if cert_b64:
            break
        time.sleep(0.2)
    if not cert_b64:
        raise KindError(f"CSR {name} was approved but never signed")
    admin_config = yaml.safe_load(admin.read_text())
    cluster = admin_config["clusters"][0]
    text = kubeconfig.render(
        cluster=cluster["name"],
        server=cluster["cluster"]["server"],
        ca_pem=base64.b64decode(cluster["cluster"]["certificate-authority-data"]),
        user=TENANT_USER,
        cert_pem=base64.b64decode(cert_b64),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    pki.write_private(target, text.encode())


def up(state_dir: Path, *, name: str = DEFAULT_NAME, image: str | None = None) -> Path:
    """Create (or reuse) the kind cluster; return the admin kubeconfig's path."""
    kind_bin, kubectl = _require_tools()
    layout = Layout(state_dir)
    layout.root.mkdir(parents=True, exist_ok=True)
    if name not in _run([kind_bin, "get", "clusters"]).split():
        # kind's own progress (pulling the node image, starting the control plane) goes to the terminal.
        _run(create_command(kind=kind_bin, name=name, kubeconfig_path=layout.kubeconfig, image=image), capture=False)
    else:
        kubeconfig_text = _run([kind_bin, "get", "kubeconfig", "--name", name])
        pki.write_private(layout.kubeconfig, kubeconfig_text.encode())
    layout.kubeconfig.chmod(0o600)
    if not layout.user_kubeconfig.exists():
        _issue_tenant_kubeconfig(kubectl, layout.kubeconfig, layout.user_kubeconfig)
    server = yaml.safe_load(layout.kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    state = State(provider=PROVIDER, server=server, bin_dir=str(Path(kubectl).parent), ports={})
    state.save(layout.state_file)
    return layout.kubeconfig


def down(state_dir: Path, *, name: str = DEFAULT_NAME) -> None:
    kind_bin = shutil.which("kind")
    layout = Layout(state_dir)
    if kind_bin is None:
        raise KindError("--provider kind: no `kind` on PATH to delete the cluster with")
    _run(delete_command(kind=kind_bin, name=name, kubeconfig_path=layout.kubeconfig), capture=False)
    shutil.rmtree(layout.root, ignore_errors=True)
