"""GPU021 named-claims-standalone: a pod names only claims made to be shared."""

from __future__ import annotations

from tenantguard.policies.rules.gpu.samples import claim, container, deployment, dra_pod, exact, named_claim, uses_claim
from tests.unit.rules.dra_world import fired, world

OWNED = {"ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": "vllm-0", "uid": "u", "controller": True}]}


def test_a_claim_made_for_another_pod() -> None:
    cluster = world(
        claim(
            "vllm-0-gpu-abc",
            exact("gpu.nvidia.com", 1),
            annotations={"resource.kubernetes.io/pod-claim-name": "gpu"},
            **OWNED,
        )
    )
    obj = deployment(1, uses_claim(container({"cpu": "1"})), resourceClaims=[named_claim("vllm-0-gpu-abc")])
    (v,) = fired("GPU021", obj, cluster)
    assert v.path == "spec.template.spec.resourceClaims[0].resourceClaimName"
    assert v.message == (
        "ResourceClaim 'vllm-0-gpu-abc' was made from a claim template for pod 'vllm-0' and is counted as that "
        "pod's; a pod may not take its devices"
    )


def test_the_schedulers_claim_for_a_pods_device_class_resources() -> None:
    extended = {"resource.kubernetes.io/extended-resource-claim": "true"}
    cluster = world(claim("vllm-0-extended-resources-x", exact("gpu.nvidia.com", 1), annotations=extended, **OWNED))
    (v,) = fired("GPU021", dra_pod(container({"cpu": "1"}), claim="vllm-0-extended-resources-x"), cluster)
    assert "made for its DeviceClass resources for pod 'vllm-0'" in v.message


def test_standalone_and_unknown_claims_pass_here() -> None:
    cluster = world(claim("shared", exact("gpu.nvidia.com", 1)))
    assert fired("GPU021", dra_pod(container({"cpu": "1"}), claim="shared"), cluster) == []
    assert fired("GPU021", dra_pod(container({"cpu": "1"}), claim="later"), cluster) == [], "GPU022 warns"
