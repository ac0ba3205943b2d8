"""GPU003 mig-profile-valid: MIG resources name real profiles, offered by the selected GPU product."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod
from tests.support.fixtures import judge

PRODUCT = "nvidia.com/gpu.product"


def fired(obj: Obj) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "GPU003"]


def require_products(*terms: list[str]) -> dict[str, Any]:
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": PRODUCT, "operator": "In", "values": values}]} for values in terms
                    ]
                }
            }
        }
    }


@pytest.mark.parametrize(
    ("resource", "spec"),
    [
        pytest.param("nvidia.com/mig-3g.40gb", {}, id="known-profile"),
        pytest.param("nvidia.com/mig-1g.5gb.me", {}, id="me-variant"),
        pytest.param("nvidia.com/mig-3g.20gb", {"nodeSelector": {PRODUCT: "NVIDIA-A100-PCIE-40GB"}}, id="a100-40"),
        pytest.param("nvidia.com/mig-2g.35gb", {"nodeSelector": {PRODUCT: "NVIDIA-H200"}}, id="h200"),
        pytest.param(
            "nvidia.com/mig-3g.40gb",
            require_products(["NVIDIA-A100-SXM4-80GB", "NVIDIA-H100-80GB-HBM3"]),
            id="affinity-both-offer",
        ),
        pytest.param("nvidia.com/mig-3g.40gb", {"nodeSelector": {PRODUCT: "NVIDIA-B200"}}, id="unknown-product"),
        pytest.param("nvidia.com/gpu", {"nodeSelector": {PRODUCT: "NVIDIA-A100-SXM4-40GB"}}, id="full-gpu"),
    ],
)
def test_allowed(resource: str, spec: dict[str, Any]) -> None:
    assert fired(gpu_pod(resource, 1, **spec)) == []


def test_unknown_profile_lists_valid_ones() -> None:
    (v,) = fired(gpu_pod("nvidia.com/mig-3g.41gb", 1))
    assert v.path == 'spec.containers[0].resources.limits["nvidia.com/mig-3g.41gb"]'
    assert "'3g.41gb' is not a MIG profile" in v.message
    assert "3g.40gb" in v.message and "1g.10gb+me" in v.message


def test_profile_not_on_node_selected_product() -> None:
    (v,) = fired(gpu_pod("nvidia.com/mig-3g.40gb", 1, nodeSelector={PRODUCT: "NVIDIA-A100-SXM4-40GB"}))
    assert "does not exist on NVIDIA-A100-SXM4-40GB" in v.message
    assert "valid: 1g.5gb, 1g.5gb+me, 1g.10gb, 2g.10gb, 3g.20gb, 4g.20gb, 7g.40gb" in v.message


def test_affinity_reports_each_product_lacking_the_profile() -> None:
    obj = deployment(
        1,
        container({"nvidia.com/mig-1g.10gb": 1}),
        **require_products(["NVIDIA-H100-NVL"], ["NVIDIA-H200", "NVIDIA-A100-SXM4-80GB"]),
    )
    found = fired(obj)
    assert [v.path for v in found] == [
        'spec.template.spec.containers[0].resources.limits["nvidia.com/mig-1g.10gb"]'
    ] * 2
    assert "NVIDIA-H100-NVL" in found[0].message and "NVIDIA-H200" in found[1].message


def test_me_variant_checked_against_product() -> None:
    (v,) = fired(gpu_pod("nvidia.com/mig-1g.10gb.me", 1, nodeSelector={PRODUCT: "NVIDIA-H200"}))
    assert "'1g.10gb+me'" in v.message and "1g.18gb+me" in v.message
