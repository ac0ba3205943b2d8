"""NET002: no `namespaceSelector: {}` peers and no rules without from/to."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tests.support.fixtures import judge

LABELS = {"tenantguard.io/tenant": "acme"}


def netpol(*, ingress: list[Any] | None = None, egress: list[Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": {"matchLabels": {"app": "vllm"}}, "policyTypes": []}
    if ingress is not None:
        spec["ingress"] = ingress
        spec["policyTypes"].append("Ingress")
    if egress is not None:
        spec["egress"] = egress
        spec["policyTypes"].append("Egress")
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": LABELS},
        "spec": spec,
    }


def fired(obj: dict[str, Any]) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "NET002"]


ACME = {"matchLabels": {"tenantguard.io/tenant": "acme"}}
ACME_IN = {
    "matchLabels": {},
    "matchExpressions": [{"key": "tenantguard.io/tenant", "operator": "In", "values": ["acme"]}],
}


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(netpol(ingress=[]), id="default-deny-ingress"),
        pytest.param(netpol(ingress=[], egress=[]), id="default-deny-both"),
        pytest.param(netpol(ingress=[{"from": [{"podSelector": {}}]}]), id="same-namespace-all-pods"),
        pytest.param(netpol(ingress=[{"from": [{"namespaceSelector": ACME}]}]), id="own-tenant"),
        pytest.param(netpol(egress=[{"to": [{"ipBlock": {"cidr": "10.20.0.0/24"}}]}]), id="ipblock"),
        pytest.param(netpol(ingress=[{"from": [{"namespaceSelector": ACME_IN}]}]), id="expressions-only"),
    ],
)
def test_allowed(obj: dict[str, Any]) -> None:
    assert fired(obj) == []


def test_empty_namespace_selector_in_ingress() -> None:
    (v,) = fired(netpol(ingress=[{"from": [{"podSelector": {}}, {"namespaceSelector": {}}]}]))
    assert v.path == "spec.ingress[0].from[1].namespaceSelector"
    assert "every namespace" in v.message and "all pods" in v.message


def test_empty_namespace_selector_with_pod_selector_in_egress() -> None:
    peer = {"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "router"}}}
    (v,) = fired(netpol(egress=[{"to": [peer]}]))
    assert v.path == "spec.egress[0].to[0].namespaceSelector"
    assert "the selected pods of every tenant" in v.message


def test_selector_with_empty_lists_counts_as_empty() -> None:
    selector: dict[str, Any] = {"matchLabels": {}, "matchExpressions": []}
    (v,) = fired(netpol(ingress=[{"from": [{"namespaceSelector": selector}]}]))
    assert v.path == "spec.ingress[0].from[0].namespaceSelector"


@pytest.mark.parametrize(
    ("obj", "path", "words"),
    [
        pytest.param(netpol(ingress=[{}]), "spec.ingress[0].from", "from every source", id="ingress-no-from"),
        pytest.param(netpol(ingress=[{"from": []}]), "spec.ingress[0].from", "from every source", id="ingress-empty"),
        pytest.param(
            netpol(egress=[{"ports": [{"port": 443}]}]),
            "spec.egress[0].to",
            "to every destination",
            id="egress-ports-only",
        ),
    ],
)
def test_rules_without_peers_match_everything(obj: dict[str, Any], path: str, words: str) -> None:
    (v,) = fired(obj)
    assert v.path == path and words in v.message


def test_every_offender_is_reported() -> None:
    obj = netpol(
        ingress=[{"from": [{"namespaceSelector": {}}]}, {}],
        egress=[{"to": [{"podSelector": {}}, {"namespaceSelector": {}}]}],
    )
    assert [v.path for v in fired(obj)] == [
        "spec.ingress[1].from",
        "spec.ingress[0].from[0].namespaceSelector",
        "spec.egress[0].to[1].namespaceSelector",
    ]
