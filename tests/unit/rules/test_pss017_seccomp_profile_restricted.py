"""PSS017 seccompProfile_restricted: RuntimeDefault/Localhost required; containers inherit the pod's."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS017"
RUNTIME_DEFAULT = {"type": "RuntimeDefault"}
LOCALHOST = {"type": "Localhost", "localhostProfile": "llm.json"}
UNCONFINED = {"type": "Unconfined"}


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def case(pod_profile: dict[str, str] | None, container_profile: dict[str, str] | None, **spec: Any) -> dict[str, Any]:
    pod_sc = {} if pod_profile is None else {"seccompProfile": pod_profile}
    container = restricted_container("app", seccompProfile=container_profile)
    return example_pod(container, securityContext=pod_sc, **spec)


@pytest.mark.parametrize(
    ("pod_profile", "container_profile"),
    [(RUNTIME_DEFAULT, None), (LOCALHOST, None), (None, RUNTIME_DEFAULT), (None, LOCALHOST),
     (RUNTIME_DEFAULT, LOCALHOST), (UNCONFINED, RUNTIME_DEFAULT)],
    ids=["pod-RuntimeDefault", "pod-Localhost", "container-RuntimeDefault", "container-Localhost",
         "both", "pod-Unconfined-container-set"],
)  # fmt: skip
def test_decisions(pod_profile: dict[str, str] | None, container_profile: dict[str, str] | None) -> None:
    found = [v.path for v in fired(case(pod_profile, container_profile))]
    assert found == (["spec.securityContext.seccompProfile.type"] if pod_profile is UNCONFINED else [])


def test_unset_everywhere_is_denied() -> None:
    (v,) = fired(case(None, None))
    assert v.path == "spec.containers[0].securityContext.seccompProfile.type"
    assert v.message == (
        'seccompProfile (pod or container "app" must set securityContext.seccompProfile.type '
        'to "RuntimeDefault" or "Localhost")'
    )


def test_container_unconfined_overrides_pod() -> None:
    (v,) = fired(case(RUNTIME_DEFAULT, UNCONFINED))
    assert v.message == (
        'seccompProfile (container "app" must not set securityContext.seccompProfile.type to "Unconfined")'
    )


def test_pod_unconfined_is_not_inherited_as_set() -> None:
    paths = [v.path for v in fired(case(UNCONFINED, None))]
    assert paths == [
        "spec.securityContext.seccompProfile.type",
        "spec.containers[0].securityContext.seccompProfile.type",
    ]


@pytest.mark.parametrize("field", ["initContainers", "ephemeralContainers"])
def test_init_and_ephemeral_containers(field: str) -> None:
    obj = example_pod(**{field: [restricted_container("x", seccompProfile=None)]})
    assert [v.path for v in fired(obj)] == [f"spec.{field}[0].securityContext.seccompProfile.type"]


def test_windows_pods_are_exempt() -> None:
    assert fired(case(None, UNCONFINED, os={"name": "windows"})) == []


def test_baseline_tenants_are_not_judged() -> None:
    assert fired(case(None, None), BASELINE_TENANT) == []


# Versions: v1.19 is the first, v1.25 exempts Windows pods.
def test_windows_pods_are_judged_before_v1_25() -> None:
    obj = example_pod(restricted_container(seccompProfile=None), os={"name": "windows"})
    (v,) = fired(obj, pinned("v1.24"))
    assert v.path == "spec.containers[0].securityContext.seccompProfile.type"
    assert fired(obj, pinned("v1.25")) == []


def test_not_judged_before_v1_19_where_the_baseline_check_runs() -> None:
    obj = example_pod(restricted_container(seccompProfile=None))
    assert fired(obj, pinned("v1.18")) == []
    assert len(fired(obj, pinned("v1.19"))) == 1
