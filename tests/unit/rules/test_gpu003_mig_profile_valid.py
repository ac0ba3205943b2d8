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
        pytest.param("nvidia.com/mig-3g.40gb", {"nodeSelector": {PRODUCT: "NVIDIA-B400"}}, id="unknown-product"),
        pytest.param("nvidia.com/mig-5g.99gb", {}, id="well-formed-outside-the-table-is-GPU009s"),
        pytest.param("nvidia.com/mig-1g.24gb.me.all", {}, id="me-all-attribute"),
        pytest.param("nvidia.com/gpu", {"nodeSelector": {PRODUCT: "NVIDIA-A100-SXM4-40GB"}}, id="full-gpu"),
    ],
)
def test_allowed(resource: str, spec: dict[str, Any]) -> None:
    assert fired(gpu_pod(resource, 1, **spec)) == []


@pytest.mark.parametrize("resource", ["nvidia.com/mig-3g", "nvidia.com/mig-big", "nvidia.com/mig-1g.10gbx"])
def test_malformed_profile_name_is_denied(resource: str) -> None:
    (v,) = fired(gpu_pod(resource, 1))
    assert v.path == f'spec.containers[0].resources.limits["{resource}"]'
    assert "is not a MIG profile name (<g>g.<mem>gb" in v.message


# One row per product of NVIDIA's MIG user guide ("Supported GPUs", "Supported MIG Profiles") and
# mig-parted's default configuration: its GPU feature discovery label, a profile it offers, and the
# same-sized profile of a neighbouring product that it does not offer.
PRODUCTS = [
    ("NVIDIA-A30", "nvidia.com/mig-1g.6gb", "nvidia.com/mig-1g.5gb"),
    ("NVIDIA-A30", "nvidia.com/mig-2g.12gb.me", "nvidia.com/mig-3g.20gb"),
    ("NVIDIA-A100-SXM4-40GB", "nvidia.com/mig-1g.5gb.me", "nvidia.com/mig-1g.20gb"),
    ("NVIDIA-A100-PCIE-40GB", "nvidia.com/mig-3g.20gb", "nvidia.com/mig-3g.40gb"),
    ("NVIDIA-A100-SXM4-80GB", "nvidia.com/mig-3g.40gb", "nvidia.com/mig-3g.20gb"),
    ("NVIDIA-A100-80GB-PCIe", "nvidia.com/mig-7g.80gb", "nvidia.com/mig-7g.40gb"),
    ("NVIDIA-A800-SXM4-80GB", "nvidia.com/mig-1g.20gb", "nvidia.com/mig-1g.24gb"),
    ("NVIDIA-H100-80GB-HBM3", "nvidia.com/mig-1g.10gb.me", "nvidia.com/mig-1g.12gb"),
    ("NVIDIA-H100-PCIe", "nvidia.com/mig-4g.40gb", "nvidia.com/mig-4g.47gb"),
    ("NVIDIA-H800", "nvidia.com/mig-2g.20gb", "nvidia.com/mig-2g.24gb"),
    ("NVIDIA-H100-NVL", "nvidia.com/mig-3g.47gb", "nvidia.com/mig-3g.40gb"),
    ("NVIDIA-H100-SXM5-94GB", "nvidia.com/mig-7g.94gb", "nvidia.com/mig-7g.80gb"),
    ("NVIDIA-H800-NVL", "nvidia.com/mig-1g.12gb.me", "nvidia.com/mig-1g.10gb.me"),
    ("NVIDIA-GH200-480GB", "nvidia.com/mig-3g.48gb", "nvidia.com/mig-3g.47gb"),
    ("NVIDIA-H100-96GB", "nvidia.com/mig-7g.96gb", "nvidia.com/mig-7g.94gb"),
    ("NVIDIA-H20", "nvidia.com/mig-4g.48gb", "nvidia.com/mig-4g.71gb"),
    ("NVIDIA-GH200-144G-HBM3e", "nvidia.com/mig-2g.36gb", "nvidia.com/mig-2g.35gb"),
    ("NVIDIA-H200", "nvidia.com/mig-1g.18gb.me", "nvidia.com/mig-1g.10gb"),
    ("NVIDIA-H200-NVL", "nvidia.com/mig-7g.141gb", "nvidia.com/mig-7g.144gb"),
    ("NVIDIA-B200", "nvidia.com/mig-1g.23gb", "nvidia.com/mig-1g.18gb"),
    ("NVIDIA-B200", "nvidia.com/mig-3g.90gb", "nvidia.com/mig-3g.93gb"),
    ("NVIDIA-GB200", "nvidia.com/mig-3g.93gb", "nvidia.com/mig-3g.90gb"),
    ("NVIDIA-GB200", "nvidia.com/mig-7g.189gb", "nvidia.com/mig-7g.180gb"),
    ("NVIDIA-B300-SXM6-AC", "nvidia.com/mig-1g.34gb.me", "nvidia.com/mig-1g.35gb"),
    ("NVIDIA-B300-SXM6-AC", "nvidia.com/mig-7g.269gb", "nvidia.com/mig-7g.278gb"),
    ("NVIDIA-GB300", "nvidia.com/mig-2g.70gb", "nvidia.com/mig-2g.67gb"),
    ("NVIDIA-RTX-PRO-6000-Blackwell-Server-Edition", "nvidia.com/mig-1g.24gb.gfx", "nvidia.com/mig-1g.23gb"),
    ("NVIDIA-RTX-PRO-6000-Blackwell-Workstation-Edition", "nvidia.com/mig-2g.48gb-me", "nvidia.com/mig-3g.72gb"),
    ("NVIDIA-RTX-PRO-6000-Blackwell-Max-Q-Workstation-Edition", "nvidia.com/mig-4g.96gb", "nvidia.com/mig-7g.96gb"),
    ("NVIDIA-RTX-PRO-5000-Blackwell", "nvidia.com/mig-2g.24gb-me", "nvidia.com/mig-2g.24gb"),
]


@pytest.mark.parametrize(("product", "offered", "other"), PRODUCTS, ids=[f"{p}-{o[15:]}" for p, o, _ in PRODUCTS])
def test_every_mig_product_offers_its_profiles(product: str, offered: str, other: str) -> None:
    assert fired(gpu_pod(offered, 1, nodeSelector={PRODUCT: product})) == []
    (v,) = fired(gpu_pod(other, 1, nodeSelector={PRODUCT: product}))
    assert f"does not exist on {product} (nvidia.com/gpu.product)" in v.message


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
