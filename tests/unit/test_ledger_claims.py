"""policies.ledger with DRA: what a tenant holds as claims and claim templates come and go, each counted once."""

from __future__ import annotations

from typing import Any

from tenantguard.policies.ledger import GpuLedger, claim_holding
from tenantguard.policies.rules.gpu.samples import claim, claim_template, exact

NS = frozenset({"acme-prod"})


def pod(name: str, phase: str = "Running", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "acme-prod", "uid": name},
        "spec": {"containers": [{"name": "c"}], **spec},
        "status": {"phase": phase},
    }


def made(for_pod: str, count: int = 2) -> dict[str, Any]:
    return claim(
        f"{for_pod}-gpu",
        exact("gpu.nvidia.com", count),
        ownerReferences=[{"apiVersion": "v1", "kind": "Pod", "name": for_pod, "uid": for_pod, "controller": True}],
        annotations={"resource.kubernetes.io/pod-claim-name": "gpu"},
    )


def test_a_pods_template_counts_until_its_claim_is_made_then_the_claim() -> None:
    ledger = GpuLedger()
    ledger.put_template(claim_template("two", exact("gpu.nvidia.com", 2)))
    ledger.put(pod("p", resourceClaims=[{"name": "gpu", "resourceClaimTemplateName": "two"}]))
    assert ledger.usage(NS).classes == {"gpu.nvidia.com": 2}
    ledger.put_claim(made("p", count=2))
    assert ledger.usage(NS).classes == {"gpu.nvidia.com": 2}, "the claim replaces the template: counted once"
    ledger.put(pod("p", "Succeeded", resourceClaims=[{"name": "gpu", "resourceClaimTemplateName": "two"}]))
    assert ledger.usage(NS).classes == {"gpu.nvidia.com": 2}, "the claim holds until it is deleted, as quota counts"
    ledger.drop_claim(made("p"))
    assert ledger.usage(NS).classes == {}


def test_claims_are_looked_up_and_replaced_whole() -> None:
    ledger = GpuLedger()
    ledger.replace_claims([claim("a", exact("gpu.nvidia.com", 1)), made("p")])
    found = ledger.claim("acme-prod", "p-gpu")
    assert found is not None and (found.pod, found.pod_claim, found.extended) == ("p", "gpu", False)
    assert ledger.claim("acme-prod", "nope") is None
    ledger.replace_claims([])
    assert ledger.claims() == []
    ledger.replace_templates([claim_template("t", exact("gpu.nvidia.com", 1))])
    assert ledger.template("acme-prod", "t") is not None
    ledger.drop_template(claim_template("t", exact("gpu.nvidia.com", 1)))
    assert ledger.template("acme-prod", "t") is None


def test_the_schedulers_claim_for_class_resources_counts_through_its_pod() -> None:
    ledger = GpuLedger()
    key = "deviceclass.resource.kubernetes.io/gpu.nvidia.com"
    ledger.put(pod("p", containers=[{"name": "c", "resources": {"limits": {key: 1}}}]))
    extended = made("p", count=1)
    extended["metadata"]["annotations"] = {"resource.kubernetes.io/extended-resource-claim": "true"}
    ledger.put_claim(extended)
    assert ledger.usage(NS).classes == {"gpu.nvidia.com": 1}
    assert ledger.usage(NS).claim_sevenths == 7


def test_a_forged_annotation_without_a_pod_controller_counts_as_a_claim() -> None:
    forged = claim(
        "f", exact("gpu.nvidia.com", 1), annotations={"resource.kubernetes.io/extended-resource-claim": "true"}
    )
    found = claim_holding(forged)
    assert found is not None and not found.extended
    ledger = GpuLedger()
    ledger.put_claim(forged)
    assert ledger.usage(NS).classes == {"gpu.nvidia.com": 1}
