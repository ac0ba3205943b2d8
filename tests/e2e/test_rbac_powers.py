"""The forbidden RBAC powers end to end: what the example roles allow alice, and what the webhook still denies.

Acts as alice (group acme-devs) through kube-apiserver. With the least-privilege tenant-developer role,
Kubernetes' own escalation check already stops her granting herself a forbidden power. With the broad role
(examples/platform/tenant-rbac-broad.yaml: `*` on Roles and RoleBindings, `bind` on ClusterRoles) it no longer
does, and the webhook is what denies each way out. Also: ClusterRoles are judged at admission (RBAC004), and
policies/rbac/bootstrap.py matches the ClusterRoles this kube-apiserver actually creates.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tenantguard.policies.rbac import bootstrap, powers
from tenantguard.policies.rbac.rules import parse_rules
from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import PLATFORM, WebhookProcess

pytestmark = pytest.mark.e2e

RBAC = "rbac.authorization.k8s.io"
NS = "acme-dev"


def role(name: str, *rules: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": NS},
        "rules": list(rules),
    }


def grant(verbs: list[str], resources: list[str], groups: list[str] | None = None) -> dict[str, Any]:
    return {"apiGroups": [""] if groups is None else groups, "resources": resources, "verbs": verbs}


def binding(name: str, cluster_role: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": NS},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": cluster_role},
        "subjects": [{"apiGroup": RBAC, "kind": "Group", "name": "acme-devs"}],
    }


def apply(cluster: DevCluster, obj: dict[str, Any], *, user: bool = True) -> tuple[int, str]:
    proc = cluster.kubectl("apply", "--dry-run=server", "-f", "-", input=json.dumps(obj), user=user, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def can_i(cluster: DevCluster, verb: str, resource: str) -> bool:
    resource, _, sub = resource.partition("/")  # `kubectl auth can-i` reads pods/x as a pod named x
    extra = ("--subresource", sub) if sub else ()
    proc = cluster.kubectl("auth", "can-i", verb, resource, *extra, "-n", NS, user=True, check=False)
    return proc.stdout.strip() == "yes"


SELF_GRANTS = [
    pytest.param(grant(["update"], ["namespaces/status"]), "rules[0].resources", id="namespaces-status"),
    pytest.param(grant(["update"], ["namespaces/finalize"]), "rules[0].resources", id="namespaces-finalize"),
    pytest.param(grant(["patch"], ["*/status"], ["*"]), "rules[0].resources", id="star-status"),
    pytest.param(grant(["update"], ["pods/status"]), "rules[0].resources", id="pods-status"),
    pytest.param(grant(["update", "patch"], ["resourcequotas"]), "rules[0].resources", id="quota"),
    pytest.param(grant(["create"], ["endpointslices"], ["discovery.k8s.io"]), "rules[0].resources", id="slices"),
    pytest.param(grant(["impersonate"], ["users"]), "rules[0].verbs", id="impersonate-users"),
    pytest.param(grant(["escalate", "bind"], ["roles"], [RBAC]), "rules[0].verbs", id="escalate-bind"),
]


# --- least privilege: Kubernetes itself refuses -------------------------------------------------------------


def test_tenant_developer_is_edit_plus_what_a_tenant_needs(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    for verb, resource in [
        ("create", "deployments.apps"),
        ("create", "rolebindings.rbac.authorization.k8s.io"),
        ("update", "pods/ephemeralcontainers"),
        ("create", "inferenceservices.serving.kserve.io"),
        ("create", "networkpolicies.networking.k8s.io"),
        ("impersonate", "serviceaccounts"),
        ("list", "events"),  # denials of controller writes are Events on the tenant's workloads
    ]:
        assert can_i(dev_cluster, verb, resource), f"{verb} {resource}"
    for verb, resource in [
        ("update", "namespaces/status"),
        ("update", "pods/status"),
        ("update", "resourcequotas"),
        ("create", "endpointslices.discovery.k8s.io"),
        ("escalate", "roles.rbac.authorization.k8s.io"),
        ("bind", "clusterroles.rbac.authorization.k8s.io"),
    ]:
        assert not can_i(dev_cluster, verb, resource), f"{verb} {resource}"


@pytest.mark.parametrize(("rule", "path"), SELF_GRANTS[:2])
def test_least_privilege_role_cannot_grant_what_it_does_not_hold(
    rule: dict[str, Any], path: str, dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    code, out = apply(dev_cluster, role("self-grant", rule))
    assert code != 0 and "attempting to grant RBAC permissions not currently held" in out, out
    assert "[RBAC002]" not in out  # refused by Kubernetes' RBAC before admission


# --- a broad role: the webhook holds ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def broad(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[None]:
    manifest = str(PLATFORM / "tenant-rbac-broad.yaml")
    dev_cluster.kubectl("apply", "-f", manifest)
    wait_for(lambda: can_i(dev_cluster, "escalate", "roles.rbac.authorization.k8s.io"), what="alice may escalate")
    try:
        yield
    finally:
        dev_cluster.kubectl("delete", "-f", manifest, "--ignore-not-found", check=False)


@pytest.mark.parametrize(("rule", "path"), SELF_GRANTS)
def test_broad_role_self_grant_is_denied_by_the_webhook(
    rule: dict[str, Any], path: str, dev_cluster: DevCluster, broad: None
) -> None:
    code, out = apply(dev_cluster, role("self-grant", rule))
    assert code != 0 and "denied the request" in out, out
    assert f"[RBAC002] {path}:" in out, out


def test_broad_role_binding_a_kubernetes_component_role_is_denied(dev_cluster: DevCluster, broad: None) -> None:
    code, out = apply(dev_cluster, binding("slices", "system:controller:endpointslice-controller"))
    assert code != 0 and "[RBAC002] roleRef.name:" in out and "endpoint-writes" in out, out


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(role("reader", grant(["get", "list"], ["configmaps", "pods/log"])), id="plain-role"),
        pytest.param(role("sa", grant(["impersonate"], ["serviceaccounts"])), id="serviceaccount-impersonation"),
        pytest.param(binding("editors", "edit"), id="bind-edit"),
        pytest.param(binding("admins", "admin"), id="bind-admin"),
    ],
)
def test_broad_role_legitimate_writes_are_admitted(obj: dict[str, Any], dev_cluster: DevCluster, broad: None) -> None:
    code, out = apply(dev_cluster, obj)
    assert code == 0, out


# --- ClusterRoles at admission ------------------------------------------------------------------------------


def test_clusterrole_aggregating_a_forbidden_power_into_edit_is_denied_at_admission(
    dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    cluster_role = {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "slices-edit", "labels": {f"{RBAC}/aggregate-to-edit": "true"}},
        "rules": [grant(["create", "update"], ["endpointslices"], ["discovery.k8s.io"])],
    }
    code, out = apply(dev_cluster, cluster_role, user=False)
    assert code != 0 and "[RBAC004] rules[0].resources:" in out and "aggregated into edit" in out, out
    code, out = apply(dev_cluster, {**cluster_role, "metadata": {"name": "slices-platform"}}, user=False)
    assert code == 0, out  # not aggregated: the platform's own roles are its business


# --- the bootstrap table is what this kube-apiserver creates ------------------------------------------------


def test_bootstrap_table_matches_the_api_servers_clusterroles(dev_cluster: DevCluster) -> None:
    items = dev_cluster.get("clusterroles", "-l", "kubernetes.io/bootstrapping=rbac-defaults")["items"]
    granting: dict[str, tuple[str, ...]] = {}
    for item in items:
        held = {h.power.name for r in parse_rules(item.get("rules")) for h in powers.held(r)}
        if held:
            granting[item["metadata"]["name"]] = tuple(p.name for p in powers.FORBIDDEN if p.name in held)
    assert {"admin", "edit", "view"} <= {i["metadata"]["name"] for i in items}
    assert granting == dict(bootstrap.GRANTING)
