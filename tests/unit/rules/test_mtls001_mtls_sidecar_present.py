"""MTLS001 mtls-sidecar-present: native sidecar or istio label on every serving pod, no opt-out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from tenantguard.policies.engine import evaluate, review
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rules.mtls.sidecar import sidecar_container
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tests.support.fixtures import cluster_for, deployment, pod, request, restricted_container

ISTIO = {"mtls": {"mode": "istio"}}
ACME_META = {"namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}
SIDECAR = sidecar_container(DEFAULT_SETTINGS, "acme", 8000)


def fired(
    obj: Obj, tenant: dict[str, Any] | None = None, ns_labels: Mapping[str, str] | None = None
) -> list[Violation]:
    cluster = cluster_for(tenant)
    if ns_labels is not None:
        cluster.put_namespace({"metadata": {"name": "acme-prod", "labels": dict(ns_labels)}})
    return [v for v in evaluate(obj, cluster, request()).violations if v.rule == "MTLS001"]


def vllm() -> Obj:
    return restricted_container("vllm", "docker.io/vllm/vllm-openai:v0.6.3", ports=[{"containerPort": 8000}])


def vllm_deployment(**spec: Any) -> Obj:
    return deployment(name="vllm", **{"containers": [vllm()], **spec})


def isvc() -> Obj:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", **ACME_META},
        "spec": {
            "predictor": {"model": {"modelFormat": {"name": "huggingface"}, "storageUri": "s3://acme-models/llama"}}
        },
    }


def with_template_labels(obj: Obj, **labels: str) -> Obj:
    obj["spec"]["template"]["metadata"]["labels"].update(labels)
    return obj


@pytest.mark.parametrize(
    ("obj", "tenant"),
    [
        pytest.param(vllm_deployment(initContainers=[SIDECAR]), None, id="native-sidecar-present"),
        pytest.param(deployment(), None, id="no-port-needs-no-mtls"),
        pytest.param(vllm_deployment(), {"mtls": {"mode": "none"}}, id="mode-none"),
        pytest.param(
            with_template_labels(vllm_deployment(), **{"sidecar.istio.io/inject": "true"}),
            ISTIO,
            id="istio-label",
        ),
        pytest.param(
            {
                **isvc(),
                "metadata": {
                    "name": "llm",
                    "namespace": "acme-prod",
                    "labels": {"sidecar.istio.io/inject": "true"},
                },
            },
            ISTIO,
            id="istio-inline-spec-object-label",
        ),
        pytest.param(pod(containers=[vllm()], initContainers=[SIDECAR]), None, id="pod-with-sidecar"),
    ],
)
def test_allowed(obj: Obj, tenant: dict[str, Any] | None) -> None:
    assert fired(obj, tenant) == []


def test_admission_injects_before_judging() -> None:
    for tenant in (None, ISTIO):
        result = review(vllm_deployment(), cluster_for(tenant), request())
        assert [v for v in result.evaluation.violations if v.rule == "MTLS001"] == []


def test_native_missing_sidecar_is_denied_at_init_containers() -> None:
    (v,) = fired(vllm_deployment())
    assert v.path == "spec.template.spec.initContainers"
    assert "'tenantguard-mtls' is missing" in v.message and "plain text" in v.message


def test_native_missing_sidecar_on_inference_service_without_ports() -> None:
    (v,) = fired(isvc())
    assert v.path == "spec.predictor.initContainers"


def test_native_sidecar_must_restart_always() -> None:
    (v,) = fired(vllm_deployment(initContainers=[{**SIDECAR, "restartPolicy": "Never"}]))
    assert v.path == "spec.template.spec.initContainers[0].restartPolicy"
    assert "native" in v.message


@pytest.mark.parametrize(("value", "got"), [(None, "is missing"), ("false", "is 'false'")], ids=["missing", "opt-out"])
def test_istio_label_required(value: str | None, got: str) -> None:
    obj = vllm_deployment()
    if value is not None:
        with_template_labels(obj, **{"sidecar.istio.io/inject": value})
    (v,) = fired(obj, ISTIO)
    assert v.path == 'spec.template.metadata.labels["sidecar.istio.io/inject"]'
    assert got in v.message and "istio" in v.message


def test_istio_label_on_inline_spec_is_on_the_object() -> None:
    (v,) = fired({**isvc(), "metadata": {"name": "llm", "namespace": "acme-prod"}}, ISTIO)
    assert v.path == 'metadata.labels["sidecar.istio.io/inject"]'


@pytest.mark.parametrize(
    "ns_labels",
    [{"istio-injection": "enabled"}, {"istio.io/rev": "stable"}],
    ids=["istio-injection", "revision"],
)
def test_istio_namespace_injection_seen_by_the_webhook_is_enough(ns_labels: dict[str, str]) -> None:
    assert fired(vllm_deployment(), ISTIO, ns_labels) == []


def test_istio_namespace_injection_does_not_excuse_an_explicit_opt_out() -> None:
    obj = with_template_labels(vllm_deployment(), **{"sidecar.istio.io/inject": "false"})
    assert len(fired(obj, ISTIO, {"istio-injection": "enabled"})) == 1


def test_istio_opt_out_annotation_is_denied() -> None:
    obj = with_template_labels(vllm_deployment(), **{"sidecar.istio.io/inject": "true"})
    obj["spec"]["template"]["metadata"]["annotations"] = {"sidecar.istio.io/inject": "false"}
    (v,) = fired(obj, ISTIO)
    assert v.path == 'spec.template.metadata.annotations["sidecar.istio.io/inject"]'
    assert "not allowed" in v.message


@pytest.mark.parametrize("tenant", [None, ISTIO], ids=["native", "istio"])
def test_tenantguard_opt_out_annotation_is_denied(tenant: dict[str, Any] | None) -> None:
    obj = vllm_deployment(initContainers=[SIDECAR])
    with_template_labels(obj, **{"sidecar.istio.io/inject": "true"})
    obj["spec"]["template"]["metadata"]["annotations"] = {"tenantguard.io/mtls": "disabled"}
    (v,) = fired(obj, tenant)
    assert v.path == 'spec.template.metadata.annotations["tenantguard.io/mtls"]'
    assert "cannot be turned off" in v.message and "'disabled'" in v.message


def test_every_pod_template_is_reported() -> None:
    tpl = {"metadata": {"labels": {"tenantguard.io/tenant": "acme"}}, "spec": {"containers": [vllm()]}}
    obj = {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": {"name": "llm", **ACME_META},
        "spec": {"leaderWorkerTemplate": {"size": 2, "leaderTemplate": tpl, "workerTemplate": tpl}},
    }
    assert [v.path for v in fired(obj)] == [
        "spec.leaderWorkerTemplate.leaderTemplate.spec.initContainers",
        "spec.leaderWorkerTemplate.workerTemplate.spec.initContainers",
    ]


def test_mesh_opt_out_label_is_denied_in_native_mode_too() -> None:
    obj = vllm_deployment(initContainers=[SIDECAR])
    with_template_labels(obj, **{"sidecar.istio.io/inject": "false"})
    (v,) = fired(obj)
    assert v.path == 'spec.template.metadata.labels["sidecar.istio.io/inject"]'
    assert "opting out of the mesh" in v.message


def test_mesh_opt_out_on_a_pod_that_needs_no_mtls_is_ignored() -> None:
    obj = deployment()
    with_template_labels(obj, **{"sidecar.istio.io/inject": "false"})
    assert fired(obj) == []


def test_pod_update_is_not_judged() -> None:
    """A running Pod's spec cannot change; denying a label update for it would help no one."""
    obj = pod(containers=[vllm()])
    assert len(fired(obj)) == 1
    found = evaluate(obj, cluster_for(), request("UPDATE", obj)).violations
    assert [v for v in found if v.rule == "MTLS001"] == []


# Servers that listen without declaring a containerPort: each needs the sidecar all the same.
@pytest.mark.parametrize(
    ("container", "port"),
    [
        pytest.param({"args": ["--model", "meta-llama/Llama-3.1-8B"]}, 8000, id="vllm-image-entrypoint"),
        pytest.param({"command": ["vllm", "serve", "meta-llama/Llama-3.1-8B", "--port", "9000"]}, 9000, id="vllm-port"),
        pytest.param(
            {"command": ["sh", "-c", "exec python3 -m sglang.launch_server --model-path meta-llama/x"]},
            30000,
            id="sglang-in-a-shell",
        ),
        pytest.param(
            {"command": ["text-generation-launcher"], "env": [{"name": "PORT", "value": "3000"}]}, 3000, id="tgi-env"
        ),
        pytest.param({"readinessProbe": {"httpGet": {"path": "/health", "port": 7000}}}, 7000, id="probe"),
    ],
)
def test_server_without_container_port_gets_the_sidecar(container: dict[str, Any], port: int) -> None:
    app = restricted_container("app", "docker.io/vllm/vllm-openai:v0.6.3", **container)
    if "args" not in container and "command" not in container:
        app["image"] = "registry.acme.example/app:1"
    obj = deployment(name="srv", containers=[app])
    (v,) = fired(obj)
    assert v.path == "spec.template.spec.initContainers"
    result = review(obj, cluster_for(), request())
    (sidecar,) = result.mutated["spec"]["template"]["spec"]["initContainers"]
    assert f"--target=127.0.0.1:{port}" in sidecar["args"]
    assert [v.rule for v in result.evaluation.violations if v.rule == "MTLS001"] == []


def test_worker_that_listens_on_nothing_needs_no_sidecar() -> None:
    worker = restricted_container("worker", command=["python", "-m", "acme.queue_worker"])
    assert fired(deployment(name="worker", containers=[worker])) == []
