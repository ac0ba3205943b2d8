"""PSS006 hostPorts: ports[*].hostPort must be undefined or 0 in every container."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tests.support.fixtures import judge

RULE = "PSS006"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def with_ports(*ports: dict[str, Any], field: str = "containers") -> dict[str, Any]:
    return example_pod(**{field: [restricted_container("vllm") | {"ports": list(ports)}]})


@pytest.mark.parametrize(
    "port", [{"containerPort": 8000}, {"containerPort": 8000, "hostPort": 0}], ids=["undefined", "zero"]
)
def test_allowed_values(port: dict[str, Any]) -> None:
    assert fired(with_ports(port), BASELINE_TENANT) == []


@pytest.mark.parametrize("host_port", [80, 8000, 30080])
@pytest.mark.parametrize("tenant", [None, BASELINE_TENANT], ids=["restricted", "baseline"])
def test_any_host_port_is_denied(host_port: int, tenant: dict[str, Any] | None) -> None:
    (v,) = fired(with_ports({"containerPort": 8000}, {"containerPort": 8000, "hostPort": host_port}), tenant)
    assert v.path == "spec.containers[0].ports[1].hostPort"
    assert v.message == f'hostPort (container "vllm" uses hostPort {host_port})'


@pytest.mark.parametrize("field", ["initContainers", "ephemeralContainers"])
def test_init_and_ephemeral_containers(field: str) -> None:
    (v,) = fired(with_ports({"containerPort": 1, "hostPort": 1}, field=field))
    assert v.path == f"spec.{field}[0].ports[0].hostPort"
