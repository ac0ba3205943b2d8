"""MTLS-M: the native sidecar, the istio label, or nothing — once, and passing `restricted` itself."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tenantguard.policies.engine import context, mutate, review
from tenantguard.policies.model import Obj
from tenantguard.policies.patch import apply
from tenantguard.policies.rules.mtls import injection
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.policies.subjects import Subject
from tests.support.fixtures import cluster_for, deployment, pod, request, restricted_container

SIDECAR = "tenantguard-mtls"
IMAGE = "docker.io/ghostunnel/ghostunnel:v1.11.1-distroless"
NATIVE: dict[str, Any] | None = None
ISTIO = {"mtls": {"mode": "istio"}}
NONE = {"mtls": {"mode": "none"}}


def vllm(**extra: Any) -> Obj:
    return restricted_container(
        "vllm",
        "docker.io/vllm/vllm-openai:v0.6.3",
        ports=[{"containerPort": 8000}],
        args=["--model", "s3://acme-models/llama-3-8b"],
        **extra,
    )


def vllm_deployment(**spec: Any) -> Obj:
    return deployment(name="vllm", **{"containers": [vllm()], **spec})


ACME_META = {"namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}


def isvc(**predictor: Any) -> Obj:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", **ACME_META},
        "spec": {
            "predictor": {
                "model": {"modelFormat": {"name": "huggingface"}, "storageUri": "s3://acme-models/llama"},
                **predictor,
            }
        },
    }


def mutated(obj: Obj, tenant: dict[str, Any] | None = NATIVE) -> Obj:
    return mutate(obj, cluster_for(tenant), request()).mutated


def sidecars(spec: Obj) -> list[Obj]:
    return [c for c in spec.get("initContainers", []) if c["name"] == SIDECAR]


def test_native_deployment_gets_exactly_one_sidecar_and_volume() -> None:
    result = mutate(vllm_deployment(), cluster_for(), request())
    paths = [p["path"] for p in result.patches]
    assert paths == ["/spec/template/spec/initContainers", "/spec/template/spec/volumes"]
    spec = result.mutated["spec"]["template"]["spec"]
    (sidecar,) = sidecars(spec)
    assert sidecar["image"] == IMAGE
    assert sidecar["restartPolicy"] == "Always"
    assert sidecar["ports"] == [{"name": "mtls", "containerPort": 8443, "protocol": "TCP"}]
    assert sidecar["args"] == [
        "server", "--listen=:8443", "--target=127.0.0.1:8000",
        "--cert=/etc/tenantguard/tls/tls.crt", "--key=/etc/tenantguard/tls/tls.key",
        "--cacert=/etc/tenantguard/tls/ca.crt", "--allow-uri=spiffe://tenantguard.io/tenant/acme",
        "--allow-uri=spiffe://tenantguard.io/gateway/llm-gateway", "--timed-reload=30s",
    ]  # fmt: skip
    assert sidecar["volumeMounts"] == [
        {"name": "tenantguard-mtls-certs", "mountPath": "/etc/tenantguard/tls", "readOnly": True}
    ]
    assert set(sidecar["resources"]) == {"requests", "limits"}
    assert spec["volumes"] == [
        {"name": "tenantguard-mtls-certs", "secret": {"secretName": "tenantguard-workload-cert"}}
    ]
    assert [c["name"] for c in spec["containers"]] == ["vllm"]


def test_every_gateway_namespace_is_admitted() -> None:
    settings = replace(DEFAULT_SETTINGS, gateway_namespaces=("llm-gateway", "batch-gateway"))
    obj = mutate(vllm_deployment(), cluster_for(settings=settings), request()).mutated
    (sidecar,) = sidecars(obj["spec"]["template"]["spec"])
    assert [a for a in sidecar["args"] if a.startswith("--allow-")] == [
        "--allow-uri=spiffe://tenantguard.io/tenant/acme",
        "--allow-uri=spiffe://tenantguard.io/gateway/llm-gateway",
        "--allow-uri=spiffe://tenantguard.io/gateway/batch-gateway",
    ]


def test_no_gateway_namespaces_admit_the_tenant_alone() -> None:
    settings = replace(DEFAULT_SETTINGS, gateway_namespaces=())
    obj = mutate(vllm_deployment(), cluster_for(settings=settings), request()).mutated
    (sidecar,) = sidecars(obj["spec"]["template"]["spec"])
    assert [a for a in sidecar["args"] if a.startswith("--allow-")] == [
        "--allow-uri=spiffe://tenantguard.io/tenant/acme"
    ]


def test_sidecar_security_context_is_restricted() -> None:
    (sidecar,) = sidecars(mutated(vllm_deployment())["spec"]["template"]["spec"])
    assert sidecar["securityContext"] == {
        "runAsNonRoot": True, "runAsUser": 65532, "runAsGroup": 65532, "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }  # fmt: skip


def test_admission_review_of_injected_deployment_has_no_violation() -> None:
    result = review(vllm_deployment(), cluster_for(), request())
    assert result.patches
    assert [v.render() for v in result.evaluation.violations] == []
    assert not [v for v in result.evaluation.violations if v.rule.startswith("PSS")]


@pytest.mark.parametrize("tenant", [NATIVE, ISTIO], ids=["native", "istio"])
def test_mutating_twice_yields_no_patches(tenant: dict[str, Any] | None) -> None:
    once = mutated(vllm_deployment(), tenant)
    assert mutate(once, cluster_for(tenant), request()).patches == ()


def test_existing_init_containers_and_volumes_are_appended_to() -> None:
    init = restricted_container("fetch", "registry.acme.example/fetch:1")
    obj = vllm_deployment(initContainers=[init], volumes=[{"name": "cache", "emptyDir": {}}])
    result = mutate(obj, cluster_for(), request())
    assert [p["path"] for p in result.patches] == [
        "/spec/template/spec/initContainers/-",
        "/spec/template/spec/volumes/-",
    ]
    spec = result.mutated["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["fetch", SIDECAR]
    assert [v["name"] for v in spec["volumes"]] == ["cache", "tenantguard-mtls-certs"]


def test_existing_sidecar_by_name_is_left_alone() -> None:
    obj = vllm_deployment(initContainers=[{"name": SIDECAR, "image": "whatever"}])
    assert mutate(obj, cluster_for(), request()).patches == ()


def test_target_is_first_declared_port_of_any_app_container() -> None:
    obj = deployment(containers=[restricted_container("a"), vllm()])
    (sidecar,) = sidecars(mutated(obj)["spec"]["template"]["spec"])
    assert "--target=127.0.0.1:8000" in sidecar["args"]


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(deployment(), id="deployment-without-ports"),
        pytest.param(pod(), id="pod-without-ports"),
        pytest.param({**vllm_deployment(), "metadata": {"name": "vllm", "namespace": "team-x"}}, id="not-a-tenant"),
        pytest.param(
            {
                "apiVersion": "serving.kserve.io/v1alpha1",
                "kind": "ServingRuntime",
                "metadata": {"name": "vllm", **ACME_META},
                "spec": {"containers": [vllm()]},
            },
            id="servingruntime-no-init-containers",
        ),
    ],
)
def test_pods_that_need_no_mtls_get_nothing(obj: Obj) -> None:
    subject = Subject.of(obj)
    assert injection.mutate(subject, context(subject, cluster_for(), request())) == []


def test_none_mode_gets_nothing() -> None:
    assert mutate(vllm_deployment(), cluster_for(NONE), request()).patches == ()
    assert mutate(isvc(), cluster_for(NONE), request()).patches == ()


def test_istio_mode_labels_the_pod_template() -> None:
    result = mutate(vllm_deployment(), cluster_for(ISTIO), request())
    assert result.patches == (
        {"op": "add", "path": "/spec/template/metadata/labels/sidecar.istio.io~1inject", "value": "true"},
    )
    assert "initContainers" not in result.mutated["spec"]["template"]["spec"]


def test_istio_mode_creates_missing_template_metadata() -> None:
    """Alone, without TEN004-M (which adds template metadata first in admission)."""
    obj = vllm_deployment()
    del obj["spec"]["template"]["metadata"]
    subject = Subject.of(obj)
    ops = injection.mutate(subject, context(subject, cluster_for(ISTIO), request()))
    assert ops == [
        {
            "op": "add",
            "path": "/spec/template/metadata",
            "value": {"labels": {"sidecar.istio.io/inject": "true"}},
        }
    ]


def test_istio_mode_never_overwrites_an_opt_out() -> None:
    obj = pod(labels={"sidecar.istio.io/inject": "false"}, containers=[vllm()])
    assert mutate(obj, cluster_for(ISTIO), request()).patches == ()


def test_istio_mode_labels_inline_spec_objects_on_their_metadata() -> None:
    result = mutate(isvc(), cluster_for(ISTIO), request())
    label = "/metadata/labels/sidecar.istio.io~1inject"
    assert result.patches == ({"op": "add", "path": label, "value": "true"},)


def test_inference_service_gets_sidecar_in_predictor_init_containers() -> None:
    result = mutate(isvc(), cluster_for(), request())
    paths = [p["path"] for p in result.patches]
    assert paths == ["/spec/predictor/initContainers", "/spec/predictor/volumes"]
    (sidecar,) = sidecars(result.mutated["spec"]["predictor"])
    assert "--target=127.0.0.1:8080" in sidecar["args"], "KServe's default port when none is declared"
    assert mutate(result.mutated, cluster_for(), request()).patches == ()


def test_inference_service_target_follows_the_model_container_port() -> None:
    obj = isvc()
    obj["spec"]["predictor"]["model"]["ports"] = [{"containerPort": 8000}]
    (sidecar,) = sidecars(mutated(obj)["spec"]["predictor"])
    assert "--target=127.0.0.1:8000" in sidecar["args"]


def test_leader_worker_set_gets_a_sidecar_in_each_template() -> None:
    tpl = {"metadata": {"labels": {"tenantguard.io/tenant": "acme"}}, "spec": {"containers": [vllm()]}}
    obj = {
        "apiVersion": "leaderworkerset.x-k8s.io/v1",
        "kind": "LeaderWorkerSet",
        "metadata": {"name": "llm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"leaderWorkerTemplate": {"size": 2, "leaderTemplate": tpl, "workerTemplate": tpl}},
    }
    out = mutated(obj)["spec"]["leaderWorkerTemplate"]
    assert len(sidecars(out["leaderTemplate"]["spec"])) == 1
    assert len(sidecars(out["workerTemplate"]["spec"])) == 1


def test_patches_apply_to_the_raw_object() -> None:
    obj = vllm_deployment()
    result = mutate(obj, cluster_for(), request())
    assert apply(obj, result.patches) == result.mutated
    assert "initContainers" not in obj["spec"]["template"]["spec"], "the input is not modified"


def job(**spec: Any) -> Obj:
    tpl = deployment(name="batch", **{"containers": [vllm()], **spec})["spec"]["template"]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "batch", **ACME_META},
        "spec": {"template": {**tpl, "spec": {**tpl["spec"], "restartPolicy": "Never"}}},
    }


@pytest.mark.parametrize("obj", [pytest.param(pod(containers=[vllm()]), id="pod"), pytest.param(job(), id="job")])
def test_immutable_pod_templates_are_injected_on_create_only(obj: Obj) -> None:
    """An UPDATE adding initContainers to a Pod or a Job's template would be refused by the API server."""
    assert any("initContainers" in p["path"] for p in mutate(obj, cluster_for(), request()).patches)
    update = mutate(obj, cluster_for(), request("UPDATE", obj))
    assert [p for p in update.patches if "initContainers" in p["path"] or "volumes" in p["path"]] == []
