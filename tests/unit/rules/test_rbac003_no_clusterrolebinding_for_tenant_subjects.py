"""RBAC003: no ClusterRoleBinding names a tenant's subject (judged without a tenant context)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tests.support.fixtures import judge

RBAC = "rbac.authorization.k8s.io"


def group(name: str) -> dict[str, str]:
    return {"kind": "Group", "name": name, "apiGroup": RBAC}


def sa(name: str, namespace: str) -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def crb(role: str, *subjects: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "b"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        "subjects": list(subjects),
    }


def fired(obj: dict[str, Any]) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "RBAC003"]


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(crb("view", sa("audit", "tenantguard-system")), id="platform-sa"),
        pytest.param(crb("cluster-admin", group("platform-admins")), id="platform-group"),
        pytest.param(crb("system:discovery", group("system:authenticated")), id="k8s-default-discovery"),
        pytest.param(
            crb("system:service-account-issuer-discovery", group("system:serviceaccounts")),
            id="k8s-default-issuer",
        ),
        pytest.param(crb("view", sa("ci", "team-tools")), id="non-tenant-namespace-sa"),
        pytest.param(crb("view"), id="no-subjects"),
    ],
)
def test_allowed(obj: dict[str, Any]) -> None:
    assert fired(obj) == []


@pytest.mark.parametrize(
    ("subject", "words"),
    [
        pytest.param(group("acme-admins"), "Group 'acme-admins' belongs to tenant 'acme'", id="owner"),
        pytest.param(
            {"kind": "User", "name": "alice", "apiGroup": RBAC},
            "User 'alice' belongs to tenant 'acme'",
            id="member-user",
        ),
        pytest.param(sa("ci", "globex-prod"), "ServiceAccount globex-prod/ci belongs to tenant 'globex'", id="sa"),
        pytest.param(group("system:serviceaccounts:acme-dev"), "belongs to tenant 'acme'", id="namespace-sa-group"),
        pytest.param(
            {"kind": "User", "name": "system:serviceaccount:acme-prod:vllm", "apiGroup": RBAC},
            "belongs to tenant 'acme'",
            id="sa-user-name",
        ),
    ],
)
def test_tenant_subjects_are_denied(subject: dict[str, str], words: str) -> None:
    (v,) = fired(crb("view", group("platform-admins"), subject))
    assert v.path == "subjects[1]"
    assert words in v.message and "ClusterRole 'view' in every tenant's namespaces" in v.message


@pytest.mark.parametrize("name", ["system:authenticated", "system:serviceaccounts"])
def test_everyone_groups_are_denied_for_non_system_roles(name: str) -> None:
    (v,) = fired(crb("edit", group(name)))
    assert v.path == "subjects[0]" and "contains every tenant's subjects" in v.message


def test_every_tenant_subject_is_reported() -> None:
    found = fired(crb("view", group("acme-devs"), group("globex-devs"), group("ops")))
    assert [v.path for v in found] == ["subjects[0]", "subjects[1]"]
    assert "'globex'" in found[1].message


def test_judged_without_a_tenant() -> None:
    evaluation = judge(Example(object=crb("view", group("acme-devs"))))
    assert evaluation.tenant is None and not evaluation.skipped
