"""GPU020 device-class-caps: devices per DeviceClass, tenant-wide (acme: 4 gpu.nvidia.com), as quota counts them."""

from __future__ import annotations

from tenantguard.policies.rules.gpu.samples import (
    claim,
    claim_template,
    container,
    deployment,
    exact,
    template_claim,
    uses_claim,
)
from tests.unit.rules.dra_world import fired, running, update, world


def workload(replicas: int, template: str = "two") -> dict[str, object]:
    return deployment(replicas, uses_claim(container({"cpu": "1"})), resourceClaims=[template_claim(template)])


def test_what_other_claims_hold_counts() -> None:
    cluster = world(claim("held", exact("gpu.nvidia.com", 3)))
    assert fired("GPU020", claim("one", exact("gpu.nvidia.com", 1)), cluster) == []
    (v,) = fired("GPU020", claim("two", exact("gpu.nvidia.com", 2)), cluster)
    assert v.path == "spec.devices"
    assert v.message == (
        "ResourceClaim needs 2 gpu.nvidia.com devices (2 gpu.nvidia.com) and tenant 'acme' already holds 3 "
        "elsewhere; 5 exceeds the cap of 4 (spec.gpu.deviceClasses['gpu.nvidia.com'].maxDevices)"
    )


def test_a_workloads_templates_count_per_pod_and_an_update_that_does_not_grow_passes() -> None:
    cluster = world(claim_template("two", exact("gpu.nvidia.com", 2)))
    (v,) = fired("GPU020", workload(3), cluster)
    assert v.path == "spec.replicas" and "needs 6 gpu.nvidia.com devices (3 pods x 2 gpu.nvidia.com)" in v.message
    assert fired("GPU020", workload(3), cluster, update(workload(3), user="alice")) == []


def test_uncapped_classes_are_left_to_maxtotal() -> None:
    assert (
        fired(
            "GPU020", claim("c", exact("mig.nvidia.com", 9, 'device.attributes["gpu.nvidia.com"].profile == "1g.10gb"'))
        )
        == []
    )


def test_a_claim_made_from_a_template_for_its_pod_is_not_counted_twice() -> None:
    """The pod was judged with its template; the claim the controller makes from it adds nothing."""
    pod = running(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "namespace": "acme-prod"},
            "spec": {"containers": [{"name": "c"}], "resourceClaims": [template_claim("two")]},
        }
    )
    cluster = world(claim_template("two", exact("gpu.nvidia.com", 2)), claim("held", exact("gpu.nvidia.com", 2)), pod)
    made = claim(
        "p-gpu-x",
        exact("gpu.nvidia.com", 2),
        ownerReferences=[{"apiVersion": "v1", "kind": "Pod", "name": "p", "uid": "p", "controller": True}],
        annotations={"resource.kubernetes.io/pod-claim-name": "gpu"},
    )
    assert fired("GPU020", made, cluster) == [], "2 held + the pod's 2 = 4: the cap, reached once"
    forged = claim("forged", exact("gpu.nvidia.com", 2), ownerReferences=made["metadata"]["ownerReferences"])
    assert len(fired("GPU020", forged, cluster)) == 1, "a claim its pod does not name from a template is counted"
