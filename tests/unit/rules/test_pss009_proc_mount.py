"""PSS009 procMount (baseline): Default or undefined, anything in a user namespace (v1.35)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS009"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = BASELINE_TENANT) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize("value", [None, "Default"], ids=["undefined", "Default"])
def test_allowed_values(value: str | None) -> None:
    assert fired(example_pod(restricted_container(procMount=value))) == []


@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_unmasked_is_denied(field: str) -> None:
    (v,) = fired(example_pod(**{field: [restricted_container("app", procMount="Unmasked")]}))
    assert v.path == f"spec.{field}[0].securityContext.procMount"
    assert v.message == 'procMount (container "app" must not set securityContext.procMount to "Unmasked")'


@pytest.mark.parametrize("host_users", [None, True], ids=["undefined", "true"])
def test_host_users_other_than_false_gets_no_relaxation(host_users: bool | None) -> None:
    spec = {} if host_users is None else {"hostUsers": host_users}
    assert len(fired(example_pod(restricted_container(procMount="Unmasked"), **spec))) == 1


def test_user_namespace_pods_may_unmask() -> None:
    assert fired(example_pod(restricted_container(procMount="Unmasked"), hostUsers=False)) == []


def test_restricted_tenants_get_proc_mount_restricted_instead() -> None:
    obj = example_pod(restricted_container(procMount="Unmasked"))
    assert fired(obj, tenant=None) == []
    assert "PSS019" in {v.rule for v in judge(Example(object=obj)).violations}


# Versions: v1.0 (no user-namespace exception), v1.35 (the exception; PSS019 overrides it at restricted).
def test_user_namespace_pods_may_not_unmask_before_v1_35() -> None:
    obj = example_pod(restricted_container(procMount="Unmasked"), hostUsers=False)
    (v,) = fired(obj, pinned("v1.34", BASELINE_TENANT))
    assert v.path == "spec.containers[0].securityContext.procMount"
    assert v.message == 'procMount (container "app" must not set securityContext.procMount to "Unmasked")'
    assert fired(obj, pinned("v1.35", BASELINE_TENANT)) == []


def test_restricted_tenants_get_proc_mount_before_v1_35() -> None:
    obj = example_pod(restricted_container(procMount="Unmasked"), hostUsers=False)
    rules = {v.rule for v in judge(Example(object=obj, tenant=pinned("v1.34"))).violations}
    assert "PSS009" in rules and "PSS019" not in rules
