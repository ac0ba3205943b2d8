"""PSS010 seccompProfile_baseline: if set, RuntimeDefault or Localhost (baseline tenants)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tests.support.fixtures import judge

RULE = "PSS010"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = BASELINE_TENANT) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize(
    "profile",
    [None, {"type": "RuntimeDefault"}, {"type": "Localhost", "localhostProfile": "p"}],
    ids=["undefined", "RuntimeDefault", "Localhost"],
)
def test_allowed_values(profile: dict[str, str] | None) -> None:
    pod_sc = {} if profile is None else {"seccompProfile": profile}
    assert fired(example_pod(restricted_container(seccompProfile=profile), securityContext=pod_sc)) == []


def test_unconfined_pod_is_denied() -> None:
    (v,) = fired(example_pod(securityContext={"seccompProfile": {"type": "Unconfined"}}))
    assert v.path == "spec.securityContext.seccompProfile.type"
    assert v.message == 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'


@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_unconfined_container_is_denied(field: str) -> None:
    obj = example_pod(**{field: [restricted_container("app", seccompProfile={"type": "Unconfined"})]})
    (v,) = fired(obj)
    assert v.path == f"spec.{field}[0].securityContext.seccompProfile.type"
    assert 'container "app" must not set securityContext.seccompProfile.type to "Unconfined"' in v.message


def test_restricted_tenants_get_seccomp_profile_restricted_instead() -> None:
    obj = example_pod(securityContext={"seccompProfile": {"type": "Unconfined"}})
    assert fired(obj, tenant=None) == []
    assert "PSS017" in {v.rule for v in judge(Example(object=obj)).violations}
