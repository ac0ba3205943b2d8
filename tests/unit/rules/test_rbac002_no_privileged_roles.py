"""RBAC002: no cluster-admin RoleBinding; Roles grant no escalate/bind/impersonate, nodes, ns writes."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tests.support.fixtures import judge

RBAC = "rbac.authorization.k8s.io"
META = {"name": "ops", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}


def binding(role: str, kind: str = "ClusterRole") -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": META,
        "roleRef": {"apiGroup": RBAC, "kind": kind, "name": role},
        "subjects": [{"kind": "Group", "name": "acme-admins", "apiGroup": RBAC}],
    }


def role(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": META, "rules": list(rules)}


def grant(verbs: list[str], resources: list[str], groups: list[str] | None = None) -> dict[str, Any]:
    return {"apiGroups": groups if groups is not None else [""], "resources": resources, "verbs": verbs}


def fired(obj: dict[str, Any]) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "RBAC002"]


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(binding("admin"), id="admin"),
        pytest.param(binding("edit"), id="edit"),
        pytest.param(binding("view"), id="view"),
        pytest.param(binding("cluster-admin", kind="Role"), id="a-Role-named-cluster-admin"),
        pytest.param(role(grant(["get", "list", "watch"], ["pods", "pods/log"])), id="read-pods"),
        pytest.param(role(grant(["*"], ["deployments", "statefulsets"], ["apps"])), id="star-verbs-on-workloads"),
        pytest.param(role(grant(["get", "list"], ["*"], ["*"])), id="read-everything"),
        pytest.param(role(grant(["get", "list", "watch"], ["namespaces"])), id="read-own-namespace"),
        pytest.param(role(grant(["create", "update"], ["roles", "rolebindings"], [RBAC])), id="manage-roles"),
    ],
)
def test_allowed(obj: dict[str, Any]) -> None:
    assert fired(obj) == []


def test_cluster_admin_binding_is_denied() -> None:
    (v,) = fired(binding("cluster-admin"))
    assert v.path == "roleRef.name"
    assert "'cluster-admin' cannot be bound in tenant namespace 'acme-prod'" in v.message


@pytest.mark.parametrize(
    ("rule", "path", "words"),
    [
        pytest.param(grant(["escalate"], ["roles"], [RBAC]), "rules[0].verbs", "grants escalate", id="escalate"),
        pytest.param(grant(["bind"], ["clusterroles"], [RBAC]), "rules[0].verbs", "grants bind", id="bind"),
        pytest.param(
            grant(["impersonate"], ["serviceaccounts"]),
            "rules[0].verbs",
            "grants impersonate",
            id="impersonate",
        ),
        pytest.param(grant(["*"], ["*"], ["*"]), "rules[0].verbs", "'*' verbs on '*' resources", id="star-star"),
        pytest.param(grant(["*"], ["roles"], [RBAC]), "rules[0].verbs", "'*' verbs on roles include", id="star-roles"),
        pytest.param(
            grant(["*"], ["users", "groups"]),
            "rules[0].verbs",
            "'*' verbs on groups, users",
            id="star-identities",
        ),
        pytest.param(grant(["get"], ["nodes/proxy"]), "rules[0].resources", "grants nodes/proxy", id="nodes-proxy"),
        pytest.param(grant(["list"], ["nodes"]), "rules[0].resources", "grants nodes", id="nodes"),
        pytest.param(
            grant(["patch", "update"], ["namespaces"]),
            "rules[0].resources",
            "patch, update on namespaces",
            id="namespace-write",
        ),
        pytest.param(grant(["*"], ["namespaces"]), "rules[0].resources", "* on namespaces", id="namespace-star"),
        pytest.param(
            grant(["delete"], ["*"], ["*"]),
            "rules[0].resources",
            "delete on namespaces",
            id="write-on-everything",
        ),
    ],
)
def test_role_grants_are_denied(rule: dict[str, Any], path: str, words: str) -> None:
    (v,) = fired(role(rule))
    assert v.path == path and words in v.message


def test_every_offending_rule_is_reported() -> None:
    obj = role(
        grant(["get"], ["pods"]),
        grant(["bind", "escalate"], ["roles"], [RBAC]),
        grant(["get"], ["nodes/proxy"]),
        grant(["*"], ["*"], ["*"]),
    )
    found = fired(obj)
    assert [v.path for v in found] == ["rules[1].verbs", "rules[2].resources", "rules[3].verbs"]
    assert "grants bind, escalate" in found[0].message


def test_clusterrole_kinds_are_not_this_rules_business() -> None:
    obj = {**role(grant(["*"], ["*"], ["*"])), "kind": "ClusterRole", "metadata": {"name": "ops"}}
    assert fired(obj) == []
