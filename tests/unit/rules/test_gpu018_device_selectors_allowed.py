"""GPU018 device-selectors-allowed: a class entry's migProfiles and productNames hold through the selectors."""

from __future__ import annotations

from typing import Any

from tenantguard.policies.rules.gpu.samples import claim, exact
from tests.unit.rules.dra_world import PROFILE, fired, world

PRODUCT = 'device.attributes["gpu.nvidia.com"].productName == "{}"'
PRODUCTS: dict[str, Any] = {
    "gpu": {
        "maxPerPod": 2,
        "maxTotal": 8,
        "deviceClasses": [{"name": "gpu.nvidia.com", "productNames": ["NVIDIA H100 80GB HBM3"]}],
    }
}


def test_a_profile_outside_the_list() -> None:
    (v,) = fired("GPU018", claim("c", exact("mig.nvidia.com", 1, PROFILE.format("7g.80gb"))))
    assert v.path == "spec.devices.requests[0].exactly.selectors"
    assert v.message == (
        "request 'gpu' selects MIG profile 7g.80gb, not allowed for tenant 'acme' in 'mig.nvidia.com' — allowed: "
        "1g.10gb, 3g.40gb (spec.gpu.deviceClasses['mig.nvidia.com'].migProfiles)"
    )


def test_a_list_partly_outside_names_what_is_outside() -> None:
    expression = 'device.attributes["gpu.nvidia.com"].profile in ["1g.10gb", "2g.20gb"]'
    (v,) = fired("GPU018", claim("c", exact("mig.nvidia.com", 1, expression)))
    assert "selects MIG profile 2g.20gb, not allowed" in v.message


def test_nothing_pinned_is_refused_unreadable_is_left_to_gpu019() -> None:
    (v,) = fired("GPU018", claim("c", exact("mig.nvidia.com", 1)))
    assert v.path == "spec.devices.requests[0].exactly"
    assert "does not pin the MIG profile" in v.message
    unreadable = claim("c", exact("mig.nvidia.com", 1, 'device.attributes["gpu.nvidia.com"].profile.startsWith("1g")'))
    assert fired("GPU018", unreadable) == []


def test_the_classes_own_selectors_count() -> None:
    """A class that pins the profile (one class per profile) holds it for every claim of the class."""
    tenant = {"gpu": {"maxPerPod": 2, "maxTotal": 8, "deviceClasses": [{"name": "slices", "migProfiles": ["1g.10gb"]}]}}
    klass = {
        "apiVersion": "resource.k8s.io/v1",
        "kind": "DeviceClass",
        "metadata": {"name": "slices"},
        "spec": {"selectors": [{"cel": {"expression": PROFILE.format("1g.10gb")}}]},
    }
    obj = claim("c", exact("slices", 1))
    assert fired("GPU018", obj, world(klass, tenant=tenant)) == []
    assert len(fired("GPU018", obj, world(tenant=tenant))) == 1, "without the class: nothing pinned"


def test_products() -> None:
    assert (
        fired(
            "GPU018",
            claim("c", exact("gpu.nvidia.com", 1, PRODUCT.format("NVIDIA H100 80GB HBM3"))),
            world(tenant=PRODUCTS),
        )
        == []
    )
    (v,) = fired(
        "GPU018", claim("c", exact("gpu.nvidia.com", 1, PRODUCT.format("NVIDIA B200"))), world(tenant=PRODUCTS)
    )
    assert "selects product NVIDIA B200, not allowed" in v.message and ".productNames)" in v.message
