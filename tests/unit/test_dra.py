"""policies.dra and policies.dra_quota: claims counted as ResourceQuota counts them, weighed in GPU-equivalents, and
the quota entries that hold a Tenant's DRA allowance without the webhook."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from tenantguard.policies import cel, dra
from tenantguard.policies.dra_quota import class_quota_keys, device_class_quota
from tenantguard.policies.rules.gpu.samples import claim, claim_template, container, exact, pod
from tenantguard.policies.subjects import pod_templates
from tenantguard.policies.tenancy import parse_tenant
from tests.support.fixtures import ACME_SPEC, tenant_object

PROFILE = 'device.attributes["gpu.nvidia.com"].profile == "{}"'
NO_CLASSES: dra.Classes = {}


def devices(obj: dict[str, Any], classes: dra.Classes = NO_CLASSES) -> dra.ClaimDevices:
    return dra.devices(dra.claim_spec(obj), classes)


def test_a_template_carries_the_claim_spec_one_level_down() -> None:
    spec = dra.claim_spec(claim_template("t", exact("gpu.nvidia.com", 2)))
    assert spec is not None and spec.path == ("spec", "spec", "devices")
    (choice,) = spec.choices()
    assert (choice.name, choice.device_class, choice.count, choice.path) == (
        "gpu",
        "gpu.nvidia.com",
        2,
        ("spec", "spec", "devices", "requests", 0, "exactly"),
    )
    assert dra.claim_spec(pod(container())) is None


@pytest.mark.parametrize(
    ("obj", "classes", "sevenths"),
    [
        pytest.param(claim("c", exact("gpu.nvidia.com", None)), {"gpu.nvidia.com": 1}, 7, id="count-defaults-to-1"),
        pytest.param(claim("c", exact("gpu.nvidia.com", 3)), {"gpu.nvidia.com": 3}, 21, id="exact-count"),
        pytest.param(
            claim("c", exact("gpu.nvidia.com", None, allocationMode="All")),
            {"gpu.nvidia.com": 32},
            224,
            id="all-counts-32-as-quota-does",
        ),
        pytest.param(
            claim("c", exact("mig.nvidia.com", 2, PROFILE.format("1g.10gb"))),
            {"mig.nvidia.com": 2},
            2,
            id="pinned-1g-weighs-one-seventh",
        ),
        pytest.param(claim("c", exact("mig.nvidia.com", 2)), {"mig.nvidia.com": 2}, 14, id="unpinned-mig-a-full-gpu"),
        pytest.param(
            claim(
                "c",
                first_available=[exact("gpu.nvidia.com", 1), exact("mig.nvidia.com", 3, PROFILE.format("3g.40gb"))],
            ),
            {"gpu.nvidia.com": 1, "mig.nvidia.com": 3},
            9,
            id="first-available-largest-per-class-and-heaviest",
        ),
        pytest.param(
            claim("c", exact("gpu.nvidia.com", 1), exact("mig.nvidia.com", 1, PROFILE.format("3g.40gb"))),
            {"gpu.nvidia.com": 1, "mig.nvidia.com": 1},
            10,
            id="requests-add-up",
        ),
    ],
)
def test_counted_as_resource_quota_counts_and_weighed_in_sevenths(
    obj: dict[str, Any], classes: dict[str, int], sevenths: int
) -> None:
    found = devices(obj)
    assert dict(found.classes) == classes
    assert found.sevenths == sevenths and found.equivalents == Fraction(sevenths, 7)


def test_a_class_that_pins_a_profile_weighs_its_devices() -> None:
    classes = {"mig-1g.10gb.nvidia.com": cel.read(PROFILE.format("1g.10gb"))}
    assert devices(claim("c", exact("mig-1g.10gb.nvidia.com", 7)), classes).equivalents == 1
    assert devices(claim("c", exact("mig-1g.10gb.nvidia.com", 7))).equivalents == 7, "unknown class: worst case"


def test_type_gpu_is_a_full_gpu_whatever_the_profile() -> None:
    both = cel.Facts(type=frozenset({"gpu"}), profile=frozenset({"1g.10gb"}))
    assert dra.sevenths(both) == 7
    assert dra.sevenths(cel.Facts(profile=frozenset({"1g.10gb", "3g.40gb"}))) == 3, "the largest of a list"
    assert dra.sevenths(cel.Facts(profile=frozenset({"not-a-profile"}))) == 7


def test_pod_claims_and_class_resources() -> None:
    spec = {
        "containers": [
            {"name": "a", "resources": {"limits": {f"{dra.CLASS_RESOURCE_PREFIX}gpu.nvidia.com": "2"}}},
            {"name": "b", "resources": {"requests": {f"{dra.CLASS_RESOURCE_PREFIX}gpu.nvidia.com": 1}}},
        ],
        "initContainers": [{"name": "i", "resources": {"limits": {f"{dra.CLASS_RESOURCE_PREFIX}gpu.nvidia.com": 5}}}],
        "resourceClaims": [
            {"name": "x", "resourceClaimTemplateName": "t"},
            {"name": "y", "resourceClaimName": "c"},
        ],
    }
    (template,) = pod_templates({"kind": "Pod", "metadata": {"name": "p"}, "spec": spec})
    assert dra.pod_class_requests(template) == {"gpu.nvidia.com": 5}, "an init step counts as the scheduler counts it"
    refs = dra.pod_claims(template.spec, template.path)
    assert [(r.name, r.template, r.claim, r.path) for r in refs] == [
        ("x", "t", "", ("spec", "resourceClaims", 0)),
        ("y", "", "c", ("spec", "resourceClaims", 1)),
    ]
    found = dra.class_request_devices({"gpu.nvidia.com": 2}, NO_CLASSES)
    assert dict(found.classes) == {"gpu.nvidia.com": 2} and found.sevenths == 14


def test_an_update_that_keeps_the_requests_is_unchanged() -> None:
    before = claim("c", exact("gpu.nvidia.com", 1))
    after = {**before, "metadata": {**before["metadata"], "finalizers": ["resource.kubernetes.io/delete-protection"]}}
    assert dra.unchanged(after, before)
    assert not dra.unchanged(claim("c", exact("gpu.nvidia.com", 2)), before)
    assert not dra.unchanged(after, None), "a create"


def _tenant(**gpu: Any) -> Any:
    return parse_tenant(tenant_object("t", {"namespaces": ["t-a"], "gpu": {"maxTotal": 8, **gpu}}))


def test_quota_caps_each_capped_class_under_both_resource_names() -> None:
    tenant = parse_tenant(tenant_object("acme", ACME_SPEC))  # gpu.nvidia.com max 4; mig.nvidia.com uncapped
    hard = device_class_quota(tenant, device_classes=["gpu.nvidia.com", "mig.nvidia.com", "h200.nvidia.com"])
    assert hard == {
        "gpu.nvidia.com.deviceclass.resource.k8s.io/devices": "4",
        "requests.deviceclass.resource.kubernetes.io/gpu.nvidia.com": "4",
        "h200.nvidia.com.deviceclass.resource.k8s.io/devices": "0",
        "requests.deviceclass.resource.kubernetes.io/h200.nvidia.com": "0",
    }
    assert class_quota_keys("x") == (
        "x.deviceclass.resource.k8s.io/devices",
        "requests.deviceclass.resource.kubernetes.io/x",
    )


def test_quota_splits_a_tenant_wide_cap_by_what_other_namespaces_hold() -> None:
    tenant = _tenant(deviceClasses=[{"name": "gpu.nvidia.com", "maxDevices": 4}])
    hard = device_class_quota(tenant, used_elsewhere={"gpu.nvidia.com": 3})
    assert hard["gpu.nvidia.com.deviceclass.resource.k8s.io/devices"] == "1"
    hard = device_class_quota(tenant, used_elsewhere={"gpu.nvidia.com": 9})
    assert hard["gpu.nvidia.com.deviceclass.resource.k8s.io/devices"] == "0", "never below zero"


def test_quota_of_a_tenant_without_gpus_closes_every_known_class() -> None:
    tenant = parse_tenant(tenant_object("t", {"namespaces": ["t-a"]}))
    hard = device_class_quota(tenant, device_classes=["gpu.nvidia.com"])
    assert set(hard.values()) == {"0"} and len(hard) == 2
    assert device_class_quota(tenant) == {}, "no known classes, nothing to write"
