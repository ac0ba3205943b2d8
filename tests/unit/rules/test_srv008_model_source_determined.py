"""SRV008 model-source-determined: a model SRV003 cannot read is warned about, never guessed."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Mode, Obj, Violation
from tests.support.fixtures import cluster_for, pod, request, restricted_container

FROM_CM = [{"name": "MODEL", "valueFrom": {"configMapKeyRef": {"name": "serving", "key": "model"}}}]


def fired(obj: Obj, tenant: dict[str, Any] | None = None, *config_maps: Obj) -> list[Violation]:
    cluster = cluster_for(tenant)
    for cm in config_maps:
        cluster.put_config_map(cm)
    return [v for v in evaluate(obj, cluster, request()).violations if v.rule in ("SRV003", "SRV008")]


def server(**fields: Any) -> Obj:
    return pod(containers=[restricted_container("vllm", "docker.io/vllm/vllm-openai:v0.6.3", **fields)])


def config_map(model: str) -> Obj:
    meta = {"name": "serving", "namespace": "acme-prod"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"model": model}}


@pytest.mark.parametrize(
    ("obj", "path", "why"),
    [
        pytest.param(
            server(args=["--model", "$(MODEL)"], env=FROM_CM),
            "spec.containers[0].args[1]",
            "$(MODEL) comes from ConfigMap 'serving' key 'model', which is not known here",
            id="configmap-key-ref",
        ),
        pytest.param(
            server(
                args=["--model", "$(MODEL)"],
                env=[{"name": "MODEL", "valueFrom": {"secretKeyRef": {"name": "s", "key": "m"}}}],
            ),
            "spec.containers[0].args[1]",
            "$(MODEL) comes from secretKeyRef, whose value is only known when the pod runs",
            id="secret-key-ref",
        ),
        pytest.param(
            server(command=["sh", "-c", "vllm serve $MODEL"], envFrom=[{"configMapRef": {"name": "serving"}}]),
            "spec.containers[0].command[2]",
            "$MODEL may come from envFrom ConfigMap 'serving', which is not known here",
            id="env-from-configmap",
        ),
        pytest.param(
            server(command=["sh", "-c", "vllm serve $MODEL"]),
            "spec.containers[0].command[2]",
            "$MODEL is not set in the manifest (the image may set it)",
            id="shell-variable-the-image-may-set",
        ),
        pytest.param(
            server(command=["text-generation-launcher"], envFrom=[{"secretRef": {"name": "tgi"}}]),
            "spec.containers[0].envFrom[0]",
            "env MODEL_ID of container 'vllm' may come from envFrom Secret 'tgi', whose values are never read",
            id="tgi-model-id-from-env-from",
        ),
        pytest.param(
            server(args=["--model", "meta-llama/Llama-3.1-8B"], envFrom=[{"configMapRef": {"name": "proxy"}}]),
            "spec.containers[0].envFrom[0]",
            "HF_ENDPOINT, the host the model is fetched from, comes from envFrom ConfigMap 'proxy'",
            id="hf-endpoint-may-come-from-env-from",
        ),
        pytest.param(
            server(args=["--port", "8000"]),
            "spec.containers[0].args",
            "container 'vllm' runs vllm serve but names no model this policy can read",
            id="server-names-no-model",
        ),
        pytest.param(
            {
                **pod(),
                "spec": {
                    "containers": [
                        restricted_container(
                            "vllm",
                            command=["vllm", "serve", "/models/llama"],
                            volumeMounts=[{"name": "m", "mountPath": "/models"}],
                        )
                    ],
                    "volumes": [{"name": "m", "emptyDir": {}}],
                },
            },
            "spec.containers[0].command[2]",
            "the model is on emptyDir volume 'm'; what fills it is not in the manifest",
            id="model-on-an-emptydir",
        ),
        pytest.param(
            {**pod(), "spec": {**pod()["spec"], "volumes": [{"name": "b", "csi": {"driver": "s3.csi.aws.com"}}]}},
            "spec.volumes[0].csi",
            "CSI volume 'b': its volumeAttributes lack bucketName",
            id="csi-without-bucket",
        ),
    ],
)
def test_undetermined_sources_warn(obj: Obj, path: str, why: str) -> None:
    (v,) = fired(obj)
    assert (v.rule, v.mode, v.path) == ("SRV008", Mode.WARN, path)
    assert v.message.startswith("model source not determined: ")
    assert why in v.message


def test_known_configmap_is_resolved_and_judged() -> None:
    obj = server(args=["--model", "$(MODEL)"], env=FROM_CM)
    (v,) = fired(obj, None, config_map("s3://globex-models/ft"))
    assert (v.rule, v.path) == ("SRV003", "spec.containers[0].args[1]")
    assert "'s3://globex-models/ft'" in v.message
    assert fired(obj, None, config_map("s3://acme-models/llama/")) == []


def test_known_env_from_configmap_is_resolved() -> None:
    obj = server(command=["sh", "-c", "vllm serve $MODEL"], envFrom=[{"configMapRef": {"name": "serving"}}])
    cm = {**config_map(""), "data": {"MODEL": "s3://globex-models/x"}}
    (v,) = fired(obj, None, cm)
    assert v.rule == "SRV003" and "'s3://globex-models/x'" in v.message


def test_no_allowed_sources_no_warning() -> None:
    assert fired(server(args=["--model", "$(MODEL)"], env=FROM_CM), {"models": None}) == []
