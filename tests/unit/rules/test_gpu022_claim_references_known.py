"""GPU022 claim-references-known: a pod's unknown claim or template is a warning naming what was not counted."""

from __future__ import annotations

from tenantguard.policies.model import Severity
from tenantguard.policies.rules.gpu.samples import claim, claim_template, container, dra_pod, exact
from tests.unit.rules.dra_world import fired, world


def test_unknown_template_and_claim() -> None:
    (v,) = fired("GPU022", dra_pod(container({"cpu": "1"}), template="later"))
    assert v.severity is Severity.WARNING
    assert v.path == "spec.resourceClaims[0].resourceClaimTemplateName"
    assert v.message == "ResourceClaimTemplate 'later' not known in 'acme-prod': its devices count only once it exists"
    (v,) = fired("GPU022", dra_pod(container({"cpu": "1"}), claim="later"))
    assert v.path == "spec.resourceClaims[0].resourceClaimName"


def test_known_ones_pass() -> None:
    cluster = world(claim_template("t", exact("gpu.nvidia.com", 1)), claim("c", exact("gpu.nvidia.com", 1)))
    assert fired("GPU022", dra_pod(container({"cpu": "1"}), template="t"), cluster) == []
    assert fired("GPU022", dra_pod(container({"cpu": "1"}), claim="c"), cluster) == []
