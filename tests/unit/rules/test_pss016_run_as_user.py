"""PSS016 runAsUser: 0 is forbidden on the pod and every container; user namespaces exempt (v1.35)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS016"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize("uid", [None, 1, 1000, 65534], ids=["undefined", "1", "1000", "65534"])
def test_non_zero_or_undefined_is_allowed(uid: int | None) -> None:
    pod_sc = {} if uid is None else {"runAsUser": uid}
    assert fired(example_pod(restricted_container(runAsUser=uid), securityContext=pod_sc)) == []


def test_pod_root_is_denied() -> None:
    (v,) = fired(example_pod(securityContext={"runAsUser": 0}))
    assert v.path == "spec.securityContext.runAsUser"
    assert v.message == "runAsUser=0 (pod must not set runAsUser=0)"


def test_pod_root_is_denied_even_when_containers_override_it() -> None:
    obj = example_pod(restricted_container(runAsUser=1000), securityContext={"runAsUser": 0})
    assert [v.path for v in fired(obj)] == ["spec.securityContext.runAsUser"]


@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_container_root_is_denied(field: str) -> None:
    (v,) = fired(example_pod(**{field: [restricted_container("app", runAsUser=0)]}))
    assert v.path == f"spec.{field}[0].securityContext.runAsUser"
    assert v.message == 'runAsUser=0 (container "app" must not set runAsUser=0)'


def test_user_namespace_pods_are_exempt() -> None:
    assert (
        fired(example_pod(restricted_container(runAsUser=0), securityContext={"runAsUser": 0}, hostUsers=False)) == []
    )


def test_baseline_tenants_are_not_judged() -> None:
    assert fired(example_pod(securityContext={"runAsUser": 0}), BASELINE_TENANT) == []


# Versions: v1.23 is the first, v1.35 exempts pods in a user namespace.
def test_user_namespace_pods_are_judged_before_v1_35() -> None:
    obj = example_pod(restricted_container(runAsUser=0), hostUsers=False)
    (v,) = fired(obj, pinned("v1.34"))
    assert v.message == 'runAsUser=0 (container "app" must not set runAsUser=0)'
    assert fired(obj, pinned("v1.35")) == []


def test_not_judged_before_v1_23() -> None:
    obj = example_pod(securityContext={"runAsUser": 0})
    assert fired(obj, pinned("v1.22")) == []
    assert len(fired(obj, pinned("v1.23"))) == 1
