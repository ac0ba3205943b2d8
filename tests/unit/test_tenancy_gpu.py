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


def test_device_classes_parsed_by_name() -> None:
    gpu = {
        "maxTotal": 2,
        "deviceClasses": [
            {"name": "gpu.nvidia.com", "maxDevices": 2},
            {
                "name": "mig.nvidia.com",
                "migProfiles": ["1g.10gb", "1g.10gb+me"],
                "productNames": ["NVIDIA A100-SXM4-80GB"],
            },
        ],
    }
    allowance = parse_tenant(tenant(gpu)).gpu
    assert allowance is not None
    full, mig = allowance.device_classes["gpu.nvidia.com"], allowance.device_classes["mig.nvidia.com"]
    assert (full.max_devices, full.mig_profiles, full.product_names) == (2, None, None), "absent: no cap, any"
    assert mig.max_devices is None and mig.mig_profiles == frozenset({"1g.10gb", "1g.10gb+me"})
    assert mig.product_names == frozenset({"NVIDIA A100-SXM4-80GB"})
    assert parse_tenant(tenant({"maxTotal": 2})).gpu.device_classes == {}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("classes", "problem"),
    [
        pytest.param(
            [{"name": "a.example.com"}, {"name": "a.example.com"}], "deviceClasses[1]: duplicate entry", id="dup"
        ),
        pytest.param([{"maxDevices": 1}], "deviceClasses[0].name: required", id="no-name"),
        pytest.param([{"name": "GPU"}], "deviceClasses[0].name: 'GPU' does not match", id="not-a-dns-name"),
        pytest.param([{"name": "a", "migProfiles": ["1g"]}], "migProfiles[0]: '1g' does not match", id="profile"),
        pytest.param([{"name": "a", "maxDevices": -1}], "maxDevices: must be >= 0", id="negative"),
        pytest.param([{"name": "a", "count": 1}], "deviceClasses[0].count: unknown field", id="unknown-field"),
        pytest.param([{"name": f"c{i}"} for i in range(33)], "more than 32 item(s)", id="too-many"),
    ],
)
def test_invalid_device_classes_name_the_field(classes: list[dict[str, Any]], problem: str) -> None:
    with pytest.raises(TenantError) as err:
        parse_tenant(tenant({"maxTotal": 1, "deviceClasses": classes}))
    assert any(problem in p for p in err.value.problems), err.value.problems


def test_the_crd_keys_device_classes_by_name() -> None:
    gpu = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["gpu"]
    classes = gpu["properties"]["deviceClasses"]
    assert classes["x-kubernetes-list-type"] == "map" and classes["x-kubernetes-list-map-keys"] == ["name"]
    assert classes["items"]["required"] == ["name"], "kube-apiserver requires list-map keys to be required"
