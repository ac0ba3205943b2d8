"""PSS008 seLinuxOptions: container types only (container_engine_t since v1.31), no user or role."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS008"
ALLOWED = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]
FORBIDDEN = ["spc_t", "unconfined_t", "container_logreader_t", "kernel_t"]


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize("selinux_type", ALLOWED, ids=lambda t: t or "empty")
def test_allowed_types(selinux_type: str) -> None:
    opts = {"type": selinux_type, "level": "s0:c123,c456"}
    obj = example_pod(restricted_container(seLinuxOptions=opts), securityContext={"seLinuxOptions": opts})
    assert fired(obj) == []
    assert fired(obj, BASELINE_TENANT) == []


@pytest.mark.parametrize("selinux_type", FORBIDDEN)
def test_forbidden_types_at_pod_level(selinux_type: str) -> None:
    (v,) = fired(example_pod(securityContext={"seLinuxOptions": {"type": selinux_type}}), BASELINE_TENANT)
    assert v.path == "spec.securityContext.seLinuxOptions.type"
    assert v.message == f'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "{selinux_type}")'


@pytest.mark.parametrize("field", ["user", "role"])
def test_user_and_role_are_forbidden(field: str) -> None:
    obj = example_pod(restricted_container("app", seLinuxOptions={field: "system_x"}))
    (v,) = fired(obj)
    assert v.path == f"spec.containers[0].securityContext.seLinuxOptions.{field}"
    assert f'container "app" set forbidden securityContext.seLinuxOptions: {field} may not be set' in v.message


@pytest.mark.parametrize("field", ["user", "role"])
def test_empty_user_and_role_are_allowed(field: str) -> None:
    assert fired(example_pod(securityContext={"seLinuxOptions": {field: ""}})) == []


def test_every_offence_is_reported() -> None:
    opts = {"type": "spc_t", "user": "u", "role": "r"}
    obj = example_pod(initContainers=[restricted_container("init", seLinuxOptions=opts)])
    assert [v.path.rsplit(".", 1)[1] for v in fired(obj)] == ["type", "user", "role"]


# Versions: v1.0, then v1.31 allows container_engine_t.
@pytest.mark.parametrize(("version", "count"), [("v1.30", 1), ("v1.31", 0), ("latest", 0)])
def test_container_engine_t_is_allowed_from_v1_31(version: str, count: int) -> None:
    obj = example_pod(restricted_container(seLinuxOptions={"type": "container_engine_t"}))
    found = fired(obj, pinned(version, BASELINE_TENANT))
    assert len(found) == count
    if found:
        assert found[0].path == "spec.containers[0].securityContext.seLinuxOptions.type"
        assert found[0].message == (
            'seLinuxOptions (container "app" set forbidden securityContext.seLinuxOptions: type "container_engine_t")'
        )


def test_other_types_are_judged_alike_before_v1_31() -> None:
    obj = example_pod(securityContext={"seLinuxOptions": {"type": "container_t", "user": "system_u"}})
    assert [v.path for v in fired(obj, pinned("v1.30"))] == ["spec.securityContext.seLinuxOptions.user"]
