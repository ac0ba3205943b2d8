"""GPU015 device-classes-allowed: DRA requests name only the tenant's DeviceClasses (acme: gpu.nvidia.com and
mig.nvidia.com)."""

from __future__ import annotations

from tenantguard.policies import dra
from tenantguard.policies.rules.gpu.samples import claim, claim_template, container, deployment, exact, pod
from tests.support.fixtures import cluster_for
from tests.unit.rules.dra_world import fired, update


def test_every_alternative_and_every_request_is_judged() -> None:
    obj = claim(
        "c", exact("h200.nvidia.com", 1), first_available=[exact("gpu.nvidia.com", 1), exact("x.example.com", 1)]
    )
    found = fired("GPU015", obj)
    assert [v.path for v in found] == [
        "spec.devices.requests[0].exactly.deviceClassName",
        "spec.devices.requests[1].firstAvailable[1].deviceClassName",
    ]
    assert found[0].message == (
        "request 'gpu' claims DeviceClass 'h200.nvidia.com': not allowed for tenant 'acme' — allowed: "
        "gpu.nvidia.com, mig.nvidia.com"
    )
    assert "request 'any/option-1' claims DeviceClass 'x.example.com'" in found[1].message


def test_a_tenant_without_device_classes_may_claim_none() -> None:
    cluster = cluster_for({"gpu": {"maxPerPod": 1, "maxTotal": 1, "allowedResources": ["nvidia.com/gpu"]}})
    (v,) = fired("GPU015", claim_template("t", exact("gpu.nvidia.com", 1)), cluster)
    assert v.path == "spec.spec.devices.requests[0].exactly.deviceClassName"
    assert v.message.endswith("tenant 'acme' may claim no DRA devices (spec.gpu.deviceClasses)")


def test_a_device_class_resource_in_any_pod_template() -> None:
    key = f"{dra.CLASS_RESOURCE_PREFIX}h200.nvidia.com"
    (v,) = fired("GPU015", deployment(1, container(requests={key: 1})))
    assert v.path == f'spec.template.spec.containers[0].resources.requests["{key}"]'
    assert v.message.startswith("container 'vllm' requests devices of DeviceClass 'h200.nvidia.com': not allowed")
    assert fired("GPU015", pod(container({f"{dra.CLASS_RESOURCE_PREFIX}gpu.nvidia.com": 1}))) == []


def test_an_update_that_keeps_the_requests_is_not_judged() -> None:
    """The scheduler adds its finalizer to a claim made before the class was taken away: it must not be refused."""
    old = claim("c", exact("h200.nvidia.com", 1))
    new = {**old, "metadata": {**old["metadata"], "finalizers": ["resource.kubernetes.io/delete-protection"]}}
    assert fired("GPU015", new, req=update(old)) == []
