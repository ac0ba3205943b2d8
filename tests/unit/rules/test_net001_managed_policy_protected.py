"""NET001: tenants cannot create or change the managed baseline NetworkPolicies."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tests.support.fixtures import judge


def netpol(name: str = "allow-router", namespace: str = "acme-prod", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"tenantguard.io/tenant": "acme", **labels},
        },
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }


MANAGED = {"tenantguard.io/managed": "true"}


def fired(obj: dict[str, Any], **kw: Any) -> list[Violation]:
    return [v for v in judge(Example(object=obj, **kw)).violations if v.rule == "NET001"]


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(netpol(), id="own-policy"),
        pytest.param(netpol("tenantguard-default-deny", "team-tools", **MANAGED), id="not-a-tenant-namespace"),
        pytest.param(netpol("my-tenantguard-rules"), id="prefix-only-at-start"),
    ],
)
def test_allowed(obj: dict[str, Any]) -> None:
    assert fired(obj) == []


def test_managed_label_is_denied_at_its_path() -> None:
    (v,) = fired(netpol("extra", **MANAGED))
    assert v.path == 'metadata.labels["tenantguard.io/managed"]'
    assert "managed baseline policy" in v.message


def test_managed_label_with_any_value_is_denied() -> None:
    assert fired(netpol("extra", **{"tenantguard.io/managed": "false"}))


def test_reserved_name_prefix_is_denied() -> None:
    (v,) = fired(netpol("tenantguard-allow-all"))
    assert v.path == "metadata.name"
    assert "'tenantguard-'" in v.message and "reserved" in v.message


def test_both_claims_are_reported() -> None:
    paths = {v.path for v in fired(netpol("tenantguard-default-deny", **MANAGED))}
    assert paths == {"metadata.name", 'metadata.labels["tenantguard.io/managed"]'}


def test_generate_name_with_the_prefix_is_denied() -> None:
    obj = netpol()
    obj["metadata"] = {"generateName": "tenantguard-", "namespace": "acme-prod"}
    assert [v.path for v in fired(obj)] == ["metadata.name"]


def test_update_removing_the_label_of_a_managed_policy_is_denied() -> None:
    old = netpol("baseline", **MANAGED)
    (v,) = fired(netpol("baseline"), operation="UPDATE", old=old)
    assert "cannot change" in v.message


def test_update_of_own_policy_is_allowed() -> None:
    assert fired(netpol(), operation="UPDATE", old=netpol()) == []
