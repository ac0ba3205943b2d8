"""policies/rbac/subjects.py: one identity per subject, and the tenants it belongs to."""

from __future__ import annotations

import pytest

from tenantguard.policies.rbac.subjects import Members, members, normalize, subjects
from tenantguard.policies.tenancy import RbacSubject, Tenant, TenantIndex

TENANTS = TenantIndex.build(
    [
        Tenant(name="acme", namespaces=("acme-dev",), members=(RbacSubject(kind="Group", name="shared"),)),
        Tenant(name="globex", namespaces=("globex-prod",), members=(RbacSubject(kind="Group", name="shared"),)),
    ]
)


@pytest.mark.parametrize(
    ("kind", "name", "namespace", "expected"),
    [
        pytest.param(
            "ServiceAccount", "ci", "acme-dev", RbacSubject(kind="ServiceAccount", name="ci", namespace="acme-dev")
        ),
        pytest.param(
            "User",
            "system:serviceaccount:acme-dev:ci",
            "",
            RbacSubject(kind="ServiceAccount", name="ci", namespace="acme-dev"),
            id="serviceaccount-user-name",
        ),
        pytest.param(
            "User",
            "system:serviceaccount:acme-dev:",
            "",
            RbacSubject(kind="User", name="system:serviceaccount:acme-dev:"),
        ),
        pytest.param("Group", "devs", "x", RbacSubject(kind="Group", name="devs"), id="group-has-no-namespace"),
        pytest.param("Robot", "r2", "", None, id="unknown-kind"),
    ],
)
def test_normalize(kind: str, name: str, namespace: str, expected: RbacSubject | None) -> None:
    assert normalize(kind, name, namespace) == expected


@pytest.mark.parametrize(
    ("subject", "tenants"),
    [
        pytest.param(RbacSubject(kind="ServiceAccount", name="x", namespace="acme-dev"), ("acme",)),
        pytest.param(RbacSubject(kind="Group", name="system:serviceaccounts:acme-dev"), ("acme",)),
        pytest.param(RbacSubject(kind="Group", name="shared"), ("acme", "globex"), id="listed-by-two"),
        # A user that happens to be named like the group of a namespace's ServiceAccounts is no such group.
        pytest.param(RbacSubject(kind="User", name="system:serviceaccounts:acme-dev"), (), id="user-named-like-group"),
        pytest.param(RbacSubject(kind="ServiceAccount", name="x", namespace="kube-system"), ()),
        pytest.param(None, (), id="unknown"),
    ],
)
def test_tenants_of(subject: RbacSubject | None, tenants: tuple[str, ...]) -> None:
    assert Members(TENANTS).tenants_of(subject) == tenants


def test_subjects_resolve_serviceaccounts_against_the_binding_namespace() -> None:
    binding = {"subjects": [{"kind": "ServiceAccount", "name": "ci"}, "junk", {"kind": "Group", "name": "g"}]}
    refs = list(subjects(binding, "acme-dev"))
    assert [(r.path, r.display) for r in refs] == [
        ("subjects[0]", "ServiceAccount acme-dev/ci"),
        ("subjects[2]", "Group 'g'"),
    ]
    assert list(subjects({"subjects": "nope"})) == []


def test_members_is_built_once_per_tenant_index() -> None:
    first = members(TENANTS)
    assert members(TENANTS) is first
    other = TenantIndex.build([Tenant(name="acme", namespaces=("acme-dev",))])
    assert members(other) is not first
    assert members(other).tenants_of(RbacSubject(kind="Group", name="shared")) == ()
