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
        pytest.param(server(args=["--model=/models/llama"]), None, id="local-path-is-not-a-source"),
        pytest.param(server(env=[{"name": "MODEL_NAME", "value": "llama3"}]), None, id="served-name-env"),
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


def test_pvc_volume_counts_as_pvc_source() -> None:
    obj = deployment(volumes=[{"name": "m", "persistentVolumeClaim": {"claimName": "globex-weights"}}])
    (v,) = fired(obj, {"models": {"allowedSources": ["pvc://acme-"]}})
    assert v.path == "spec.template.spec.volumes[0].persistentVolumeClaim.claimName"
    assert "'pvc://globex-weights' (a volume)" in v.message


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
