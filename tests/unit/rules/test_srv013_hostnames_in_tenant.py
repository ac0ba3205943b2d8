"""SRV013 hostnames-in-tenant: Ingresses and routes claim only the tenant's hostnames, never one another
Tenant lists."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, request

UNSET = {"allowedHostnames": None}  # acme without the field


def fired(obj: Obj, tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(tenant), request()).violations if v.rule == "SRV013"]


HTTP = {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "vllm"}}}]}


def ingress(*hosts: str | None, tls: list[str] | None = None, annotations: dict[str, str] | None = None) -> Obj:
    rules: list[dict[str, Any]] = [{"host": h, "http": HTTP} if h is not None else {"http": HTTP} for h in hosts]
    spec: dict[str, Any] = {"rules": rules}
    if tls is not None:
        spec["tls"] = [{"hosts": tls, "secretName": "chat-tls"}]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "chat", "namespace": "acme-prod", "annotations": annotations or {}},
        "spec": spec,
    }


def route(*hostnames: str, kind: str = "HTTPRoute") -> Obj:
    spec: dict[str, Any] = {"parentRefs": [{"name": "llm-gateway", "namespace": "llm-gateway"}]}
    if hostnames:
        spec["hostnames"] = list(hostnames)
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": "chat", "namespace": "acme-prod"},
        "spec": spec,
    }


# The attack: acme publishes a route for globex's public hostname on the shared gateway and receives
# globex's users' prompts (and their bearer tokens).
@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(ingress("chat.globex.example"), id="ingress-rule"),
        pytest.param(route("chat.globex.example"), id="httproute"),
        pytest.param(route("api.globex.example", kind="GRPCRoute"), id="grpcroute"),
        pytest.param(route("x.api.globex.example", kind="TLSRoute"), id="tlsroute-deeper"),
        pytest.param(route("Chat.Globex.Com."), id="exact-name-any-case"),
    ],
)
def test_another_tenants_hostname_is_denied_even_when_the_field_is_unset(obj: Obj) -> None:
    for tenant in (None, UNSET):
        (v,) = fired(obj, tenant)
        assert "is claimed by tenant 'globex'" in v.message


def test_wildcard_over_another_tenants_names_is_denied() -> None:
    (v,) = fired(route("*.example"), UNSET)
    assert v.path == "spec.hostnames[0]"
    assert v.message == "hostname '*.example' is claimed by tenant 'globex' (*.globex.example)"


def test_hostname_outside_the_tenants_list_is_denied() -> None:
    (v,) = fired(ingress("chat.acme.example", "chat.initech.example", tls=["chat.acme.example"]))
    assert v.path == "spec.rules[1].host"
    assert v.message == "hostname 'chat.initech.example' is not in tenant 'acme''s allowedHostnames (*.acme.example)"


def test_tls_hosts_and_server_aliases_are_claims_too() -> None:
    obj = ingress(
        "chat.acme.example",
        tls=["chat.acme.example", "chat.globex.example"],
        annotations={"nginx.ingress.kubernetes.io/server-alias": "www.acme.example, chat.globex.com"},
    )
    assert [v.path for v in fired(obj)] == [
        "spec.tls[0].hosts[1]",
        'metadata.annotations["nginx.ingress.kubernetes.io/server-alias"]',
    ]


def test_regex_server_alias_is_denied() -> None:
    (v,) = fired(ingress("chat.acme.example", annotations={"nginx.ingress.kubernetes.io/server-alias": "~^.*$"}), UNSET)
    assert "not a hostname" in v.message


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(ingress(None), id="ingress-rule-without-host"),
        pytest.param(route(), id="route-without-hostnames"),
    ],
)
def test_catch_all_is_denied_when_the_tenant_lists_hostnames(obj: Obj) -> None:
    (v,) = fired(obj)
    assert "no hostname" in v.message
    assert fired(obj, UNSET) == []


def test_default_backend_is_a_catch_all() -> None:
    obj = ingress("chat.acme.example")
    obj["spec"]["defaultBackend"] = {"service": {"name": "vllm", "port": {"number": 80}}}
    (v,) = fired(obj)
    assert v.path == "spec.defaultBackend"


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(ingress("chat.acme.example", tls=["chat.acme.example"]), id="ingress"),
        pytest.param(route("chat.acme.example", "*.eu.acme.example"), id="route-with-wildcard"),
        pytest.param(route("grpc.acme.example", kind="GRPCRoute"), id="grpcroute"),
        pytest.param(route(kind="TCPRoute"), id="tcproute-has-no-hostnames"),
    ],
)
def test_the_tenants_own_hostnames_are_allowed(obj: Obj) -> None:
    assert fired(obj) == []


def test_unset_field_allows_any_name_no_tenant_lists() -> None:
    assert fired(ingress("chat.initech.example"), UNSET) == []


def test_an_empty_list_allows_no_hostname() -> None:
    (v,) = fired(route("chat.acme.example"), {"allowedHostnames": []})
    assert "allowedHostnames (none)" in v.message


def test_listener_set_hostnames() -> None:
    listeners = [
        {"name": "a", "port": 443, "protocol": "HTTPS", "hostname": "chat.globex.example"},
        {"name": "b", "port": 443, "protocol": "HTTPS"},
        {"name": "c", "port": 5432, "protocol": "TCP"},
        {"name": "d", "port": 443, "protocol": "HTTPS", "hostname": "chat.acme.example"},
    ]
    obj = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ListenerSet",
        "metadata": {"name": "acme", "namespace": "acme-prod"},
        "spec": {"parentRef": {"name": "llm-gateway", "namespace": "llm-gateway"}, "listeners": listeners},
    }
    assert [v.path for v in fired(obj)] == ["spec.listeners[0].hostname", "spec.listeners[1]"]
