"""PSS003 privileged: securityContext.privileged must be undefined or false in every container."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tests.support.fixtures import judge

RULE = "PSS003"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize("value", [None, False], ids=["undefined", "false"])
def test_allowed_values(value: bool | None) -> None:
    assert fired(example_pod(restricted_container(privileged=value)), BASELINE_TENANT) == []


@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
@pytest.mark.parametrize("tenant", [None, BASELINE_TENANT], ids=["restricted", "baseline"])
def test_privileged_is_denied_in_every_container_list(field: str, tenant: dict[str, Any] | None) -> None:
    obj = example_pod(**{field: [restricted_container("debug", privileged=True)]})
    (v,) = fired(obj, tenant)
    assert v.path == f"spec.{field}[0].securityContext.privileged"
    assert v.message == 'privileged (container "debug" must not set securityContext.privileged=true)'


def test_native_sidecar_gets_no_exception() -> None:
    sidecar = restricted_container("proxy", privileged=True) | {"restartPolicy": "Always"}
    assert [v.path for v in fired(example_pod(initContainers=[sidecar]))] == [
        "spec.initContainers[0].securityContext.privileged"
    ]


def test_every_privileged_container_is_reported() -> None:
    obj = example_pod(restricted_container("a", privileged=True), restricted_container("b", privileged=True))
    assert len(fired(obj)) == 2
