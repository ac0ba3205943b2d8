"""PSS015 runAsNonRoot: pod-level true is inherited, a container's own value wins; user namespaces exempt."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS015"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def case(pod_value: bool | None, container_value: bool | None, **spec: Any) -> dict[str, Any]:
    pod_sc = {} if pod_value is None else {"runAsNonRoot": pod_value}
    return example_pod(restricted_container("app", runAsNonRoot=container_value), securityContext=pod_sc, **spec)


@pytest.mark.parametrize(
    ("pod_value", "container_value"),
    [(True, None), (True, True), (None, True), (False, True)],
    ids=["pod-true", "both-true", "container-true", "pod-false-container-true"],
)
def test_decisions(pod_value: bool | None, container_value: bool | None) -> None:
    found = fired(case(pod_value, container_value))
    # a pod-level false is itself forbidden, even when every container overrides it
    assert [v.path for v in found] == (["spec.securityContext.runAsNonRoot"] if pod_value is False else [])


def test_unset_everywhere_is_denied() -> None:
    (v,) = fired(case(None, None))
    assert v.path == "spec.containers[0].securityContext.runAsNonRoot"
    assert v.message == 'runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true)'


def test_container_false_overrides_pod_true() -> None:
    (v,) = fired(case(True, False))
    assert v.path == "spec.containers[0].securityContext.runAsNonRoot"
    assert v.message == 'runAsNonRoot != true (container "app" must not set securityContext.runAsNonRoot=false)'


def test_pod_false_is_denied() -> None:
    paths = [v.path for v in fired(case(False, None))]
    assert paths == ["spec.securityContext.runAsNonRoot", "spec.containers[0].securityContext.runAsNonRoot"]
    assert "pod must not set securityContext.runAsNonRoot=false" in fired(case(False, None))[0].message


@pytest.mark.parametrize("field", ["initContainers", "ephemeralContainers"])
def test_init_and_ephemeral_containers_need_it_too(field: str) -> None:
    obj = example_pod(**{field: [restricted_container("x", runAsNonRoot=None)]})
    assert [v.path for v in fired(obj)] == [f"spec.{field}[0].securityContext.runAsNonRoot"]


def test_user_namespace_pods_are_exempt() -> None:
    assert fired(case(False, False, hostUsers=False)) == []
    assert len(fired(case(None, None, hostUsers=True))) == 1


def test_windows_pods_are_not_exempt() -> None:
    assert len(fired(case(None, None, os={"name": "windows"}))) == 1


def test_baseline_tenants_are_not_judged() -> None:
    assert fired(case(None, False), BASELINE_TENANT) == []


# Versions: v1.0, then v1.35 exempts pods in a user namespace.
def test_user_namespace_pods_are_judged_before_v1_35() -> None:
    obj = example_pod(restricted_container(runAsNonRoot=False), hostUsers=False)
    (v,) = fired(obj, pinned("v1.34"))
    assert v.message == 'runAsNonRoot != true (container "app" must not set securityContext.runAsNonRoot=false)'
    assert fired(obj, pinned("v1.35")) == []


def test_judged_from_v1_0() -> None:
    assert len(fired(example_pod(restricted_container(runAsNonRoot=None)), pinned("v1.0"))) == 1
