"""PSS018 capabilities_restricted: drop must include ALL, add only NET_BIND_SERVICE; Windows exempt."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS018"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def caps(value: dict[str, Any] | None, **spec: Any) -> dict[str, Any]:
    return example_pod(restricted_container("app", capabilities=value), **spec)


@pytest.mark.parametrize(
    "value",
    [
        {"drop": ["ALL"]},
        {"drop": ["NET_RAW", "ALL"]},
        {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
        {"drop": ["ALL"], "add": []},
    ],
    ids=["drop-ALL", "drop-list-with-ALL", "add-NET_BIND_SERVICE", "add-empty"],
)
def test_allowed(value: dict[str, Any]) -> None:
    assert fired(caps(value)) == []


@pytest.mark.parametrize(
    "value",
    [None, {}, {"drop": ["NET_RAW"]}, {"drop": ["all"]}, {"add": ["NET_BIND_SERVICE"]}],
    ids=["undefined", "empty", "drop-without-ALL", "lowercase-all", "add-only"],
)
def test_missing_drop_all_is_denied(value: dict[str, Any] | None) -> None:
    (v,) = fired(caps(value))
    assert v.path == "spec.containers[0].securityContext.capabilities.drop"
    assert v.message == 'unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"])'


@pytest.mark.parametrize("cap", ["CHOWN", "NET_RAW", "SYS_ADMIN", "ALL", "AUDIT_WRITE", "SETUID"])
def test_adding_anything_but_net_bind_service_is_denied(cap: str) -> None:
    (v,) = fired(caps({"drop": ["ALL"], "add": ["NET_BIND_SERVICE", cap]}))
    assert v.path == "spec.containers[0].securityContext.capabilities.add[1]"
    assert v.message == (
        f'unrestricted capabilities (container "app" must not include "{cap}" in securityContext.capabilities.add)'
    )


@pytest.mark.parametrize("field", ["initContainers", "ephemeralContainers"])
def test_init_and_ephemeral_containers(field: str) -> None:
    obj = example_pod(**{field: [restricted_container("x", capabilities=None)]})
    assert [v.path for v in fired(obj)] == [f"spec.{field}[0].securityContext.capabilities.drop"]


def test_windows_pods_are_exempt() -> None:
    assert fired(caps({"add": ["NET_RAW"]}, os={"name": "windows"})) == []


def test_baseline_tenants_are_not_judged() -> None:
    assert fired(caps(None), BASELINE_TENANT) == []


# Versions: v1.22 is the first, v1.25 exempts Windows pods; before v1.22 PSS004 judges restricted tenants.
def test_windows_pods_are_judged_before_v1_25() -> None:
    obj = example_pod(restricted_container(capabilities=None), os={"name": "windows"})
    (v,) = fired(obj, pinned("v1.24"))
    assert v.path == "spec.containers[0].securityContext.capabilities.drop"
    assert fired(obj, pinned("v1.25")) == []


def test_capabilities_baseline_judges_restricted_tenants_before_v1_22() -> None:
    obj = example_pod(restricted_container(capabilities={"add": ["NET_RAW"]}))
    rules = {v.rule for v in judge(Example(object=obj, tenant=pinned("v1.21"))).violations}
    assert "PSS004" in rules and RULE not in rules
    rules = {v.rule for v in judge(Example(object=obj, tenant=pinned("v1.22"))).violations}
    assert "PSS004" not in rules and RULE in rules
