"""The reconciler end to end (the session's `tenantguard controller`, `reconciler` fixture), as admin and as alice.

Tenant `stark` (stark-a, stark-b; native mTLS, GPUs, egress CIDRs) is this module's own; acme and globex are the
session's. Each test says which part of the issue's "Done when" it shows. Times are measured against the 5 s the
issue allows; the reconciler reacts to watch events, so the margin is wide.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.devcluster import DevCluster, wait_for
from tests.support.reconciler_runner import ControllerProcess
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
ISTIO_CRDS = HERE / "crds" / "istio" / "istio-security.istio.io_peerauthentications_authorizationpolicies.yaml"
TENANTGUARD = Path(sys.executable).with_name("tenantguard")
LABEL = "tenantguard.io/tenant"
MANAGED = "tenantguard.io/managed=true"
BASELINE = (
    "tenantguard-allow-same-tenant",
    "tenantguard-allow-dns",
    "tenantguard-allow-ingress",
    "tenantguard-allow-egress",
    "tenantguard-default-deny",
)
SECRET = "tenantguard-workload-cert"
SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
POD_SECURE = {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
STARK: dict[str, Any] = {
    "apiVersion": "tenantguard.io/v1alpha1",
    "kind": "Tenant",
    "metadata": {"name": "stark"},
    "spec": {
        "namespaces": ["stark-a", "stark-b"],
        "members": [{"kind": "Group", "name": "acme-devs"}],
        "podSecurity": "restricted",
        "mtls": {"mode": "native"},
        "network": {"allowIngressFrom": ["llm-gateway"], "allowEgressCIDRs": ["10.30.0.0/16"]},
        "gpu": {"maxPerPod": 2, "maxTotal": 4, "allowedResources": ["nvidia.com/gpu"]},
    },
}


def names(cluster: DevCluster, kind: str, ns: str) -> set[str]:
    proc = cluster.kubectl("get", kind, "-n", ns, "-l", MANAGED, "-o", "name", check=False)
    return {line.split("/", 1)[1] for line in proc.stdout.split()}


def generated(cluster: DevCluster, ns: str) -> bool:
    labels = cluster.get("namespace", ns)["metadata"].get("labels") or {}
    return (
        labels.get(LABEL) == "stark"
        and labels.get("pod-security.kubernetes.io/enforce") == "restricted"
        and names(cluster, "networkpolicy", ns) == set(BASELINE)
        and names(cluster, "resourcequota", ns) == {"tenantguard-gpu", "tenantguard-gpu-denied"}
        and names(cluster, "secret", ns) == {SECRET}
    )


def pod(name: str, ns: str, **spec: Any) -> dict[str, Any]:
    container = {"name": "app", "image": "registry.acme.example/app:1", "securityContext": dict(SECURE)}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"securityContext": dict(POD_SECURE), "containers": [container], **spec},
    }


def apply(cluster: DevCluster, obj: dict[str, Any], *, user: bool = False) -> tuple[int, str]:
    proc = cluster.kubectl("apply", "-f", "-", input=json.dumps(obj), user=user, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def events(cluster: DevCluster, tenant: str) -> list[dict[str, Any]]:
    found = cluster.get("events", "-n", "default", "--field-selector", f"involvedObject.name={tenant}")
    return [e for e in found["items"] if e["involvedObject"]["kind"] == "Tenant"]


@pytest.fixture(scope="module")
def stark(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[float]:
    """The Tenant and its namespaces; yields the seconds until every generated object existed."""
    apply(dev_cluster, STARK)
    started = time.monotonic()
    for ns in STARK["spec"]["namespaces"]:
        dev_cluster.kubectl("create", "namespace", ns)
    wait_for(
        lambda: all(generated(dev_cluster, ns) for ns in ("stark-a", "stark-b")), what="stark's objects", interval=0.1
    )
    yield time.monotonic() - started
    dev_cluster.kubectl("delete", "tenant", "stark", "--ignore-not-found", check=False)
    dev_cluster.kubectl("delete", "namespace", "stark-a", "stark-b", "--ignore-not-found", "--wait=false", check=False)


def test_a_tenant_and_its_namespaces_get_every_generated_object_within_5s(
    dev_cluster: DevCluster, stark: float
) -> None:
    assert stark < 5, f"{stark:.2f} s"
    assert names(dev_cluster, "secret", "tenantguard-system") >= {"tenantguard-ca-stark"}
    assert "tenantguard-gateway-stark" in names(dev_cluster, "secret", "llm-gateway")
    secret = dev_cluster.get("secret", SECRET, "-n", "stark-a")
    assert secret["type"] == "kubernetes.io/tls" and set(secret["data"]) == {"tls.crt", "tls.key", "ca.crt"}
    quota = dev_cluster.get("resourcequota", "tenantguard-gpu", "-n", "stark-a")
    assert quota["spec"]["hard"] == {"requests.nvidia.com/gpu": "4"}
    policy = dev_cluster.get("networkpolicy", "tenantguard-default-deny", "-n", "stark-a", "--show-managed-fields")
    fields = [m for m in policy["metadata"]["managedFields"] if m["manager"] == "tenantguard-reconciler"]
    assert fields and fields[0]["operation"] == "Apply", "server-side apply, by the reconciler's field manager"
    status = wait_for(lambda: dev_cluster.get("tenant", "stark").get("status") or None, what="stark's status")
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert (ready["status"], status["namespaces"]["summary"], status["gpu"]["summary"]) == ("True", "2/2", "0/4")
    assert status["mtls"]["certificateNotAfter"] < status["mtls"]["caNotAfter"]


def test_kubectl_get_tenants_shows_readiness_gpus_and_mtls(dev_cluster: DevCluster, stark: float) -> None:
    out = dev_cluster.kubectl("get", "tenants").stdout.splitlines()
    assert out[0].split() == ["NAME", "READY", "NAMESPACES", "GPUS", "MTLS", "PODSECURITY", "AGE"]
    row = next(line.split() for line in out if line.startswith("stark "))
    assert row[1:6] == ["True", "2/2", "0/4", "native", "restricted"]


def test_deleted_as_admin_they_are_back_within_5s(dev_cluster: DevCluster, stark: float) -> None:
    targets = [("networkpolicy", "tenantguard-default-deny"), ("resourcequota", "tenantguard-gpu"), ("secret", SECRET)]
    started = time.monotonic()
    for kind, name in targets:
        dev_cluster.kubectl("delete", kind, name, "-n", "stark-b")
    wait_for(lambda: generated(dev_cluster, "stark-b"), what="stark-b's objects restored", interval=0.1)
    took = time.monotonic() - started
    assert took < 5, f"{took:.2f} s"
    messages = {e["message"] for e in events(dev_cluster, "stark")}
    assert "created NetworkPolicy stark-b/tenantguard-default-deny" in messages
    assert "issued Secret stark-b/tenantguard-workload-cert" in messages


def test_an_admin_loosening_a_policy_is_reverted(dev_cluster: DevCluster, stark: float) -> None:
    patch = json.dumps({"spec": {"policyTypes": ["Egress"]}})
    dev_cluster.kubectl(
        "patch", "networkpolicy", "tenantguard-default-deny", "-n", "stark-a", "--type=merge", "-p", patch
    )
    wait_for(
        lambda: (
            dev_cluster.get("networkpolicy", "tenantguard-default-deny", "-n", "stark-a")["spec"]["policyTypes"]
            == ["Ingress", "Egress"]
        ),
        what="the default deny repaired",
        timeout=5,
        interval=0.1,
    )
    assert any(e["reason"] == "Repaired" for e in events(dev_cluster, "stark"))


@pytest.mark.parametrize(
    ("argv", "rule"),
    [
        pytest.param(("delete", "networkpolicy", "tenantguard-default-deny"), "NET001", id="delete-policy"),
        pytest.param(
            (
                "patch",
                "networkpolicy",
                "tenantguard-allow-same-tenant",
                "--type=merge",
                "-p",
                '{"spec":{"ingress":[{"from":[{"namespaceSelector":{}}]}]}}',
            ),
            "NET001",
            id="loosen-policy",
        ),
        pytest.param(("delete", "secret", SECRET), "TEN005", id="delete-certificate"),
        pytest.param(
            ("label", "secret", SECRET, "tenantguard.io/managed-", "--overwrite"), "TEN005", id="unmanage-certificate"
        ),
    ],
)
def test_the_tenant_user_is_denied_with_the_rule_id(
    dev_cluster: DevCluster, stark: float, argv: tuple[str, ...], rule: str
) -> None:
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "devs", "namespace": "stark-a"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "tenant-developer"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "acme-devs"}],
    }
    apply(dev_cluster, binding)
    proc = dev_cluster.kubectl(*argv, "-n", "stark-a", user=True, check=False)
    assert proc.returncode != 0, proc.stdout
    assert "denied the request" in proc.stderr and f"[{rule}]" in proc.stderr, proc.stderr
    # ResourceQuotas never reach the webhook for alice: RBAC refuses quota writes first (RBAC002 keeps it so).
    proc = dev_cluster.kubectl("delete", "resourcequota", "tenantguard-gpu", "-n", "stark-a", user=True, check=False)
    assert proc.returncode != 0 and "forbidden" in proc.stderr


def test_pods_are_denied_while_the_baseline_is_missing(
    dev_cluster: DevCluster, stark: float, reconciler: ControllerProcess
) -> None:
    reconciler.stop()  # the reconciler is down...
    try:
        dev_cluster.kubectl("delete", "networkpolicy", "tenantguard-allow-dns", "-n", "stark-a")  # ...and one goes

        def denied() -> str | None:
            code, out = apply(dev_cluster, pod("early", "stark-a"), user=False)
            return out if code != 0 else None

        out = wait_for(denied, what="NET005 once the cache saw the deletion", timeout=10)
        assert "[NET005] metadata.namespace: namespace 'stark-a' lacks its baseline NetworkPolicies" in out
        assert "tenantguard-allow-dns" in out and "the platform's reconciler writes them" in out
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "early", "namespace": "stark-a"},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "early"}},
                "template": {"metadata": {"labels": {"app": "early"}}, "spec": pod("x", "stark-a")["spec"]},
            },
        }
        code, out = apply(dev_cluster, deployment, user=False)
        assert code != 0 and "[NET005]" in out, "the workload at apply time, not its pods later"
    finally:
        reconciler.start()
    dev_cluster.wait_for_baseline("stark-a", timeout=5)
    wait_for(lambda: generated(dev_cluster, "stark-a"), what="stark-a restored", timeout=5, interval=0.1)
    wait_for(lambda: apply(dev_cluster, pod("early", "stark-a"))[0] == 0, what="the pod admitted", timeout=10)
    dev_cluster.kubectl("delete", "pod", "early", "-n", "stark-a", "--wait=false")


def test_namespaces_are_labelled_at_admission_and_existing_ones_by_the_reconciler(
    dev_cluster: DevCluster, stark: float
) -> None:
    spec = {**STARK["spec"], "namespaces": ["stark-a", "stark-b", "stark-c"]}
    apply(dev_cluster, {**STARK, "spec": spec})
    # A dry run is never stored: only admission (TEN004-M, PSS020-M) can have labelled it.
    created = json.loads(dev_cluster.kubectl("create", "namespace", "stark-c", "--dry-run=server", "-o", "json").stdout)
    assert created["metadata"]["labels"][LABEL] == "stark"
    assert created["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # A namespace that existed before a Tenant claimed it is labelled by the reconciler, without any write of it.
    dev_cluster.kubectl("create", "namespace", "stark-d")
    spec = {**STARK["spec"], "namespaces": ["stark-a", "stark-b", "stark-d"]}
    apply(dev_cluster, {**STARK, "spec": spec})
    try:
        wait_for(
            lambda: (dev_cluster.get("namespace", "stark-d")["metadata"].get("labels") or {}).get(LABEL) == "stark",
            what="stark-d labelled",
            timeout=5,
            interval=0.1,
        )
        wait_for(lambda: names(dev_cluster, "networkpolicy", "stark-d") == set(BASELINE), what="stark-d's baseline")
        # Dropped from the Tenant again: its generated objects go, and the tenant label the reconciler set.
        apply(dev_cluster, STARK)
        wait_for(
            lambda: not names(dev_cluster, "networkpolicy", "stark-d") and not names(dev_cluster, "secret", "stark-d"),
            what="stark-d's objects deleted",
            timeout=5,
            interval=0.1,
        )
        labels = dev_cluster.get("namespace", "stark-d")["metadata"]["labels"]
        assert LABEL not in labels and labels["pod-security.kubernetes.io/enforce"] == "restricted"
    finally:
        apply(dev_cluster, STARK)
        dev_cluster.kubectl("delete", "namespace", "stark-d", "--wait=false", check=False)


def test_a_deleted_tenant_leaves_nothing_generated(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    tenant = {**STARK, "metadata": {"name": "oscorp"}, "spec": {**STARK["spec"], "namespaces": ["oscorp-a"]}}
    apply(dev_cluster, tenant)
    dev_cluster.kubectl("create", "namespace", "oscorp-a")
    try:
        wait_for(lambda: names(dev_cluster, "networkpolicy", "oscorp-a") == set(BASELINE), what="oscorp's baseline")
        assert "tenantguard-ca-oscorp" in names(dev_cluster, "secret", "tenantguard-system")
        dev_cluster.kubectl("delete", "tenant", "oscorp")

        def gone() -> bool:
            left = dev_cluster.get("networkpolicy,resourcequota,secret", "-A", "-l", f"{LABEL}=oscorp,{MANAGED}")
            return not left["items"]

        wait_for(gone, what="every object generated for oscorp deleted", timeout=5, interval=0.1)
        assert dev_cluster.kubectl("get", "namespace", "oscorp-a", check=False).returncode == 0, "namespaces stay"
    finally:
        dev_cluster.kubectl("delete", "namespace", "oscorp-a", "--wait=false", check=False)


def test_istio_mode_gets_a_strict_peer_authentication_once_the_api_is_there(
    dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    warning = [e for e in events(dev_cluster, "globex") if e["reason"] == "MeshPolicyUnavailable"]
    assert warning and warning[0]["type"] == "Warning" and "install Istio's CRDs" in warning[0]["message"]
    degraded = next(c for c in dev_cluster.get("tenant", "globex")["status"]["conditions"] if c["type"] == "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "MeshPolicyUnavailable")
    dev_cluster.kubectl("apply", "--server-side", "-f", str(ISTIO_CRDS))
    try:
        pa = wait_for(
            lambda: (
                dev_cluster.kubectl(
                    "get", "peerauthentication", "tenantguard-mtls", "-n", "globex-prod", "-o", "json", check=False
                ).stdout
            ),
            what="globex-prod's PeerAuthentication",
            timeout=30,
        )
        assert json.loads(pa)["spec"] == {"mtls": {"mode": "STRICT"}}
        wait_for(
            lambda: (
                next(
                    c["status"]
                    for c in dev_cluster.get("tenant", "globex")["status"]["conditions"]
                    if c["type"] == "Ready"
                )
                == "True"
            ),
            what="globex Ready",
        )
    finally:
        dev_cluster.kubectl("delete", "-f", str(ISTIO_CRDS), "--ignore-not-found", check=False)


def test_the_audit_after_reconciliation(dev_cluster: DevCluster, stark: float, tmp_path: Path) -> None:
    """Zero uncovered pods in tenant namespaces, a diagonal tenant matrix, and matrices that say what the
    generated policies say: the allowed ingress (the gateway namespace, no tenant's) and the tenant's other
    namespace reach a native-mode pod on its sidecar port only, and no other tenant reaches it. (A tenant
    namespace in another Tenant's allowIngressFrom opens nothing by itself: its own baseline lets its pods send
    only within their tenant, and NET003 keeps its own policies there.)"""
    for p in (pod("server", "stark-a"), pod("client", "stark-b"), pod("other", "acme-prod")):
        p["metadata"]["labels"] = {"app": p["metadata"]["name"]}
        p["spec"]["containers"][0]["ports"] = [{"containerPort": 8000}]
        code, out = apply(dev_cluster, p)
        assert code == 0, out
    gateway = pod("envoy", "llm-gateway")
    apply(dev_cluster, gateway)
    report = tmp_path / "audit.json"
    kubeconfig = str(dev_cluster.kubeconfig)
    proc = subprocess.run(
        [str(TENANTGUARD), "audit", "--kubeconfig", kubeconfig, "--format", "json", "-o", str(report)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(report.read_text())
    reach = doc["isolation"]["reachability"]
    ours = ("stark", "acme")
    assert [p for p in reach["uncoveredPods"] if p["tenant"] in ours] == []
    tenants = reach["tenants"]
    assert tenants["stark"]["stark"] is True, "stark-b's client reaches stark-a's server"
    assert (tenants["stark"]["acme"], tenants["acme"]["stark"]) == (False, False), "off the diagonal: nothing"
    namespaces = reach["namespaces"]
    assert namespaces["llm-gateway"]["stark-a"] == ["TCP/8443"], "the gateway: the sidecar port only"
    assert namespaces["stark-b"]["stark-a"] == ["TCP/8443"], "the tenant's other namespace: the sidecar port only"
    assert "stark-a" not in namespaces.get("acme-prod", {})
    found = {(f["rule"], f["namespace"]) for f in doc["isolation"]["findings"] if f.get("tenant") == "stark"}
    assert found == set(), found
    for name, ns in (("server", "stark-a"), ("client", "stark-b"), ("other", "acme-prod"), ("envoy", "llm-gateway")):
        dev_cluster.kubectl("delete", "pod", name, "-n", ns, "--wait=false")
