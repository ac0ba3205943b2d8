"""RBAC001: RoleBindings in a tenant namespace bind only that tenant's subjects."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tests.support.fixtures import judge

RBAC = "rbac.authorization.k8s.io"


def group(name: str) -> dict[str, str]:
    return {"kind": "Group", "name": name, "apiGroup": RBAC}


def user(name: str) -> dict[str, str]:
    return {"kind": "User", "name": name, "apiGroup": RBAC}


def sa(name: str, namespace: str | None = None) -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": name, **({"namespace": namespace} if namespace else {})}


def binding(*subjects: dict[str, str], namespace: str = "acme-prod") -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "team", "namespace": namespace, "labels": {"tenantguard.io/tenant": "acme"}},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "edit"},
        "subjects": list(subjects),
    }


def fired(obj: dict[str, Any]) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "RBAC001"]


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param(group("acme-admins"), id="owner-group"),
        pytest.param(group("acme-devs"), id="member-group"),
        pytest.param(user("alice"), id="member-user"),
        pytest.param(sa("ci"), id="sa-binding-namespace"),
        pytest.param(sa("trainer", "acme-dev"), id="sa-other-own-namespace"),
        pytest.param(user("system:serviceaccount:acme-dev:trainer"), id="sa-as-user"),
        pytest.param(group("system:serviceaccounts:acme-prod"), id="namespace-sa-group"),
    ],
)
def test_allowed(subject: dict[str, str]) -> None:
    assert fired(binding(subject)) == []


def test_no_subjects_is_allowed() -> None:
    obj = binding()
    del obj["subjects"]
    assert fired(obj) == []


GLOBEX = "belongs to tenant 'globex'"


@pytest.mark.parametrize(
    ("subject", "words"),
    [
        pytest.param(group("globex-devs"), f"Group 'globex-devs' {GLOBEX}", id="other-tenant-group"),
        pytest.param(sa("default", "globex-prod"), f"ServiceAccount globex-prod/default {GLOBEX}", id="other-sa"),
        pytest.param(user("system:serviceaccount:globex-prod:ci"), GLOBEX, id="other-sa-user"),
        pytest.param(group("system:serviceaccounts:globex-prod"), GLOBEX, id="other-sa-group"),
        pytest.param(group("system:authenticated"), "contains the users of every tenant", id="everyone"),
        pytest.param(group("system:serviceaccounts"), "contains the users of every tenant", id="every-sa"),
        pytest.param(user("alice-admin"), "User 'alice-admin' is not an owner or member", id="stranger"),
        pytest.param(sa("tenantguard", "tenantguard-system"), "is not an owner or member", id="platform-sa"),
        pytest.param(group("alice"), "Group 'alice' is not an owner or member", id="kind-must-match"),
    ],
)
def test_denied(subject: dict[str, str], words: str) -> None:
    (v,) = fired(binding(group("acme-devs"), subject))
    assert v.path == "subjects[1]"
    assert words in v.message and "subjects of tenant 'acme'" in v.message


def test_empty_sa_namespace_means_the_bindings_namespace() -> None:
    assert fired(binding(sa("ci"), namespace="acme-dev")) == []


def test_every_outsider_is_reported() -> None:
    found = fired(binding(group("globex-devs"), user("alice"), user("mallory"), sa("x", "globex-prod")))
    assert [v.path for v in found] == ["subjects[0]", "subjects[2]", "subjects[3]"]


def test_group_listed_by_both_tenants_is_allowed_for_each() -> None:
    shared = {"members": [{"kind": "Group", "name": "globex-devs"}]}
    assert [
        v for v in judge(Example(object=binding(group("globex-devs")), tenant=shared)).violations if v.rule == "RBAC001"
    ] == []
