"""NET004: ipBlocks (egress and ingress) stay inside the tenant's egress CIDRs; IPv4 and IPv6."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tests.support.fixtures import judge

DUAL = {"network": {"allowEgressCIDRs": ["10.20.0.0/16", "2001:db8:20::/48"]}}


def netpol(direction: str, *blocks: dict[str, Any]) -> dict[str, Any]:
    side = "to" if direction == "egress" else "from"
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "storage",
            "namespace": "acme-prod",
            "labels": {"tenantguard.io/tenant": "acme"},
        },
        "spec": {
            "podSelector": {},
            "policyTypes": [direction.capitalize()],
            direction: [{side: [{"ipBlock": b} for b in blocks]}],
        },
    }


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == "NET004"]


@pytest.mark.parametrize(
    ("obj", "tenant"),
    [
        pytest.param(netpol("egress", {"cidr": "10.20.0.0/16"}), None, id="exactly-the-cidr"),
        pytest.param(netpol("egress", {"cidr": "10.20.7.9/32"}), None, id="one-host"),
        pytest.param(netpol("egress", {"cidr": "10.20.0.0/16", "except": ["10.20.9.0/24"]}), None, id="with-except"),
        pytest.param(netpol("ingress", {"cidr": "10.20.1.0/24"}), None, id="ingress-inside"),
        pytest.param(netpol("egress", {"cidr": "2001:db8:20:1::/64"}), DUAL, id="ipv6-inside"),
        pytest.param(netpol("egress", {"cidr": "10.20.1.5/24"}), None, id="host-bits-set"),
    ],
)
def test_allowed(obj: dict[str, Any], tenant: dict[str, Any] | None) -> None:
    assert fired(obj, tenant) == []


@pytest.mark.parametrize(
    ("obj", "tenant"),
    [
        pytest.param(
            netpol("egress", {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "192.168.0.0/16"]}),
            None,
            id="everything-with-excepts",
        ),
        pytest.param(netpol("egress", {"cidr": "10.0.0.0/8"}), None, id="wider"),
        pytest.param(netpol("egress", {"cidr": "10.21.0.0/24"}), None, id="beside"),
        pytest.param(netpol("ingress", {"cidr": "10.244.0.0/16"}), None, id="ingress-pod-cidr"),
        pytest.param(netpol("egress", {"cidr": "::/0"}), DUAL, id="ipv6-everything"),
        pytest.param(netpol("egress", {"cidr": "2001:db8:20::/64"}), None, id="ipv6-without-ipv6-allowance"),
        pytest.param(netpol("egress", {"cidr": "10.20.0.0/24"}), {"network": {}}, id="no-egress-cidrs"),
    ],
)
def test_denied(obj: dict[str, Any], tenant: dict[str, Any] | None) -> None:
    (v,) = fired(obj, tenant)
    direction = "ingress" if "ingress" in obj["spec"] else "egress"
    side = "from" if direction == "ingress" else "to"
    assert v.path == f"spec.{direction}[0].{side}[0].ipBlock.cidr"
    assert f"{direction} ipBlock" in v.message and "outside the egress CIDRs of tenant 'acme'" in v.message


def test_message_lists_the_allowed_cidrs() -> None:
    (v,) = fired(netpol("egress", {"cidr": "8.8.8.8/32"}))
    assert "(10.20.0.0/16)" in v.message
    (v,) = fired(netpol("egress", {"cidr": "8.8.8.8/32"}), {"network": {}})
    assert "(none)" in v.message


def test_invalid_cidr_is_reported() -> None:
    (v,) = fired(netpol("egress", {"cidr": "10.20.0.0/33"}))
    assert "not a valid CIDR" in v.message


def test_every_block_is_reported() -> None:
    found = fired(netpol("egress", {"cidr": "10.20.0.0/24"}, {"cidr": "1.1.1.1/32"}, {"cidr": "8.8.8.8/32"}))
    assert [v.path for v in found] == [
        "spec.egress[0].to[1].ipBlock.cidr",
        "spec.egress[0].to[2].ipBlock.cidr",
    ]
