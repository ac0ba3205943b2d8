"""The Tenant's `gpu` block: caps in GPU-equivalents, per-resource device caps, and a strict schema."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.tenancy import TenantError, parse_tenant
from tenantguard.policies.tenant_schema import crd
from tests.support.fixtures import tenant_object


def tenant(gpu: dict[str, Any]) -> dict[str, Any]:
    return tenant_object("acme", {"namespaces": ["acme-prod"], "gpu": gpu})


def test_max_devices_parsed_per_resource() -> None:
    gpu = {"maxPerPod": 1, "maxTotal": 2, "maxDevices": {"nvidia.com/mig-1g.10gb": 14, "nvidia.com/gpu": 1}}
    allowance = parse_tenant(tenant(gpu)).gpu
    assert allowance is not None
    assert allowance.max_devices == {"nvidia.com/gpu": 1, "nvidia.com/mig-1g.10gb": 14}
    assert parse_tenant(tenant({"maxTotal": 2})).gpu.max_devices == {}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("gpu", "problem"),
    [
        pytest.param({"maxDevices": {"cpu": 4}}, "spec.gpu.maxDevices['cpu']: not a GPU resource", id="not-gpu"),
        pytest.param({"maxDevices": {"nvidia.com/gpu": -1}}, "must be >= 0", id="negative"),
        pytest.param({"maxDevices": {"nvidia.com/gpu": "4"}}, "must be integer", id="string"),
        pytest.param({"maxTotal": 1.5}, "must be integer", id="fractional-cap"),
        pytest.param(
            {"maxDevices": {f"nvidia.com/mig-{i}g.10gb": 1 for i in range(65)}}, "more than 64 entries", id="too-many"
        ),
    ],
)
def test_invalid_gpu_blocks_name_the_field(gpu: dict[str, Any], problem: str) -> None:
    with pytest.raises(TenantError) as err:
        parse_tenant(tenant(gpu))
    assert any(problem in p for p in err.value.problems), err.value.problems


def test_the_crd_states_the_unit_and_carries_the_key_rule() -> None:
    spec = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    gpu = spec["properties"]["gpu"]["properties"]
    assert "GPU-equivalents" in gpu["maxTotal"]["description"] and "g/7" in gpu["maxTotal"]["description"]
    assert "GPU-equivalents" in gpu["maxPerPod"]["description"]
    (rule,) = gpu["maxDevices"]["x-kubernetes-validations"]
    assert rule["rule"].startswith("self.all(k, k.matches(r'^nvidia")
