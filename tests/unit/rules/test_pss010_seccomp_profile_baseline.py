"""PSS010 seccompProfile_baseline: if set, RuntimeDefault or Localhost (baseline tenants)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, pinned, restricted_container
from tests.support.fixtures import judge

RULE = "PSS010"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = BASELINE_TENANT) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize(
    "profile",
    [None, {"type": "RuntimeDefault"}, {"type": "Localhost", "localhostProfile": "p"}],
    ids=["undefined", "RuntimeDefault", "Localhost"],
)
def test_allowed_values(profile: dict[str, str] | None) -> None:
    pod_sc = {} if profile is None else {"seccompProfile": profile}
    assert fired(example_pod(restricted_container(seccompProfile=profile), securityContext=pod_sc)) == []


def test_unconfined_pod_is_denied() -> None:
    (v,) = fired(example_pod(securityContext={"seccompProfile": {"type": "Unconfined"}}))
    assert v.path == "spec.securityContext.seccompProfile.type"
    assert v.message == 'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'


@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_unconfined_container_is_denied(field: str) -> None:
    obj = example_pod(**{field: [restricted_container("app", seccompProfile={"type": "Unconfined"})]})
    (v,) = fired(obj)
    assert v.path == f"spec.{field}[0].securityContext.seccompProfile.type"
    assert 'container "app" must not set securityContext.seccompProfile.type to "Unconfined"' in v.message


def test_restricted_tenants_get_seccomp_profile_restricted_instead() -> None:
    obj = example_pod(securityContext={"seccompProfile": {"type": "Unconfined"}})
    assert fired(obj, tenant=None) == []
    assert "PSS017" in {v.rule for v in judge(Example(object=obj)).violations}


# Versions: v1.0 judges the alpha seccomp annotations, v1.19 the seccompProfile fields instead.
POD_KEY = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_KEY = "container.seccomp.security.alpha.kubernetes.io/"


@pytest.mark.parametrize("value", ["unconfined", ""])
def test_before_v1_19_the_pod_annotation_is_judged(value: str) -> None:
    (v,) = fired(example_pod(annotations={POD_KEY: value}), pinned("v1.18", BASELINE_TENANT))
    assert v.path == f'metadata.annotations["{POD_KEY}"]'
    assert v.message == f'seccompProfile (forbidden annotation {POD_KEY}="{value}")'


@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_before_v1_19_container_annotations_are_judged(field: str) -> None:
    obj = example_pod(**{field: [restricted_container("side")]}, annotations={CONTAINER_KEY + "side": "unconfined"})
    (v,) = fired(obj, pinned("v1.18", BASELINE_TENANT))
    assert v.path == f'metadata.annotations["{CONTAINER_KEY}side"]'


def test_before_v1_19_annotations_of_other_containers_are_ignored() -> None:
    obj = example_pod(annotations={CONTAINER_KEY + "other": "unconfined"})
    assert fired(obj, pinned("v1.18", BASELINE_TENANT)) == []


@pytest.mark.parametrize("value", ["runtime/default", "docker/default", "localhost/llm.json"])
def test_before_v1_19_default_and_localhost_annotations_are_allowed(value: str) -> None:
    obj = example_pod(annotations={POD_KEY: value, CONTAINER_KEY + "app": value})
    assert fired(obj, pinned("v1.18", BASELINE_TENANT)) == []


def test_before_v1_19_the_fields_are_not_judged_and_after_the_annotations_are_not() -> None:
    field = example_pod(restricted_container(seccompProfile={"type": "Unconfined"}))
    annotation = example_pod(annotations={POD_KEY: "unconfined"})
    assert fired(field, pinned("v1.18", BASELINE_TENANT)) == []
    assert fired(annotation, pinned("v1.19", BASELINE_TENANT)) == []
    assert len(fired(field, pinned("v1.19", BASELINE_TENANT))) == 1


def test_restricted_tenants_get_the_annotation_check_before_v1_19() -> None:
    obj = example_pod(annotations={POD_KEY: "unconfined"})
    assert len(fired(obj, pinned("v1.18"))) == 1
    assert fired(obj, pinned("v1.19")) == []  # PSS017 replaces it
