"""GPU019 device-selectors-read: a selector the rules cannot read is a warning, counted at its worst."""

from __future__ import annotations

from tenantguard.policies.model import Severity
from tenantguard.policies.rules.gpu.samples import claim, exact
from tests.unit.rules.dra_world import PROFILE, fired


def test_warns_on_each_unreadable_selector() -> None:
    obj = claim(
        "c",
        exact(
            "mig.nvidia.com",
            1,
            PROFILE.format("1g.10gb"),
            'device.attributes["gpu.nvidia.com"].productName.startsWith("NVIDIA A100")',
        ),
    )
    (v,) = fired("GPU019", obj)
    assert v.severity is Severity.WARNING
    assert v.path == "spec.devices.requests[0].exactly.selectors[1].cel.expression"
    assert v.message == "request 'gpu': productName unreadable, so it counts as a full GPU, unchecked"


def test_selectors_that_mention_nothing_the_rules_read_are_fine() -> None:
    obj = claim(
        "c", exact("gpu.nvidia.com", 1, "device.capacity['gpu.nvidia.com'].memory.isGreaterThan(quantity('40Gi'))")
    )
    assert fired("GPU019", obj) == []
