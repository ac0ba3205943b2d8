"""Labels written through subresources: kube-apiserver keeps metadata changes made on `namespaces/status`,
`namespaces/finalize` and `pods/status`, so those writes are judged like an UPDATE of the object (boundary issue,
group 1). A platform that grants a tenant these subresources must still not let her relabel her way out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "e2e-status-writer"},
    "rules": [
        {
            "apiGroups": [""],
            "resources": ["namespaces/status", "namespaces/finalize"],
            "verbs": ["get", "update", "patch"],
        },
        {"apiGroups": [""], "resources": ["pods/status"], "verbs": ["get", "update", "patch"]},
    ],
}
BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "e2e-status-writer", "namespace": "acme-dev"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "e2e-status-writer"},
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
}


@pytest.fixture
def status_writer(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[None]:
    """A platform that granted alice the status subresources in acme-dev (a broad grant, on purpose)."""
    dev_cluster.apply(ROLE, user=False)
    dev_cluster.apply(BINDING, user=False)
    wait_for(
        lambda: (
            dev_cluster.kubectl(
                "auth", "can-i", "patch", "pods", "--subresource=status", "-n", "acme-dev", user=True, check=False
            ).returncode
            == 0
        ),
        what="alice may patch pods/status in acme-dev",
    )
    try:
        yield
    finally:
        dev_cluster.kubectl("delete", "rolebinding", "e2e-status-writer", "-n", "acme-dev", check=False)
        dev_cluster.kubectl("delete", "clusterrole", "e2e-status-writer", check=False)


def _patch(cluster: DevCluster, *target: str, labels: dict[str, str | None], sub: str = "status") -> tuple[int, str]:
    body = json.dumps({"metadata": {"labels": labels}})
    proc = cluster.kubectl("patch", *target, f"--subresource={sub}", "--type=merge", "-p", body, user=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_namespace_tenant_label_cannot_be_removed_through_status(dev_cluster: DevCluster, status_writer: None) -> None:
    code, out = _patch(dev_cluster, "namespace", "acme-dev", labels={"tenantguard.io/tenant": None})
    assert code != 0 and "[TEN003]" in out, out
    code, out = _patch(dev_cluster, "namespace", "acme-dev", labels={"tenantguard.io/tenant": "globex"})
    assert code != 0 and "[TEN003]" in out, out
    labels = dev_cluster.get("namespace", "acme-dev")["metadata"]["labels"]
    assert labels["tenantguard.io/tenant"] == "acme"


def test_pod_tenant_label_cannot_change_through_status(dev_cluster: DevCluster, status_writer: None) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "status-relabel", "namespace": "acme-dev"},
        "spec": {
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "app",
                    "image": "registry.acme.example/app:1",
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                }
            ],
        },
    }
    dev_cluster.apply(pod, user=False)
    code, out = _patch(
        dev_cluster, "pod", "status-relabel", "-n", "acme-dev", labels={"tenantguard.io/tenant": "globex"}
    )
    assert code != 0 and "[TEN003]" in out, out
    code, out = _patch(dev_cluster, "pod", "status-relabel", "-n", "acme-dev", labels={"team": "search"})
    assert code == 0, "a label a normal update may change is fine through status too: " + out
    dev_cluster.kubectl("delete", "pod", "status-relabel", "-n", "acme-dev", "--wait=false", check=False)
