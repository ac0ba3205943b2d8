"""SRV003 allowed-model-sources — models load only from the tenant's allowed sources.

What it checks, against the Tenant's `spec.models.allowedSources` (prefixes; absent: no restriction):
- InferenceService `spec.predictor.storageUri`, `spec.predictor.model.storageUri`, the legacy framework
  fields (`spec.predictor.huggingface.storageUri`, …) and their `storage` blocks with a
  `parameters.bucket`; LLMInferenceService `spec.model.uri`; RayService `serveConfigV2` Ray Serve LLM
  `model_loading_config` (`model_source`, else `model_id`);
- in every container, the model its server names by the grammar of `servers.py` (vLLM `vllm serve <model>`
  with the model after options too, `--model`, `python -m vllm.entrypoints.openai.api_server`; SGLang
  `--model-path`; TGI `--model-id` and `MODEL_ID`; Triton `--model-repository`; KServe's
  huggingfaceserver `--model_id`/`--model_dir`), for `args` alone the grammar of the image's entrypoint
  (`vllm-openai`, `text-generation-inference`), inside `sh -c` scripts with their variables, after
  Kubernetes' `$(VAR)` expansion, from literal env values and from ConfigMaps known here; a flag of
  `settings.modelArgs` in any command; env `MODEL_ID`, `HF_MODEL_ID`, `STORAGE_URI` of any container.
  Served names (`--served-model-name`, `MODEL_NAME`) are not sources;
- a Hugging Face id is fetched from `HF_ENDPOINT` when the container sets it (`https://mirror/org/name`),
  and from ModelScope with `VLLM_USE_MODELSCOPE` (`modelscope://org/name`);
- a local path through the volume it lies on (`model_sources.py`): `pvc://<claim>/<path>`, `nfs://…`,
  `oci://<image>`, or the bucket of a CSI driver of `settings.modelVolumeSources`; a PVC mounted anywhere
  else (cache, checkpoints, scratch) is no model source;
- every CSI volume of a `settings.modelVolumeSources` driver (`s3.csi.aws.com`, `gcsfuse.csi.storage.gke.io`,
  `blob.csi.azure.com` by default), as the bucket it mounts.
Normalisation (`references.py`): URIs as written; a bare Hugging Face id (`meta-llama/Llama-3-8B`) is
`hf://meta-llama/Llama-3-8B`. Prefixes match on whole segments (`s3://acme-models` does not admit
`s3://acme-models-old/`). Sources that cannot be read are SRV008's warning, never a guess.

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
from tenantguard.policies.rules.serving.model_sources import Source, sources
from tenantguard.policies.rules.serving.references import has_prefix
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None or tenant.model_sources is None:
        return
    allowed = tenant.model_sources
    for found in sources(subject, ctx):
        if isinstance(found, Source) and not has_prefix(found.source, allowed):
            yield Finding(
                path=dotted(found.path),
                message=f"model source {found.source!r} ({found.via}) is not allowed for tenant "
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
        Example(
            object=_vllm("--model", "meta-llama/Llama-3.1-8B", env=[{"name": "MODEL_NAME", "value": "acme/bot-v2"}]),
            note="MODEL_NAME is a served name, not a source",
        ),
    ),
    denied=(
        Example(object=_isvc("s3://globex-models/ft-7b/"), note="another tenant's bucket"),
        Example(object=_vllm("--model", "s3://globex-models/ft-7b"), note="--model VALUE"),
        Example(object=_vllm("--model=mistralai/Mistral-7B-v0.3"), note="bare HF id outside hf://meta-llama/"),
        Example(object=_vllm(env=[{"name": "MODEL_ID", "value": "gs://public/x"}]), note="MODEL_ID env"),
        Example(object=_vllm("--dtype", "auto", "s3://globex-models/ft-7b"), note="positional, after options"),
        Example(
            object=_vllm(
                "--model", "meta-llama/Llama-3.1-8B", env=[{"name": "HF_ENDPOINT", "value": "https://x.example"}]
            ),
            note="an allowed id fetched from another host",
        ),
    ),
)
