"""PSS-M secure defaults: fill what restricted needs and the user left unset, never overwrite, idempotent."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import mutate, review
from tenantguard.policies.model import Patch, Violation
from tenantguard.policies.rules.podsecurity.examples import example_pod, restricted_container
from tests.support.fixtures import cluster_for, deployment, request

OPT_IN = cluster_for({"podSecurityDefaults": True, "mtls": {"mode": "none"}})


def bare(name: str = "app", **extra: Any) -> dict[str, Any]:
    return {"name": name, "image": "registry.acme.example/app:1.0", **extra}


def pss(obj: dict[str, Any], policy: ClusterState = OPT_IN) -> list[Violation]:
    return [v for v in review(obj, policy, request()).evaluation.violations if v.rule.startswith("PSS")]


def ops(obj: dict[str, Any], policy: ClusterState = OPT_IN) -> list[Patch]:
    return list(mutate(obj, policy, request()).patches)


def test_pod_failing_only_through_unset_fields_passes_after_review() -> None:
    obj = example_pod(bare("app"), initContainers=[bare("init")])
    assert {v.rule for v in pss(obj, cluster_for({"mtls": {"mode": "none"}}))} == {
        "PSS014", "PSS015", "PSS017", "PSS018"}  # fmt: skip
    assert pss(obj) == []


def test_patches() -> None:
    assert ops(example_pod(bare())) == [
        {"op": "add", "path": "/spec/securityContext",
         "value": {"seccompProfile": {"type": "RuntimeDefault"}, "runAsNonRoot": True}},
        {"op": "add", "path": "/spec/containers/0/securityContext",
         "value": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}},
    ]  # fmt: skip


def test_existing_security_contexts_get_field_patches() -> None:
    obj = example_pod(bare(securityContext={"capabilities": {"drop": ["NET_RAW"]}}), securityContext={"fsGroup": 1})
    assert ops(obj) == [
        {"op": "add", "path": "/spec/securityContext/seccompProfile", "value": {"type": "RuntimeDefault"}},
        {"op": "add", "path": "/spec/securityContext/runAsNonRoot", "value": True},
        {"op": "add", "path": "/spec/containers/0/securityContext/allowPrivilegeEscalation", "value": False},
        {"op": "add", "path": "/spec/containers/0/securityContext/capabilities/drop/-", "value": "ALL"},
    ]
    assert pss(obj) == []


@pytest.mark.parametrize(
    "obj",
    [
        example_pod(bare()),
        deployment(containers=[bare()]),
        example_pod(bare(), ephemeralContainers=[bare("debug")]),
    ],
    ids=["pod", "deployment", "ephemeral"],
)
def test_mutating_twice_changes_nothing(obj: dict[str, Any]) -> None:
    first = mutate(obj, OPT_IN, request())
    assert first.patches
    assert mutate(first.mutated, OPT_IN, request()).patches == ()


def test_deployment_template_is_patched_at_its_path() -> None:
    paths = [op["path"] for op in ops(deployment(containers=[bare()]))]
    assert paths == [
        "/spec/template/spec/securityContext",
        "/spec/template/spec/containers/0/securityContext",
    ]


def test_ephemeral_containers_get_defaults_too() -> None:
    obj = example_pod(restricted_container(), ephemeralContainers=[bare("debug")])
    assert [op["path"] for op in ops(obj)] == [
        "/spec/securityContext",
        "/spec/ephemeralContainers/0/securityContext",
    ]


def test_kserve_model_container_gets_defaults() -> None:
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface"}, **bare("kserve-container")}}},
    }
    assert "/spec/predictor/model/securityContext" in [op["path"] for op in ops(isvc)]
    assert pss(isvc) == []


def test_explicitly_privileged_container_still_fails() -> None:
    obj = example_pod(bare(securityContext={"privileged": True}))
    assert {v.rule for v in pss(obj)} == {"PSS003", "PSS014"}


@pytest.mark.parametrize(("security", "rule"), [
    ({"allowPrivilegeEscalation": True}, "PSS014"),
    ({"seccompProfile": {"type": "Unconfined"}}, "PSS017"),
    ({"runAsNonRoot": False}, "PSS015"),
    ({"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}, "PSS018"),
], ids=["escalation", "seccomp", "runAsNonRoot", "capabilities"])  # fmt: skip
def test_user_values_are_never_overwritten(security: dict[str, Any], rule: str) -> None:
    obj = example_pod(bare(securityContext=security))
    mutated = mutate(obj, OPT_IN, request()).mutated
    for key, value in security.items():
        assert mutated["spec"]["containers"][0]["securityContext"][key] == value
    assert rule in {v.rule for v in pss(obj)}


def test_windows_pods_only_get_run_as_non_root() -> None:
    assert ops(example_pod(bare(), os={"name": "windows"})) == [
        {"op": "add", "path": "/spec/securityContext", "value": {"runAsNonRoot": True}}
    ]


def test_user_namespace_pods_get_no_run_as_non_root() -> None:
    patches = ops(example_pod(bare(), hostUsers=False))
    assert patches[0]["value"] == {"seccompProfile": {"type": "RuntimeDefault"}}


@pytest.mark.parametrize(
    "obj",
    [
        example_pod(bare(), securityContext={"runAsUser": 0}),
        example_pod(bare(securityContext={"runAsUser": 0})),
    ],
    ids=["pod", "container"],
)
def test_root_uid_gets_no_run_as_non_root(obj: dict[str, Any]) -> None:
    assert all("runAsNonRoot" not in str(op) for op in ops(obj))


def test_tenants_without_opt_in_get_nothing() -> None:
    assert ops(example_pod(bare()), cluster_for()) == []


def test_serving_runtime_containers_get_the_pod_level_defaults_themselves() -> None:
    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {
            "supportedModelFormats": [{"name": "huggingface"}],
            "containers": [bare("kserve-container")],
        },
    }
    assert ops(runtime) == [
        {
            "op": "add",
            "path": "/spec/containers/0/securityContext",
            "value": {
                "seccompProfile": {"type": "RuntimeDefault"},
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            },
        }
    ]
    assert pss(runtime) == []
    assert mutate(mutate(runtime, OPT_IN, request()).mutated, OPT_IN, request()).patches == ()


@pytest.mark.parametrize("cap", ["SYS_ADMIN", "CAP_SYS_ADMIN"])
def test_no_escalation_default_where_the_api_would_reject_it(cap: str) -> None:
    obj = example_pod(bare(securityContext={"capabilities": {"add": [cap]}}))
    assert all("allowPrivilegeEscalation" not in str(op) for op in ops(obj))
    assert {"PSS014", "PSS018"} <= {v.rule for v in pss(obj)}
