"""SRV010 reference-grants-stay-in-tenant: a tenant's ReferenceGrant trusts only its own namespaces and the
platform's, never another tenant's."""

from __future__ import annotations

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, request


def fired(obj: Obj) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(), request()).violations if v.rule == "SRV010"]


def grant(*sources: tuple[str, str], namespace: str = "acme-prod") -> Obj:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "open", "namespace": namespace},
        "spec": {
            "from": [{"group": "gateway.networking.k8s.io", "kind": kind, "namespace": ns} for kind, ns in sources],
            "to": [{"group": "", "kind": "Service"}],
        },
    }


def test_grant_to_another_tenants_routes_is_denied() -> None:
    (v,) = fired(grant(("HTTPRoute", "acme-dev"), ("HTTPRoute", "globex-prod")))
    assert v.path == "spec.from[1].namespace"
    assert v.message == (
        "trusts HTTPRoutes in namespace 'globex-prod' (tenant 'globex') to reference Services in this namespace"
    )


def test_every_grant_to_another_tenant_is_reported() -> None:
    obj = grant(("HTTPRoute", "globex-prod"), ("GRPCRoute", "globex-prod"))
    assert [v.path for v in fired(obj)] == ["spec.from[0].namespace", "spec.from[1].namespace"]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(("HTTPRoute", "acme-dev"), id="same-tenant"),
        pytest.param(("Gateway", "llm-gateway"), id="gateway-certificate"),
        pytest.param(("HTTPRoute", "shared-tools"), id="platform-namespace"),
    ],
)
def test_own_and_platform_namespaces_are_allowed(source: tuple[str, str]) -> None:
    assert fired(grant(source)) == []


def test_another_tenant_may_grant_its_own_namespaces() -> None:
    assert fired(grant(("HTTPRoute", "globex-prod"), namespace="globex-prod")) == []


def test_malformed_entries_are_ignored() -> None:
    obj = grant()
    obj["spec"]["from"] = ["globex-prod", {"kind": "HTTPRoute"}, None]
    assert fired(obj) == []
