"""PSS019 procMount_restricted: Default or undefined, with no user-namespace exception (v1.35)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS019"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize("value", [None, "Default"], ids=["undefined", "Default"])
def test_allowed_values(value: str | None) -> None:
    assert fired(example_pod(restricted_container(procMount=value))) == []


@pytest.mark.parametrize("host_users", [None, True, False], ids=["undefined", "true", "false"])
@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_unmasked_is_denied_even_in_a_user_namespace(host_users: bool | None, field: str) -> None:
    spec = {} if host_users is None else {"hostUsers": host_users}
    (v,) = fired(example_pod(**{field: [restricted_container("app", procMount="Unmasked")]}, **spec))
    assert v.path == f"spec.{field}[0].securityContext.procMount"
    assert v.message == 'procMount (container "app" must not set securityContext.procMount to "Unmasked")'


def test_baseline_tenants_get_the_baseline_check_instead() -> None:
    assert fired(example_pod(restricted_container(procMount="Unmasked")), BASELINE_TENANT) == []


# Versions: v1.35 is the first; before it PSS009 (then without a user-namespace exception) judges restricted.
def test_not_judged_before_v1_35() -> None:
    obj = example_pod(restricted_container(procMount="Unmasked"), hostUsers=False)
    assert fired(obj, pinned("v1.34")) == []
    assert len(fired(obj, pinned("v1.35"))) == 1
