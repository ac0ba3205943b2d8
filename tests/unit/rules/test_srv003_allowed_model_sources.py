"""SRV003 allowed-model-sources: storageUri, model URIs, --model args, model env vars and PVCs."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, deployment, pod, request, restricted_container

ACME_META = {"namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}


def fired(obj: Obj, tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(tenant), request()).violations if v.rule == "SRV003"]


def server(**fields: Any) -> Obj:
    return pod(containers=[restricted_container("vllm", "docker.io/vllm/vllm-openai:v0.6.3", **fields)])


def isvc(**predictor: Any) -> Obj:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", **ACME_META},
        "spec": {"predictor": predictor},
    }


def llmisvc(uri: str) -> Obj:
    return {
        "apiVersion": "serving.kserve.io/v1alpha2",
        "kind": "LLMInferenceService",
        "metadata": {"name": "llm", **ACME_META},
        "spec": {"model": {"uri": uri}, "template": {"containers": [{"name": "main"}]}},
    }


HF_MODEL = {"modelFormat": {"name": "huggingface"}}
NO_SLASH = {"models": {"allowedSources": ["s3://acme-models"]}}


@pytest.mark.parametrize(
    ("obj", "tenant"),
    [
        pytest.param(isvc(model={**HF_MODEL, "storageUri": "s3://acme-models/llama/"}), None, id="isvc-model"),
        pytest.param(isvc(huggingface={"storageUri": "hf://meta-llama/Llama-3.1-8B"}), None, id="isvc-legacy"),
        pytest.param(llmisvc("hf://meta-llama/Llama-3.1-8B"), None, id="llmisvc"),
        pytest.param(server(args=["--model", "meta-llama/Llama-3.1-8B-Instruct"]), None, id="bare-hf-id"),
        pytest.param(server(args=["--model=/models/llama"]), None, id="path-in-the-image-is-not-a-source"),
        pytest.param(server(env=[{"name": "MODEL_NAME", "value": "llama3"}]), None, id="served-name-env"),
        pytest.param(
            server(args=["--model", "meta-llama/Llama-3.1-8B"], env=[{"name": "MODEL_NAME", "value": "acme/bot-v2"}]),
            None,
            id="served-name-with-a-slash",
        ),
        pytest.param(
            server(args=["meta-llama/Llama-3.1-8B", "--served-model-name", "acme/support-bot-v2"]),
            None,
            id="served-model-name-flag-with-a-slash",
        ),
        pytest.param(server(args=["--served-model-name", "globex/x"]), None, id="not-a-model-flag"),
        pytest.param(
            pod(volumes=[{"name": "m", "persistentVolumeClaim": {"claimName": "weights"}}]),
            None,
            id="pvc-allowed-by-pvc-prefix",
        ),
        pytest.param(server(args=["--model", "s3://anything/x"]), {"models": None}, id="no-restriction"),
        pytest.param(server(args=["--model", "s3://acme-models/x"]), NO_SLASH, id="prefix-without-slash"),
    ],
)
def test_allowed(obj: Obj, tenant: dict[str, Any] | None) -> None:
    assert fired(obj, tenant) == []


@pytest.mark.parametrize(
    ("obj", "path", "source"),
    [
        pytest.param(
            isvc(model={**HF_MODEL, "storageUri": "s3://globex-models/ft/"}),
            "spec.predictor.model.storageUri",
            "s3://globex-models/ft/",
            id="isvc-model",
        ),
        pytest.param(
            isvc(storageUri="gs://public/x"),
            "spec.predictor.storageUri",
            "gs://public/x",
            id="isvc-predictor",
        ),
        pytest.param(
            isvc(pytorch={"storageUri": "s3://globex-models/x"}),
            "spec.predictor.pytorch.storageUri",
            "s3://globex-models/x",
            id="isvc-legacy-framework",
        ),
        pytest.param(llmisvc("hf://mistralai/Mistral-7B"), "spec.model.uri", "hf://mistralai/Mistral-7B", id="llmisvc"),
        pytest.param(
            server(args=["--model", "s3://globex-models/x"]),
            "spec.containers[0].args[1]",
            "s3://globex-models/x",
            id="flag-then-value",
        ),
        pytest.param(
            server(args=["--model=s3://globex-models/x"]),
            "spec.containers[0].args[0]",
            "s3://globex-models/x",
            id="flag-equals-value",
        ),
        pytest.param(
            server(args=["--model", "mistralai/Mistral-7B"]),
            "spec.containers[0].args[1]",
            "hf://mistralai/Mistral-7B",
            id="bare-hf-id",
        ),
        pytest.param(server(args=["--model", "gpt2"]), "spec.containers[0].args[1]", "hf://gpt2", id="bare-hf-name"),
        pytest.param(
            server(args=["--tokenizer", "s3://globex-models/tok"]),
            "spec.containers[0].args[1]",
            "s3://globex-models/tok",
            id="tokenizer-flag",
        ),
        pytest.param(
            server(command=["vllm", "serve", "s3://globex-models/x"]),
            "spec.containers[0].command[2]",
            "s3://globex-models/x",
            id="vllm-serve-positional",
        ),
        pytest.param(
            server(command=["sh", "-c", "exec vllm serve --port 8000 --model 's3://globex-models/x'"]),
            "spec.containers[0].command[2]",
            "s3://globex-models/x",
            id="shell-string",
        ),
        pytest.param(
            server(
                command=["python3", "-m", "vllm.entrypoints.openai.api_server"],
                args=["--model", "$(MODEL)"],
                env=[{"name": "MODEL", "value": "s3://globex-models/x"}],
            ),
            "spec.containers[0].args[1]",
            "s3://globex-models/x",
            id="env-expansion",
        ),
        pytest.param(
            server(env=[{"name": "MODEL_ID", "value": "mistralai/Mistral-7B"}]),
            "spec.containers[0].env[0].value",
            "hf://mistralai/Mistral-7B",
            id="env-MODEL_ID",
        ),
        pytest.param(
            server(env=[{"name": "STORAGE_URI", "value": "s3://globex-models/x"}]),
            "spec.containers[0].env[0].value",
            "s3://globex-models/x",
            id="env-STORAGE_URI",
        ),
    ],
)
def test_denied(obj: Obj, path: str, source: str) -> None:
    (v,) = fired(obj)
    assert v.path == path
    assert f"model source {source!r}" in v.message
    assert "not allowed for tenant 'acme' — allowed: s3://acme-models/, pvc://, hf://meta-llama/" in v.message


def test_prefix_matches_whole_segments_only() -> None:
    (v,) = fired(server(args=["--model", "s3://acme-models-old/x"]), NO_SLASH)
    assert "'s3://acme-models-old/x'" in v.message


def test_message_names_where_the_source_came_from() -> None:
    (v,) = fired(server(args=["--model", "s3://globex-models/x"]))
    assert "(--model of container 'vllm')" in v.message


def test_every_source_is_reported() -> None:
    obj = server(
        args=["--model", "s3://globex-models/a", "--tokenizer", "s3://globex-models/b"],
        env=[{"name": "MODEL_ID", "value": "gs://x/y"}],
    )
    assert [v.path for v in fired(obj)] == [
        "spec.containers[0].args[1]",
        "spec.containers[0].args[3]",
        "spec.containers[0].env[0].value",
    ]


BUCKET = {"bucketName": "globex-models"}
S3_ONLY = {"models": {"allowedSources": ["s3://acme-models/"]}}
GLOBEX = "s3://globex-models/ft-7b"


def with_volumes(obj: Obj, *volumes: Obj) -> Obj:
    spec = obj["spec"]["template"]["spec"] if obj["kind"] != "Pod" else obj["spec"]
    spec["volumes"] = list(volumes)
    return obj


def statefulset(**container: Any) -> Obj:
    dep = deployment(containers=[restricted_container("trainer", **container)])
    return {
        **dep,
        "kind": "StatefulSet",
        "spec": {
            **dep["spec"],
            "serviceName": "trainer",
            "volumeClaimTemplates": [{"metadata": {"name": "ckpt"}, "spec": {"accessModes": ["ReadWriteOnce"]}}],
        },
    }


# The attacks: each names another tenant's model (or another host) where SRV003 used to look away.
@pytest.mark.parametrize(
    ("obj", "path", "source"),
    [
        pytest.param(
            server(command=["vllm", "serve", "--dtype", "auto", GLOBEX]),
            "spec.containers[0].command[4]",
            GLOBEX,
            id="vllm-positional-after-options",
        ),
        pytest.param(
            server(command=["vllm", "serve", "--trust-remote-code", GLOBEX, "--port", "8000"]),
            "spec.containers[0].command[3]",
            GLOBEX,
            id="vllm-positional-after-a-switch",
        ),
        pytest.param(
            server(args=["--tensor-parallel-size", "2", GLOBEX]),
            "spec.containers[0].args[2]",
            GLOBEX,
            id="vllm-image-entrypoint-positional",
        ),
        pytest.param(
            server(command=["python3", "-m", "vllm.entrypoints.openai.api_server"], args=["--model", GLOBEX]),
            "spec.containers[0].args[1]",
            GLOBEX,
            id="python-m-vllm",
        ),
        pytest.param(
            server(command=["python", "-u", "-m", "sglang.launch_server", "--model-path", GLOBEX]),
            "spec.containers[0].command[5]",
            GLOBEX,
            id="python-m-sglang",
        ),
        pytest.param(
            server(command=["/bin/sh", "-c", f"M={GLOBEX}; exec vllm serve --dtype auto $M"]),
            "spec.containers[0].command[2]",
            GLOBEX,
            id="shell-variable",
        ),
        pytest.param(
            server(command=["bash", "-ec", "vllm serve ${MODEL}"], env=[{"name": "MODEL", "value": GLOBEX}]),
            "spec.containers[0].command[2]",
            GLOBEX,
            id="shell-variable-from-env",
        ),
        pytest.param(
            server(
                command=["text-generation-launcher"],
                env=[{"name": "MODEL_ID", "value": "mistralai/Mistral-7B"}],
            ),
            "spec.containers[0].env[0].value",
            "hf://mistralai/Mistral-7B",
            id="tgi-model-id-env",
        ),
        pytest.param(
            server(command=["tritonserver", "--model-repository=gs://globex-models/repo"]),
            "spec.containers[0].command[1]",
            "gs://globex-models/repo",
            id="triton-model-repository",
        ),
        pytest.param(
            server(
                args=["--model", "meta-llama/Llama-3.1-8B"],
                env=[{"name": "HF_ENDPOINT", "value": "https://hf.mirror.example"}],
            ),
            "spec.containers[0].args[1]",
            "https://hf.mirror.example/meta-llama/Llama-3.1-8B",
            id="hf-endpoint-redirect",
        ),
        pytest.param(
            server(args=["--model", "meta-llama/Llama-3.1-8B"], env=[{"name": "VLLM_USE_MODELSCOPE", "value": "True"}]),
            "spec.containers[0].args[1]",
            "modelscope://meta-llama/Llama-3.1-8B",
            id="modelscope",
        ),
        pytest.param(
            with_volumes(
                pod(),
                {"name": "b", "csi": {"driver": "s3.csi.aws.com", "volumeAttributes": {"bucketName": "globex-models"}}},
            ),
            "spec.volumes[0].csi.volumeAttributes.bucketName",
            "s3://globex-models/",
            id="csi-inline-bucket",
        ),
        pytest.param(
            isvc(model={**HF_MODEL, "storage": {"key": "s3", "path": "ft", "parameters": {"bucket": "globex-models"}}}),
            "spec.predictor.model.storage.parameters.bucket",
            "s3://globex-models/ft",
            id="kserve-storage-block",
        ),
    ],
)
def test_attacks_are_denied(obj: Obj, path: str, source: str) -> None:
    (v,) = fired(obj)
    assert v.path == path
    assert f"model source {source!r}" in v.message


def test_model_path_on_a_pvc_is_that_pvc() -> None:
    obj = with_volumes(
        server(args=["--model", "/mnt/models/llama"], volumeMounts=[{"name": "m", "mountPath": "/mnt/models"}]),
        {"name": "m", "persistentVolumeClaim": {"claimName": "globex-weights"}},
    )
    (v,) = fired(obj, {"models": {"allowedSources": ["pvc://acme-"]}})
    assert v.path == "spec.containers[0].args[1]"
    assert (
        "model source 'pvc://globex-weights/llama' (--model of container 'vllm', path '/mnt/models/llama' on "
        in v.message
    )


def test_image_volume_at_the_model_path_is_an_oci_source() -> None:
    obj = with_volumes(
        server(args=["--model", "/models"], volumeMounts=[{"name": "m", "mountPath": "/models"}]),
        {"name": "m", "image": {"reference": "quay.io/globex/ft-7b:1"}},
    )
    (v,) = fired(obj)
    assert "model source 'oci://quay.io/globex/ft-7b:1'" in v.message


# The false denials: legitimate serving that must pass.
def test_checkpoint_pvc_of_a_statefulset_is_no_model_source() -> None:
    sts = statefulset(volumeMounts=[{"name": "ckpt", "mountPath": "/checkpoints"}])
    assert fired(sts, S3_ONLY) == []
    # ... nor are the pods the StatefulSet controller makes from it.
    pod_of_sts = with_volumes(
        pod(containers=[restricted_container("trainer", volumeMounts=[{"name": "ckpt", "mountPath": "/checkpoints"}])]),
        {"name": "ckpt", "persistentVolumeClaim": {"claimName": "ckpt-app-0"}},
    )
    assert fired(pod_of_sts, S3_ONLY) == []


def test_cache_pvc_beside_an_s3_model_is_no_model_source() -> None:
    obj = with_volumes(
        server(
            args=["--model", "s3://acme-models/llama/"],
            volumeMounts=[{"name": "cache", "mountPath": "/root/.cache/huggingface"}],
        ),
        {"name": "cache", "persistentVolumeClaim": {"claimName": "hf-cache"}},
    )
    assert fired(obj, S3_ONLY) == []


def test_path_relative_to_working_dir_is_a_path_not_a_hub_id() -> None:
    obj = with_volumes(
        server(
            workingDir="/srv",
            args=["--model", "models/llama"],
            volumeMounts=[{"name": "w", "mountPath": "/srv/models"}],
        ),
        {"name": "w", "persistentVolumeClaim": {"claimName": "acme-weights"}},
    )
    assert fired(obj, {"models": {"allowedSources": ["pvc://acme-weights"]}}) == []


def test_hub_mirror_listed_by_the_tenant_is_allowed() -> None:
    obj = server(
        args=["--model", "meta-llama/Llama-3.1-8B"],
        env=[{"name": "HF_ENDPOINT", "value": "https://hf.acme.example"}],
    )
    assert fired(obj, {"models": {"allowedSources": ["https://hf.acme.example/meta-llama/"]}}) == []
