"""PSS007 appArmorProfile: the field types and the beta annotation values PSA allows."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tests.support.fixtures import judge

RULE = "PSS007"
PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


@pytest.mark.parametrize(
    "profile",
    [{"type": "RuntimeDefault"}, {"type": "Localhost", "localhostProfile": "p"}],
    ids=["RuntimeDefault", "Localhost"],
)
def test_allowed_types(profile: dict[str, str]) -> None:
    obj = example_pod(restricted_container(appArmorProfile=profile), securityContext={"appArmorProfile": profile})
    assert fired(obj, BASELINE_TENANT) == []


@pytest.mark.parametrize("value", ["Unconfined", "Other"])
@pytest.mark.parametrize("tenant", [None, BASELINE_TENANT], ids=["restricted", "baseline"])
def test_pod_level_types_are_denied(value: str, tenant: dict[str, Any] | None) -> None:
    (v,) = fired(example_pod(securityContext={"appArmorProfile": {"type": value}}), tenant)
    assert v.path == "spec.securityContext.appArmorProfile.type"
    assert v.message == f'forbidden AppArmor profile (pod must not set AppArmor profile type to "{value}")'


@pytest.mark.parametrize("field", ["containers", "initContainers", "ephemeralContainers"])
def test_container_level_unconfined_is_denied(field: str) -> None:
    obj = example_pod(**{field: [restricted_container("app", appArmorProfile={"type": "Unconfined"})]})
    (v,) = fired(obj)
    assert v.path == f"spec.{field}[0].securityContext.appArmorProfile.type"
    assert 'container "app" must not set AppArmor profile type to "Unconfined"' in v.message


@pytest.mark.parametrize("value", ["", "runtime/default", "localhost/llm-profile"])
def test_allowed_annotation_values(value: str) -> None:
    assert fired(example_pod(annotations={PREFIX + "app": value})) == []


@pytest.mark.parametrize("value", ["unconfined", "docker/default", "other"])
def test_forbidden_annotation_values(value: str) -> None:
    (v,) = fired(example_pod(annotations={PREFIX + "app": value, "unrelated/annotation": "unconfined"}))
    assert v.path == f'metadata.annotations["{PREFIX}app"]'
    assert value in v.message and v.message.startswith("forbidden AppArmor profile (annotation")


def test_deployment_template_annotations_are_judged() -> None:
    obj = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "app", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"template": {"metadata": {"labels": {"tenantguard.io/tenant": "acme"},
                                           "annotations": {PREFIX + "app": "unconfined"}},
                              "spec": example_pod()["spec"]}},
    }  # fmt: skip
    assert [v.path for v in fired(obj)] == [f'spec.template.metadata.annotations["{PREFIX}app"]']
