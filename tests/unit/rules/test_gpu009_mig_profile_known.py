"""GPU009 mig-profile-known: a profile outside the MIG table warns (never denies) unless a known product is pinned."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Mode, Obj, Severity, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import gpu_pod
from tests.support.fixtures import judge

PRODUCT = "nvidia.com/gpu.product"


def fired(obj: Obj, resource: str) -> list[Violation]:
    tenant = {"gpu": {"maxPerPod": 1, "maxTotal": 1, "allowedResources": [resource]}}
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule.startswith("GPU")]


@pytest.mark.parametrize(
    ("resource", "spec"),
    [
        pytest.param("nvidia.com/mig-1g.23gb", {"nodeSelector": {PRODUCT: "NVIDIA-B200"}}, id="b200"),
        pytest.param("nvidia.com/mig-1g.23gb", {}, id="in-the-table-no-product"),
        pytest.param("nvidia.com/mig-7g.278gb", {"nodeSelector": {PRODUCT: "NVIDIA-GB300"}}, id="gb300"),
    ],
)
def test_known_profiles_pass(resource: str, spec: dict[str, Any]) -> None:
    assert fired(gpu_pod(resource, 1, **spec), resource) == []


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({}, id="no-product"),
        pytest.param({"nodeSelector": {PRODUCT: "NVIDIA-B400"}}, id="unknown-product"),
    ],
)
def test_profile_outside_the_table_warns_and_is_admitted(spec: dict[str, Any]) -> None:
    (v,) = fired(gpu_pod("nvidia.com/mig-2g.50gb", 1, **spec), "nvidia.com/mig-2g.50gb")
    assert (v.rule, v.severity, v.mode) == ("GPU009", Severity.WARNING, Mode.WARN)
    assert v.path == 'spec.containers[0].resources.limits["nvidia.com/mig-2g.50gb"]'
    assert v.message == (
        "container 'vllm': MIG profile '2g.50gb' is in no product's MIG table (settings migProfiles); "
        "admitted, but the pod stays Pending if no node offers it"
    )


def test_known_product_pinned_is_gpu003s_denial_not_a_warning() -> None:
    obj = gpu_pod("nvidia.com/mig-2g.50gb", 1, nodeSelector={PRODUCT: "NVIDIA-B200"})
    assert [v.rule for v in fired(obj, "nvidia.com/mig-2g.50gb")] == ["GPU003"]
