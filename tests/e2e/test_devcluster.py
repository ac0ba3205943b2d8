"""The dev cluster behaves like a cluster: scheduling, RBAC, built-in admission, webhooks, quota."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.devcluster import DevCluster, KubectlError, wait_for

pytestmark = pytest.mark.e2e

PAUSE = "registry.k8s.io/pause:3.10"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def _pod(name: str, *, resources: dict[str, str] | None = None, tolerate_gpu: bool = False) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "main", "image": PAUSE}
    if resources:
        container["resources"] = {"requests": resources, "limits": resources}
    spec: dict[str, Any] = {"containers": [container]}
    if tolerate_gpu:
        spec["tolerations"] = [GPU_TOLERATION]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def _running_pod(cluster: DevCluster, namespace: str, name: str) -> dict[str, Any]:
    def running() -> dict[str, Any] | None:
        pod: dict[str, Any] = cluster.get("pod", name, "-n", namespace)
        return pod if pod.get("status", {}).get("phase") == "Running" else None

    return wait_for(running, what=f"pod {namespace}/{name} Running")


def test_simulated_nodes_are_ready_with_gpu_and_mig_capacity(dev_cluster: DevCluster) -> None:
    nodes = {n["metadata"]["name"]: n for n in dev_cluster.get("nodes")["items"]}
    assert set(nodes) >= {"kwok-cpu-0", "kwok-cpu-1", "kwok-gpu-h100-0", "kwok-gpu-h100-1", "kwok-mig-a100-0"}
    for node in nodes.values():
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", node["metadata"]["name"]
    gpu = nodes["kwok-gpu-h100-0"]
    assert gpu["status"]["allocatable"]["nvidia.com/gpu"] == "8"
    assert gpu["metadata"]["labels"]["nvidia.com/gpu.product"] == "NVIDIA-H100-80GB-HBM3"
    assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"} in gpu["spec"]["taints"]
    mig = nodes["kwok-mig-a100-0"]
    assert mig["metadata"]["labels"]["nvidia.com/mig.strategy"] == "mixed"
    assert mig["status"]["allocatable"]["nvidia.com/mig-1g.10gb"] == "28"
    assert mig["status"]["allocatable"]["nvidia.com/mig-3g.40gb"] == "4"


def test_deployment_with_two_replicas_reaches_two_running_pods(dev_cluster: DevCluster) -> None:
    dev_cluster.create_namespace("e2e-deploy")
    labels = {"app": "web"}
    dev_cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "e2e-deploy"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": _pod("x")["spec"]},
            },
        }
    )

    def two_running() -> list[dict[str, Any]]:
        pods = dev_cluster.get("pods", "-n", "e2e-deploy", "-l", "app=web")["items"]
        running = [p for p in pods if p["status"].get("phase") == "Running"]
        return running if len(running) == 2 else []

    pods = wait_for(two_running, what="2 Running pods of deployment web")
    assert {p["spec"]["nodeName"] for p in pods} <= {"kwok-cpu-0", "kwok-cpu-1"}  # GPU nodes are tainted

    def ready_replicas() -> int | None:
        status: dict[str, int] = dev_cluster.get("deployment", "web", "-n", "e2e-deploy")["status"]
        return status.get("readyReplicas") == 2 and status.get("availableReplicas")

    assert wait_for(ready_replicas, what="deployment web with 2 ready replicas") == 2


def test_tenant_user_cannot_create_clusterrolebindings(dev_cluster: DevCluster) -> None:
    denied = dev_cluster.kubectl("auth", "can-i", "create", "clusterrolebindings", user=True, check=False)
    assert (denied.returncode, denied.stdout.strip()) == (1, "no")
    whoami = json.loads(dev_cluster.kubectl("auth", "whoami", "-o", "json", user=True).stdout)
    assert whoami["status"]["userInfo"]["username"] == "alice"
    assert "acme-devs" in whoami["status"]["userInfo"]["groups"]
    allowed = dev_cluster.kubectl("auth", "can-i", "create", "clusterrolebindings")
    assert allowed.stdout.strip() == "yes"


def test_pod_security_restricted_rejects_a_privileged_pod(dev_cluster: DevCluster) -> None:
    dev_cluster.create_namespace("e2e-restricted", {"pod-security.kubernetes.io/enforce": "restricted"})
    pod = _pod("privileged")
    pod["metadata"]["namespace"] = "e2e-restricted"
    pod["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    with pytest.raises(KubectlError) as error:
        dev_cluster.apply(pod)
    message = str(error.value)
    assert 'violates PodSecurity "restricted:latest"' in message
    assert "privileged" in message


def test_resource_quota_on_gpus_rejects_a_pod_over_it(dev_cluster: DevCluster) -> None:
    ns = "e2e-quota"
    dev_cluster.create_namespace(ns)
    dev_cluster.apply(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "gpus", "namespace": ns},
            "spec": {"hard": {"requests.nvidia.com/gpu": "2"}},
        }
    )
    # Admission refuses every pod until the quota controller has computed the quota's status.
    wait_for(
        lambda: dev_cluster.get("resourcequota", "gpus", "-n", ns).get("status", {}).get("hard"),
        what="ResourceQuota status computed",
    )

    big = _pod("too-many-gpus", resources={"nvidia.com/gpu": "4"}, tolerate_gpu=True)
    big["metadata"]["namespace"] = ns
    with pytest.raises(KubectlError, match=r"exceeded quota: gpus.*requested: requests.nvidia.com/gpu=4"):
        dev_cluster.apply(big)

    small = _pod("one-gpu", resources={"nvidia.com/gpu": "1"}, tolerate_gpu=True)
    small["metadata"]["namespace"] = ns
    dev_cluster.apply(small)
    assert _running_pod(dev_cluster, ns, "one-gpu")["spec"]["nodeName"].startswith("kwok-gpu-h100-")
    wait_for(
        lambda: (
            dev_cluster.get("resourcequota", "gpus", "-n", ns)["status"].get("used", {}).get("requests.nvidia.com/gpu")
            == "1"
        ),
        what="quota usage requests.nvidia.com/gpu=1",
    )


def test_mig_slice_pod_lands_on_the_mig_node(dev_cluster: DevCluster) -> None:
    dev_cluster.create_namespace("e2e-mig")
    pod = _pod("slice", resources={"nvidia.com/mig-1g.10gb": "1"}, tolerate_gpu=True)
    pod["metadata"]["namespace"] = "e2e-mig"
    dev_cluster.apply(pod)
    assert _running_pod(dev_cluster, "e2e-mig", "slice")["spec"]["nodeName"] == "kwok-mig-a100-0"


def test_namespace_with_running_pods_deletes(dev_cluster: DevCluster) -> None:
    dev_cluster.create_namespace("e2e-doomed")
    pod = _pod("victim")
    pod["metadata"]["namespace"] = "e2e-doomed"
    dev_cluster.apply(pod)
    _running_pod(dev_cluster, "e2e-doomed", "victim")
    dev_cluster.kubectl("delete", "namespace", "e2e-doomed", "--wait=true", "--timeout=90s", timeout=100)
    gone = dev_cluster.kubectl("get", "namespace", "e2e-doomed", check=False)
    assert gone.returncode == 1 and "NotFound" in gone.stderr


# --- a real admission webhook, served from this process -------------------------------------------


def _self_signed(directory: Path) -> tuple[Path, Path, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "e2e-webhook")])
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_file, key_file = directory / "tls.crt", directory / "tls.key"
    cert_file.write_bytes(cert_pem)
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file, cert_pem


class _Webhook(BaseHTTPRequestHandler):
    reviews: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).reviews.append({"path": self.path, "content_type": self.headers["Content-Type"], **review})
        request = review["request"]
        denied = request["name"].startswith("deny-")
        response = {"uid": request["uid"], "allowed": not denied}
        if denied:
            response["status"] = {"code": 403, "message": "e2e webhook says no to deny-*"}
        body = json.dumps(
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def webhook_server() -> Iterator[tuple[str, bytes]]:
    with tempfile.TemporaryDirectory() as tmp:
        cert_file, key_file, cert_pem = _self_signed(Path(tmp))
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        _Webhook.reviews = []
        try:
            yield f"https://127.0.0.1:{server.server_address[1]}", cert_pem
        finally:
            server.shutdown()
            server.server_close()


def test_validating_webhook_receives_a_real_admission_review(
    dev_cluster: DevCluster, webhook_server: tuple[str, bytes]
) -> None:
    url, ca_pem = webhook_server
    ns = "e2e-webhook"
    dev_cluster.create_namespace(ns, {"e2e-webhook": "on"})
    dev_cluster.apply(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": "e2e-webhook"},
            "webhooks": [
                {
                    "name": "configmaps.e2e.tenantguard.dev",
                    "clientConfig": {"url": f"{url}/validate", "caBundle": base64.b64encode(ca_pem).decode()},
                    "rules": [
                        {
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "operations": ["CREATE"],
                            "resources": ["configmaps"],
                            "scope": "Namespaced",
                        }
                    ],
                    "namespaceSelector": {"matchLabels": {"e2e-webhook": "on"}},
                    "admissionReviewVersions": ["v1"],
                    "sideEffects": "None",
                    "failurePolicy": "Fail",
                    "timeoutSeconds": 5,
                }
            ],
        }
    )
    try:
        # The apiserver picks up a new configuration within a second or so; retry until it does.
        def rejected() -> str:
            name = f"deny-{time.monotonic_ns()}"
            proc = dev_cluster.kubectl("create", "configmap", name, "-n", ns, check=False)
            return proc.stderr if proc.returncode != 0 else ""

        stderr = wait_for(rejected, what="the webhook to reject a ConfigMap", timeout=30)
        assert "e2e webhook says no to deny-*" in stderr
        dev_cluster.kubectl("create", "configmap", "allowed", "-n", ns)
    finally:
        dev_cluster.kubectl("delete", "validatingwebhookconfiguration", "e2e-webhook")

    review = _Webhook.reviews[-1]
    # The apiserver appends the webhook's timeout to the URL it was given.
    assert (review["path"], review["content_type"]) == ("/validate?timeout=5s", "application/json")
    assert (review["apiVersion"], review["kind"]) == ("admission.k8s.io/v1", "AdmissionReview")
    request = review["request"]
    assert request["operation"] == "CREATE"
    assert request["kind"] == {"group": "", "version": "v1", "kind": "ConfigMap"}
    assert request["resource"] == {"group": "", "version": "v1", "resource": "configmaps"}
    assert (request["namespace"], request["name"]) == (ns, "allowed")
    assert request["object"]["metadata"]["name"] == "allowed"
    assert request["userInfo"]["username"] == "tenantguard-admin"
    assert "system:masters" in request["userInfo"]["groups"]
    assert request["dryRun"] is False


# --- the command ----------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tenantguard.cli", "dev-cluster", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=dict(os.environ),
    )


def test_up_on_a_running_cluster_is_a_noop_that_prints_the_kubeconfig(dev_cluster: DevCluster) -> None:
    started = time.monotonic()
    proc = _cli("up", "--state-dir", str(dev_cluster.state_dir))
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 10
    assert proc.stdout.strip().splitlines()[-1] == f"KUBECONFIG={dev_cluster.kubeconfig}"


def test_status_and_env_describe_the_running_cluster(dev_cluster: DevCluster) -> None:
    status = _cli("status", "--state-dir", str(dev_cluster.state_dir), "--json")
    assert status.returncode == 0, status.stdout + status.stderr
    report = json.loads(status.stdout)
    assert report["server"] == dev_cluster.server
    assert {c["name"]: c["health"] for c in report["components"]} == dict.fromkeys(
        ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"], "ok"
    )
    env = _cli("env", "--user", "--state-dir", str(dev_cluster.state_dir))
    assert env.stdout == f"export KUBECONFIG={dev_cluster.user_kubeconfig}\n"
