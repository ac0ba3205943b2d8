"""PSS014 allowPrivilegeEscalation: must be explicitly false; Windows pods are exempt (v1.25)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS014"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def test_false_is_allowed() -> None:
    assert fired(example_pod(restricted_container(allowPrivilegeEscalation=False))) == []


@pytest.mark.parametrize("value", [None, True], ids=["undefined", "true"])
@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_anything_but_false_is_denied(value: bool | None, field: str) -> None:
    (v,) = fired(example_pod(**{field: [restricted_container("app", allowPrivilegeEscalation=value)]}))
    assert v.path == f"spec.{field}[0].securityContext.allowPrivilegeEscalation"
    assert v.message == (
        'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)'
    )


def test_container_without_security_context_is_denied() -> None:
    obj = example_pod({"name": "bare", "image": "registry.acme.example/app:1"})
    assert [v.path for v in fired(obj)] == ["spec.containers[0].securityContext.allowPrivilegeEscalation"]


def test_windows_pods_are_exempt() -> None:
    assert fired(example_pod(restricted_container(allowPrivilegeEscalation=None), os={"name": "windows"})) == []


def test_linux_os_gets_no_exemption() -> None:
    assert len(fired(example_pod(restricted_container(allowPrivilegeEscalation=None), os={"name": "linux"}))) == 1


def test_baseline_tenants_are_not_judged() -> None:
    assert fired(example_pod(restricted_container(allowPrivilegeEscalation=True)), BASELINE_TENANT) == []


# Versions: v1.8 is the first, v1.25 exempts Windows pods.
def test_windows_pods_are_judged_before_v1_25() -> None:
    obj = example_pod(restricted_container(allowPrivilegeEscalation=None), os={"name": "windows"})
    (v,) = fired(obj, pinned("v1.24"))
    assert v.path == "spec.containers[0].securityContext.allowPrivilegeEscalation"
    assert fired(obj, pinned("v1.25")) == []


def test_not_judged_before_v1_8() -> None:
    obj = example_pod(restricted_container(allowPrivilegeEscalation=True))
    assert fired(obj, pinned("v1.7")) == []
    assert len(fired(obj, pinned("v1.8"))) == 1
