"""RBAC002: tenant Roles grant no forbidden power; RoleBindings bind no Kubernetes role known to grant one.

Written as the tenant would try it: with `escalate` and `bind` on Roles, write a Role that grants the way out.
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rbac import bootstrap, powers
from tenantguard.policies.rule import Example
from tests.support.fixtures import judge

RBAC = "rbac.authorization.k8s.io"
AUTHN = "authentication.k8s.io"
META = {"name": "ops", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}
FIX_ALL = " and list the resources needed instead"


def binding(role: str, kind: str = "ClusterRole", ns: str = "acme-prod") -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {**META, "namespace": ns},
        "roleRef": {"apiGroup": RBAC, "kind": kind, "name": role},
        "subjects": [{"kind": "Group", "name": "acme-admins", "apiGroup": RBAC}],
    }


def role(*rules: dict[str, Any], ns: str = "acme-prod") -> dict[str, Any]:
    return {"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": {**META, "namespace": ns}, "rules": list(rules)}


def grant(verbs: list[str], resources: list[str], groups: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"apiGroups": groups if groups is not None else [""], "resources": resources, "verbs": verbs, **extra}


def fired(obj: dict[str, Any]) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "RBAC002"]


# --- the tenant's self-grants, first ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        pytest.param(
            grant(["update"], ["namespaces/status"]),
            "rules[0].resources",
            "'namespaces/status' grants update on namespaces/status (namespace-writes: rewrites its own Namespace "
            "(tenant and Pod Security labels)); remove it",
            id="namespaces-status",
        ),
        pytest.param(
            grant(["update"], ["namespaces/finalize"]),
            "rules[0].resources",
            "'namespaces/finalize' grants update on namespaces/finalize (namespace-writes: rewrites its own "
            "Namespace (tenant and Pod Security labels)); remove it",
            id="namespaces-finalize",
        ),
        pytest.param(
            grant(["patch"], ["pods/status"]),
            "rules[0].resources",
            "'pods/status' grants patch on pods/status (pod-status-writes: relabels pods past admission); remove it",
            id="pods-status",
        ),
        pytest.param(
            grant(["update", "patch"], ["resourcequotas"]),
            "rules[0].resources",
            "'resourcequotas' grants update, patch on resourcequotas (quota-writes: raises or removes the "
            "namespace's ResourceQuota, the GPU backstop); remove it",
            id="quota",
        ),
        pytest.param(
            grant(["create"], ["limitranges"]),
            "rules[0].resources",
            "'limitranges' grants create on limitranges (limit-range-writes: changes the namespace's LimitRange "
            "defaults and bounds); remove it",
            id="limitrange",
        ),
        pytest.param(
            grant(["create", "update"], ["endpointslices"], ["discovery.k8s.io"]),
            "rules[0].resources",
            "'endpointslices' grants create, update on endpointslices (endpoint-writes: points a Service at any "
            "IP, such as another tenant's pods); remove it",
            id="endpointslices",
        ),
        pytest.param(
            grant(["create"], ["pods/binding"]),
            "rules[0].resources",
            "'pods/binding' grants create on pods/binding (pod-binding: puts pods on a node of its choice, past "
            "the scheduler); remove it",
            id="pod-binding",
        ),
        pytest.param(
            grant(["escalate"], ["roles"], [RBAC]),
            "rules[0].verbs",
            "'escalate' grants escalate on roles (escalate: writes roles with permissions it does not hold); remove it",
            id="escalate",
        ),
        pytest.param(
            grant(["bind"], ["clusterroles"], [RBAC]),
            "rules[0].verbs",
            "'bind' grants bind on clusterroles (bind: binds roles with permissions it does not hold); remove it",
            id="bind",
        ),
        pytest.param(
            grant(["impersonate"], ["users"]),
            "rules[0].verbs",
            "'impersonate' grants impersonate on users (impersonate: acts as another user, group or node); remove it",
            id="impersonate-users",
        ),
        pytest.param(
            grant(["impersonate:user-info"], ["groups"], [AUTHN]),
            "rules[0].verbs",
            "'impersonate:user-info' grants impersonate:user-info on groups (impersonate: acts as another user, "
            "group or node); remove it",
            id="constrained-impersonation",
        ),
        pytest.param(
            grant(["get"], ["nodes/proxy"]),
            "rules[0].resources",
            "'nodes/proxy' grants get on nodes/proxy (node-access: reaches nodes and the kubelet API (every pod on "
            "the node)); remove it",
            id="nodes-proxy",
        ),
    ],
)
def test_role_granting_a_forbidden_power_is_denied(rule: dict[str, Any], path: str, message: str) -> None:
    (v,) = fired(role(rule))
    assert (v.path, v.message) == (path, message)


@pytest.mark.parametrize(
    ("rule", "path", "message"),
    [
        pytest.param(
            grant(["update"], ["*/status"], ["*"]),
            "rules[0].resources",
            "'*/status' grants 6 forbidden powers: namespace-writes (namespaces/status), pod-status-writes "
            "(pods/status), service-status-writes (services/status), quota-writes (resourcequotas/status), "
            "node-access (nodes/status), tenant-writes (tenants/status); remove it" + FIX_ALL,
            id="star-status",
        ),
        pytest.param(
            grant(["update"], ["*/status"]),
            "rules[0].resources",
            "'*/status' grants 5 forbidden powers: namespace-writes (namespaces/status), pod-status-writes "
            "(pods/status), service-status-writes (services/status), quota-writes (resourcequotas/status), "
            "node-access (nodes/status); remove it" + FIX_ALL,
            id="star-status-core-group",
        ),
        pytest.param(
            grant(["patch"], ["namespaces"], ["*"]),
            "rules[0].resources",
            "'namespaces' grants patch on namespaces (namespace-writes: rewrites its own Namespace (tenant and Pod "
            "Security labels)); remove it",
            id="group-star",
        ),
        pytest.param(
            grant(["*"], ["roles"], [RBAC]),
            "rules[0].verbs",
            "'*' grants 2 forbidden powers: escalate (roles), bind (roles); remove it and list the verbs needed "
            "instead",
            id="verb-star-on-roles",
        ),
        pytest.param(
            grant(["*"], ["endpoints"]),
            "rules[0].resources",
            "'endpoints' grants create, update, patch, delete, deletecollection on endpoints (endpoint-writes: "
            "points a Service at any IP, such as another tenant's pods); remove it",
            id="verb-star-on-endpoints",
        ),
        pytest.param(
            grant(["impersonate"], ["userextras/scopes"], [AUTHN]),
            "rules[0].verbs",
            "'impersonate' grants impersonate on userextras/scopes (impersonate: acts as another user, group or "
            "node); remove it",
            id="user-extras",
        ),
        pytest.param(
            grant(["get", "list"], ["*"], ["*"]),
            "rules[0].resources",
            "'*' grants get, list on nodes, nodes/<key> (node-access: reaches nodes and the kubelet API (every pod "
            "on the node)); remove it" + FIX_ALL,
            id="read-everything-includes-nodes-proxy",
        ),
        pytest.param(
            grant(["update"], ["resourcequotas"], resourceNames=["tenantguard-gpu"]),
            "rules[0].resources",
            "'resourcequotas' grants update on resourcequotas (quota-writes: raises or removes the namespace's "
            "ResourceQuota, the GPU backstop); remove it",
            id="name-scoped-is-still-the-power",
        ),
    ],
)
def test_wildcards_and_subresources_are_caught_by_construction(rule: dict[str, Any], path: str, message: str) -> None:
    (v,) = fired(role(rule))
    assert (v.path, v.message) == (path, message)


def test_star_star_star_reports_verbs_and_resources_once_each() -> None:
    found = fired(role(grant(["*"], ["*"], ["*"])))
    assert [v.path for v in found] == ["rules[0].verbs", "rules[0].resources"]
    assert found[0].message.startswith("'*' grants 3 forbidden powers: escalate (roles, clusterroles), bind ")
    assert found[1].message.startswith("'*' grants 11 forbidden powers: namespace-writes (namespaces, ")


def test_every_offending_rule_is_reported_in_order() -> None:
    obj = role(
        grant(["get"], ["pods"]),
        grant(["bind", "escalate"], ["roles"], [RBAC]),
        grant(["get", "list"], ["pods", "configmaps"]),
        grant(["patch"], ["pods/status", "namespaces/status"]),
    )
    found = fired(obj)
    assert [v.path for v in found] == ["rules[1].verbs", "rules[3].resources"]
    assert found[0].message.startswith("'bind', 'escalate' grant 2 forbidden powers: escalate (roles), bind (roles)")
    assert found[1].message.startswith("'namespaces/status', 'pods/status' grant 2 forbidden powers: ")


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(binding("admin"), id="admin"),
        pytest.param(binding("edit"), id="edit"),
        pytest.param(binding("view"), id="view"),
        pytest.param(binding("tenant-developer"), id="platform-clusterrole-unknown-here"),
        pytest.param(binding("cluster-admin", kind="Role"), id="a-Role-named-cluster-admin"),
        pytest.param(role(grant(["get", "list", "watch"], ["pods", "pods/log"])), id="read-pods"),
        pytest.param(role(grant(["*"], ["deployments", "statefulsets"], ["apps"])), id="star-verbs-on-workloads"),
        pytest.param(role(grant(["get", "list", "watch"], ["namespaces", "namespaces/status"])), id="read-namespace"),
        pytest.param(role(grant(["get", "list"], ["resourcequotas", "endpointslices"], ["", "discovery.k8s.io"]))),
        pytest.param(role(grant(["create", "update"], ["roles", "rolebindings"], [RBAC])), id="manage-roles"),
        pytest.param(role(grant(["impersonate"], ["serviceaccounts"])), id="impersonate-serviceaccounts-as-edit"),
        pytest.param(
            role(grant(["impersonate:serviceaccount"], ["serviceaccounts"], [AUTHN])),
            id="constrained-serviceaccount-impersonation",
        ),
        pytest.param(role(grant(["*"], ["serviceaccounts"])), id="star-on-serviceaccounts"),
        pytest.param(role(grant(["*"], ["networkpolicies"], ["networking.k8s.io"])), id="own-networkpolicies"),
        pytest.param(role(grant(["patch"], ["namespaces"], ["apps"])), id="apigroup-respected"),
        pytest.param(role(grant(["update"], ["pods/*"])), id="pods-slash-star-is-no-wildcard"),
        pytest.param(role(grant(["deletecollection"], ["resourcequotas"], resourceNames=["q"]))),
        pytest.param(role(grant(["*"], ["*"], ["*"]), ns="platform-tools"), id="not-a-tenant-namespace"),
    ],
)
def test_allowed(obj: dict[str, Any]) -> None:
    assert fired(obj) == []


def test_cluster_admin_binding_is_denied() -> None:
    (v,) = fired(binding("cluster-admin"))
    assert v.path == "roleRef.name"
    assert v.message == (
        "ClusterRole 'cluster-admin' cannot be bound in tenant namespace 'acme-prod': it grants every forbidden "
        "power; bind 'admin', 'edit' or 'view' instead"
    )


def test_kubernetes_component_role_binding_is_denied() -> None:
    (v,) = fired(binding("system:controller:endpointslice-controller"))
    assert v.path == "roleRef.name"
    assert v.message == (
        "ClusterRole 'system:controller:endpointslice-controller' cannot be bound in tenant namespace 'acme-prod': "
        "it grants endpoint-writes, node-access; bind 'admin', 'edit' or 'view' instead"
    )


def test_bootstrap_table_names_only_known_powers() -> None:
    for name, granted in bootstrap.GRANTING.items():
        assert granted and set(granted) <= set(powers.BY_NAME), name
        order = [p.name for p in powers.FORBIDDEN]
        assert list(granted) == sorted(granted, key=order.index), name
    assert {"admin", "edit", "view"}.isdisjoint(bootstrap.GRANTING)
