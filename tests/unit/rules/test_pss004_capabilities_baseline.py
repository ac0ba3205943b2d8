"""PSS004 capabilities_baseline: only the baseline default capabilities may be added (baseline tenants)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tests.support.fixtures import judge

RULE = "PSS004"
DEFAULT_SET = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
]
FORBIDDEN = ["NET_RAW", "NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "BPF", "ALL", "CAP_CHOWN"]


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = BASELINE_TENANT) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def adding(*caps: str, name: str = "app") -> dict[str, Any]:
    return example_pod(restricted_container(name, capabilities={"add": list(caps)}))


@pytest.mark.parametrize("cap", DEFAULT_SET)
def test_default_capabilities_are_allowed(cap: str) -> None:
    assert fired(adding(cap)) == []


def test_undefined_and_empty_are_allowed() -> None:
    assert fired(example_pod(restricted_container(capabilities=None))) == []
    assert fired(adding()) == []


@pytest.mark.parametrize("cap", FORBIDDEN)
def test_other_capabilities_are_denied(cap: str) -> None:
    (v,) = fired(adding(cap))
    assert v.path == "spec.containers[0].securityContext.capabilities.add[0]"
    assert v.message == (
        f'non-default capabilities (container "app" must not include "{cap}" in securityContext.capabilities.add)'
    )


def test_every_offending_capability_is_reported() -> None:
    assert [v.path for v in fired(adding("CHOWN", "NET_RAW", "SYS_ADMIN"))] == [
        "spec.containers[0].securityContext.capabilities.add[1]",
        "spec.containers[0].securityContext.capabilities.add[2]",
    ]


@pytest.mark.parametrize("field", ["initContainers", "ephemeralContainers"])
def test_init_and_ephemeral_containers(field: str) -> None:
    obj = example_pod(**{field: [restricted_container("x", capabilities={"add": ["NET_RAW"]})]})
    assert [v.path for v in fired(obj)] == [f"spec.{field}[0].securityContext.capabilities.add[0]"]


def test_restricted_tenants_get_capabilities_restricted_instead() -> None:
    obj = adding("NET_RAW")
    assert fired(obj, tenant=None) == []
    assert "PSS018" in {v.rule for v in judge(Example(object=obj)).violations}
