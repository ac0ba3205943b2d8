"""PSS001 windowsHostProcess: hostProcess=true is forbidden on the pod and on every kind of container."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tests.support.fixtures import judge

RULE = "PSS001"
WINDOWS = {"os": {"name": "windows"}}


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize("value", [None, False], ids=["undefined", "false"])
@pytest.mark.parametrize("tenant", [None, BASELINE_TENANT], ids=["restricted", "baseline"])
def test_allowed_values(value: bool | None, tenant: dict[str, Any] | None) -> None:
    options = {} if value is None else {"hostProcess": value}
    obj = example_pod(restricted_container(windowsOptions=options), securityContext={"windowsOptions": options})
    assert fired(obj, tenant) == []


@pytest.mark.parametrize("tenant", [None, BASELINE_TENANT], ids=["restricted", "baseline"])
def test_pod_level_host_process_is_denied(tenant: dict[str, Any] | None) -> None:
    obj = example_pod(securityContext={"windowsOptions": {"hostProcess": True}}, **WINDOWS)
    (v,) = fired(obj, tenant)
    assert v.path == "spec.securityContext.windowsOptions.hostProcess"
    assert v.message == "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)"


@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_container_level_host_process_is_denied_in_every_container_list(field: str) -> None:
    obj = example_pod(**{field: [restricted_container("agent", windowsOptions={"hostProcess": True})]}, **WINDOWS)
    (v,) = fired(obj)
    assert v.path == f"spec.{field}[0].securityContext.windowsOptions.hostProcess"
    assert 'container "agent" must not set securityContext.windowsOptions.hostProcess=true' in v.message


def test_every_offender_is_reported() -> None:
    bad = {"windowsOptions": {"hostProcess": True}}
    obj = example_pod(restricted_container("a", **bad), restricted_container("b", **bad), securityContext=bad)
    assert [v.path for v in fired(obj)] == [
        "spec.securityContext.windowsOptions.hostProcess",
        "spec.containers[0].securityContext.windowsOptions.hostProcess",
        "spec.containers[1].securityContext.windowsOptions.hostProcess",
    ]
