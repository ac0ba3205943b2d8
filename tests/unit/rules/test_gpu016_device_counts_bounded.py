"""GPU016 device-counts-bounded: exact counts only; allocationMode All and unknown modes are refused."""

from __future__ import annotations

from tenantguard.policies.rules.gpu.samples import claim, claim_template, exact
from tests.unit.rules.dra_world import fired


def test_all_is_refused_with_what_quota_would_count() -> None:
    (v,) = fired("GPU016", claim_template("t", exact("gpu.nvidia.com", None, allocationMode="All")))
    assert v.path == "spec.spec.devices.requests[0].exactly.allocationMode"
    assert v.message == (
        "request 'gpu': allocationMode All takes every matching device of the node, a number no admission check "
        "can read (ResourceQuota counts 32); ask for an exact count"
    )


def test_all_in_a_first_available_alternative_and_an_unknown_mode() -> None:
    obj = claim(
        "c",
        exact("gpu.nvidia.com", 1, allocationMode="Some"),
        first_available=[exact("gpu.nvidia.com", 1), exact("mig.nvidia.com", None, allocationMode="All")],
    )
    found = fired("GPU016", obj)
    assert [v.path for v in found] == [
        "spec.devices.requests[0].exactly.allocationMode",
        "spec.devices.requests[1].firstAvailable[1].allocationMode",
    ]
    assert "allocationMode 'Some' is not one whose device count is known (ExactCount)" in found[0].message


def test_exact_counts_and_first_available_pass() -> None:
    assert fired("GPU016", claim("c", exact("gpu.nvidia.com", 4, allocationMode="ExactCount"))) == []
    assert fired("GPU016", claim("c", first_available=[exact("gpu.nvidia.com", 1), exact("mig.nvidia.com", 2)])) == []


def test_a_claim_that_asks_for_nothing() -> None:
    empty = {**claim("c"), "spec": {}}
    (v,) = fired("GPU016", empty)
    assert v.path == "spec.devices.requests"
    assert v.message == "ResourceClaim requests no device: its pods would pass as DRA GPU pods without holding one"
