"""NET003: namespaceSelectors select only the tenant's own namespaces, the gateway, or DNS."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tests.support.fixtures import judge

TENANT = "tenantguard.io/tenant"
NAME = "kubernetes.io/metadata.name"
DNS_PORTS = [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]


def netpol(direction: str, *peers: dict[str, Any], **rule: Any) -> dict[str, Any]:
    side = "from" if direction == "ingress" else "to"
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": {TENANT: "acme"}},
        "spec": {
            "podSelector": {},
            "policyTypes": [direction.capitalize()],
            direction: [{side: list(peers), **rule}],
        },
    }


def ns(labels: dict[str, str] | None = None, *exprs: tuple[str, str, list[str]]) -> dict[str, Any]:
    selector: dict[str, Any] = {}
    if labels:
        selector["matchLabels"] = labels
    if exprs:
        selector["matchExpressions"] = [
            {"key": k, "operator": op, **({"values": v} if v else {})} for k, op, v in exprs
        ]
    return {"namespaceSelector": selector}


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == "NET003"]


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(netpol("ingress", ns({TENANT: "acme"})), id="own-tenant-label"),
        pytest.param(netpol("ingress", ns({TENANT: "acme", "team": "ml"})), id="own-tenant-and-more"),
        pytest.param(netpol("egress", ns(None, (TENANT, "In", ["acme"]))), id="tenant-In"),
        pytest.param(netpol("egress", ns({NAME: "acme-dev"})), id="own-namespace-by-name"),
        pytest.param(netpol("ingress", ns(None, (NAME, "In", ["acme-prod", "acme-dev"]))), id="names-In"),
        pytest.param(netpol("ingress", ns({NAME: "llm-gateway"})), id="gateway-ingress"),
        pytest.param(netpol("egress", ns({NAME: "kube-system"}), ports=DNS_PORTS), id="dns-egress"),
        pytest.param(netpol("egress", ns({NAME: "kube-system"}), ports=[{"port": "dns"}]), id="dns-named-port"),
        pytest.param(
            netpol("ingress", ns({TENANT: "acme"}, (NAME, "In", ["acme-prod", "globex-prod"]))),
            id="tenant-label-excludes-other-names",
        ),
        pytest.param(netpol("ingress", {"podSelector": {"matchLabels": {"app": "router"}}}), id="pods-only"),
        pytest.param(netpol("ingress", {"namespaceSelector": {}}), id="empty-is-NET002s"),
        pytest.param(netpol("ingress", ns({NAME: "acme-dev"}), {"podSelector": {}}), id="several-peers"),
    ],
)
def test_allowed(obj: dict[str, Any]) -> None:
    assert fired(obj) == []


def test_tenant_ingress_from_namespaces_are_allowed() -> None:
    obj = netpol("ingress", ns({NAME: "monitoring"}))
    assert fired(obj, {"network": {"allowIngressFrom": ["monitoring"]}}) == []
    assert fired(obj)  # not listed by default


@pytest.mark.parametrize(
    "selector",
    [
        pytest.param(ns({"team": "ml"}), id="other-label"),
        pytest.param(ns(None, (TENANT, "NotIn", ["globex"])), id="tenant-NotIn"),
        pytest.param(ns(None, (TENANT, "Exists", [])), id="tenant-Exists"),
        pytest.param(ns(None, (TENANT, "DoesNotExist", [])), id="tenant-DoesNotExist"),
        pytest.param(ns(None, (NAME, "NotIn", ["globex-prod"])), id="name-NotIn"),
    ],
)
def test_unpinned_selectors_are_denied(selector: dict[str, Any]) -> None:
    (v,) = fired(netpol("ingress", {"podSelector": {}}, selector))
    assert v.path == "spec.ingress[0].from[1].namespaceSelector"
    assert "can match other tenants' namespaces" in v.message and "tenantguard.io/tenant=acme" in v.message


def test_unpinned_message_describes_the_selector() -> None:
    (v,) = fired(netpol("egress", ns({"team": "ml"}, (NAME, "NotIn", ["acme-dev"]))))
    assert "team=ml" in v.message and "NotIn" in v.message


def test_other_tenant_by_label_is_named() -> None:
    (v,) = fired(netpol("ingress", ns({TENANT: "globex"})))
    assert v.path == "spec.ingress[0].from[0].namespaceSelector"
    assert "tenant 'globex'" in v.message


def test_each_other_tenant_in_an_In_list_is_reported() -> None:
    found = fired(netpol("ingress", ns(None, (TENANT, "In", ["acme", "globex", "initech"]))))
    assert len(found) == 2
    assert "tenant 'globex'" in found[0].message
    assert "labelled for 'initech'" in found[1].message


@pytest.mark.parametrize(
    ("obj", "words"),
    [
        pytest.param(
            netpol("egress", ns({NAME: "globex-prod"})),
            "namespace 'globex-prod' of tenant 'globex'",
            id="other-tenant-by-name",
        ),
        pytest.param(
            netpol("egress", ns({NAME: "llm-gateway"})),
            "not in tenant 'acme' nor allowed for egress",
            id="gateway-is-ingress-only",
        ),
        pytest.param(
            netpol("egress", ns({NAME: "kube-system"}), ports=[{"port": 443}]),
            "only on DNS port 53",
            id="kube-system-not-dns",
        ),
        pytest.param(netpol("egress", ns({NAME: "kube-system"})), "only on DNS port 53", id="kube-system-any-port"),
        pytest.param(
            netpol("egress", ns({NAME: "kube-system"}), ports=[{"port": 53, "endPort": 443}]),
            "only on DNS port 53",
            id="port-range-beyond-dns",
        ),
        pytest.param(
            netpol("ingress", ns({NAME: "kube-system"}), ports=DNS_PORTS),
            "allowed for ingress",
            id="kube-system-ingress",
        ),
    ],
)
def test_names_outside_the_tenant_are_denied(obj: dict[str, Any], words: str) -> None:
    (v,) = fired(obj)
    assert words in v.message


def test_every_offending_namespace_and_peer_is_reported() -> None:
    names = ns(None, (NAME, "In", ["acme-dev", "globex-prod", "team-tools"]))
    found = fired(netpol("ingress", names, ns({"team": "x"})))
    assert [v.path for v in found] == [
        "spec.ingress[0].from[0].namespaceSelector",
        "spec.ingress[0].from[0].namespaceSelector",
        "spec.ingress[0].from[1].namespaceSelector",
    ]
    assert "'globex-prod' of tenant 'globex'" in found[0].message
    assert "'team-tools' is not in tenant 'acme'" in found[1].message
    assert "team=x" in found[2].message
