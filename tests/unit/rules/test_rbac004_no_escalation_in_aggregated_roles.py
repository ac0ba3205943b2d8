"""RBAC004: ClusterRoles aggregated into admin/edit/view add no escalation."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tests.support.fixtures import cluster_for, judge, request

AGG = "rbac.authorization.k8s.io/aggregate-to-"


def cluster_role(
    *rules: dict[str, Any], name: str = "kserve-edit", into: str | None = "edit", value: str = "true"
) -> dict[str, Any]:
    labels = {f"{AGG}{into}": value} if into else {}
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": labels},
        "rules": list(rules),
    }


def grant(verbs: list[str], resources: list[str]) -> dict[str, Any]:
    return {"apiGroups": ["*"], "resources": resources, "verbs": verbs}


def fired(obj: dict[str, Any]) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "RBAC004"]


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(cluster_role(grant(["get", "list", "create"], ["inferenceservices"])), id="plain-grant"),
        pytest.param(cluster_role(grant(["*"], ["*"]), into=None), id="not-aggregated"),
        pytest.param(cluster_role(grant(["*"], ["*"]), value="false"), id="label-false"),
        pytest.param(
            cluster_role(grant(["impersonate"], ["serviceaccounts"]), name="system:aggregate-to-edit"),
            id="kubernetes-own",
        ),
    ],
)
def test_allowed(obj: dict[str, Any]) -> None:
    assert fired(obj) == []


@pytest.mark.parametrize("into", ["admin", "edit", "view"])
def test_forbidden_power_in_aggregated_role_is_denied(into: str) -> None:
    (v,) = fired(cluster_role(grant(["get"], ["pods"]), grant(["escalate"], ["roles"]), into=into))
    assert v.path == "rules[1].verbs"
    assert v.message == (
        "'escalate' grants escalate on roles (escalate: writes roles with permissions it does not hold); remove it "
        f"(aggregated into {into}: every tenant bound to it would hold it)"
    )


def test_status_wildcard_is_a_forbidden_power() -> None:
    (v,) = fired(cluster_role(grant(["update"], ["*/status"]), name="status-writer"))
    assert v.path == "rules[0].resources"
    assert v.message.startswith("'*/status' grants 6 forbidden powers: namespace-writes (namespaces/status), ")


def test_every_problem_is_reported() -> None:
    found = fired(cluster_role(grant(["*"], ["*"]), grant(["get"], ["nodes/proxy"])))
    assert [v.path for v in found] == ["rules[0].verbs", "rules[0].resources", "rules[1].resources"]


def test_several_aggregation_labels_are_named() -> None:
    obj = cluster_role(grant(["create"], ["endpoints"]))
    obj["metadata"]["labels"][f"{AGG}admin"] = "true"
    (v,) = fired(obj)
    assert v.message.endswith("(aggregated into admin/edit: every tenant bound to it would hold it)")


@pytest.mark.parametrize("name", ["system:aggregate-to-edit", "edit"])
def test_kubernetes_own_roles_are_judged_and_pass(name: str) -> None:
    # Kubernetes' edit rules: impersonating the namespace's ServiceAccounts is not a forbidden power.
    edit = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/bootstrapping": "rbac-defaults",
                "rbac.authorization.k8s.io/aggregate-to-admin": "true",
            },
        },
        "rules": [
            {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]},
            {"apiGroups": [""], "resources": ["pods", "pods/exec", "secrets"], "verbs": ["create", "update"]},
        ],
    }
    assert not [v for v in evaluate(edit, cluster_for(), request()).violations if v.rule == "RBAC004"]


def test_the_rbac_defaults_label_does_not_exempt() -> None:
    obj = cluster_role(grant(["update"], ["pods/status"]), name="system:sneaky")
    obj["metadata"]["labels"]["kubernetes.io/bootstrapping"] = "rbac-defaults"
    assert [v.path for v in fired(obj)] == ["rules[0].resources"]
