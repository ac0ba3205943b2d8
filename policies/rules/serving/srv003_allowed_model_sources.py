"""SRV003 allowed-model-sources — models load only from the tenant's allowed sources.

What it checks, against the Tenant's `spec.models.allowedSources` (prefixes; absent: no restriction):
- InferenceService `spec.predictor.storageUri`, `spec.predictor.model.storageUri` and the legacy framework
  fields (`spec.predictor.huggingface.storageUri`, …); LLMInferenceService `spec.model.uri`;
- in every container: the value after a model flag of `settings.modelArgs` in `command`/`args`
  (`--model s3://…`, `--model=s3://…`, also inside `sh -c "…"` strings and after `$(VAR)` expansion from
  the container's literal env), and `vllm serve <model>`; env `MODEL_ID`, `MODEL_NAME`, `STORAGE_URI`
  when they hold a URI or an `org/name` model id;
- every PersistentVolumeClaim volume, as `pvc://<claimName>`.
Normalisation (`references.py`): URIs as written; a bare Hugging Face id (`meta-llama/Llama-3-8B`) is
`hf://meta-llama/Llama-3-8B`; local paths are not sources (their volume is). Prefixes match on whole
segments (`s3://acme-models` does not admit `s3://acme-models-old/`).

Why it matters: a model path is the one field that lets a tenant load another tenant's fine-tuned
weights from shared storage, or an unvetted model from the internet onto the platform's GPUs.

Fix: load the model from one of the tenant's allowed sources, or ask the platform team to extend
`spec.models.allowedSources`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.serving.model_sources import sources
from tenantguard.policies.rules.serving.references import has_prefix
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None or tenant.model_sources is None:
        return
    allowed = tenant.model_sources
    for path, source, via in sources(subject, ctx):
        if not has_prefix(source, allowed):
            yield Finding(
                path=dotted(path),
                message=f"model source {source!r} ({via}) is not allowed for tenant "
                f"{tenant.name!r} — allowed: {', '.join(allowed) or '(none)'}",
            )


_META = {"namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}


def _vllm(*args: str, **extra: Any) -> dict[str, Any]:
    container = {"name": "vllm", "image": "docker.io/vllm/vllm-openai:v0.6.3", "args": list(args), **extra}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "vllm", **_META},
        "spec": {"containers": [container]},
    }


def _isvc(uri: str) -> dict[str, Any]:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", **_META},
        "spec": {"predictor": {"model": {"modelFormat": {"name": "huggingface"}, "storageUri": uri}}},
    }


RULE = Rule(
    id="SRV003",
    slug="allowed-model-sources",
    title="Models load only from the tenant's allowed sources",
    category=Category.SERVING,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="load the model from one of the tenant's allowed sources (spec.models.allowedSources of the Tenant)",
    why="The model path is how one tenant would load another tenant's weights from shared storage.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_isvc("s3://acme-models/llama-3-8b/")),
        Example(object=_vllm("--model", "meta-llama/Llama-3.1-8B-Instruct"), note="hf://meta-llama/"),
        Example(object=_vllm("--model=s3://anything/x"), tenant={"models": None}, note="no restriction"),
    ),
    denied=(
        Example(object=_isvc("s3://globex-models/ft-7b/"), note="another tenant's bucket"),
        Example(object=_vllm("--model", "s3://globex-models/ft-7b"), note="--model VALUE"),
        Example(object=_vllm("--model=mistralai/Mistral-7B-v0.3"), note="bare HF id outside hf://meta-llama/"),
        Example(object=_vllm(env=[{"name": "MODEL_ID", "value": "gs://public/x"}]), note="MODEL_ID env"),
    ),
)
