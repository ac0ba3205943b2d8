"""SRV005 routes-stay-in-tenant: route backends, filter backends and parents stay in the tenant."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, request


def fired(obj: Obj) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(), request()).violations if v.rule == "SRV005"]


def backend(namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": "vllm", "port": 8443, **extra}
    if namespace is not None:
        ref["namespace"] = namespace
    return ref


def route(
    *rules: dict[str, Any], parent_ns: str = "llm-gateway", namespace: str = "acme-prod", kind: str = "HTTPRoute"
) -> Obj:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": "chat", "namespace": namespace},
        "spec": {"parentRefs": [{"name": "llm-gateway", "namespace": parent_ns}], "rules": list(rules)},
    }


def mirror(namespace: str) -> dict[str, Any]:
    return {"type": "RequestMirror", "requestMirror": {"backendRef": backend(namespace)}}


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(route({"backendRefs": [backend()]}), id="same-namespace-implicit"),
        pytest.param(route({"backendRefs": [backend("acme-prod")]}), id="same-namespace-explicit"),
        pytest.param(route({"backendRefs": [backend("acme-dev")]}), id="same-tenant"),
        pytest.param(route({"backendRefs": [backend("shared-models")]}), id="unowned-namespace"),
        pytest.param(route({"backendRefs": [backend("acme-prod")]}, namespace="team-x"), id="not-a-tenant"),
        pytest.param(route({"filters": [mirror("acme-dev")], "backendRefs": [backend()]}), id="mirror-same-tenant"),
    ],
)
def test_allowed(obj: Obj) -> None:
    assert fired(obj) == []


def test_backend_in_another_tenant_is_denied() -> None:
    (v,) = fired(route({"backendRefs": [backend("acme-prod"), backend("globex-prod")]}))
    assert v.path == "spec.rules[0].backendRefs[1].namespace"
    assert "'globex-prod' belongs to tenant 'globex'" in v.message and "'acme'" in v.message


def test_request_mirror_into_another_tenant_is_denied() -> None:
    obj = route({"filters": [mirror("globex-prod")], "backendRefs": [backend(filters=[mirror("globex-prod")])]})
    assert [v.path for v in fired(obj)] == [
        "spec.rules[0].filters[0].requestMirror.backendRef.namespace",
        "spec.rules[0].backendRefs[0].filters[0].requestMirror.backendRef.namespace",
    ]


def test_parent_gateway_in_another_tenant_is_denied() -> None:
    (v,) = fired(route({"backendRefs": [backend()]}, parent_ns="globex-prod"))
    assert v.path == "spec.parentRefs[0].namespace"


def test_every_offending_reference_is_reported() -> None:
    obj = route({"backendRefs": [backend("globex-prod")]}, {"backendRefs": [backend("globex-prod")]})
    assert [v.path for v in fired(obj)] == [
        "spec.rules[0].backendRefs[0].namespace",
        "spec.rules[1].backendRefs[0].namespace",
    ]


@pytest.mark.parametrize("kind", ["GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"])
def test_every_route_kind_is_held_to_the_tenant(kind: str) -> None:
    obj = route({"backendRefs": [backend("globex-prod")]}, parent_ns="globex-prod", kind=kind)
    assert [v.path for v in fired(obj)] == ["spec.parentRefs[0].namespace", "spec.rules[0].backendRefs[0].namespace"]
    assert fired(route({"backendRefs": [backend("acme-dev")]}, kind=kind)) == []


def test_grpc_request_mirror_into_another_tenant_is_denied() -> None:
    obj = route({"filters": [mirror("globex-prod")], "backendRefs": [backend()]}, kind="GRPCRoute")
    (v,) = fired(obj)
    assert v.path == "spec.rules[0].filters[0].requestMirror.backendRef.namespace"


def test_external_auth_in_another_tenant_is_denied() -> None:
    auth = {"type": "ExternalAuth", "externalAuth": {"protocol": "HTTP", "backendRef": backend("globex-prod")}}
    (v,) = fired(route({"filters": [auth], "backendRefs": [backend()]}))
    assert v.path == "spec.rules[0].filters[0].externalAuth.backendRef.namespace"
