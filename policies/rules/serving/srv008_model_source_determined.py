"""SRV008 model-source-determined — where each model server loads its model from can be read from the manifest.

What it checks, where SRV003 reads model sources (see its docstring), every place whose source cannot be
determined without guessing:
- a model named through an env var whose value is not in the manifest: `valueFrom` a Secret or a field, a
  `configMapKeyRef` or `envFrom` ConfigMap that is not known here (lint resolves ConfigMaps that are among
  its inputs; the webhook and the audit see one object at a time), a shell variable the image may set;
- `HF_ENDPOINT` (the host Hugging Face ids are downloaded from) set the same way;
- a model path on an emptyDir, a generic ephemeral volume, a `hostPath` or a CSI volume of a driver that
  is not in `settings.modelVolumeSources`: what fills it is not in the manifest;
- a CSI volume of a listed driver without the attributes that name its bucket; a KServe `storage` block
  that names only a storage-config Secret `key`; a RayService `serveConfigV2` that is not YAML;
- a container running a known model server (see `servers.py`) that names no model this policy can read.
Only tenants with `spec.models.allowedSources` are judged. It is a warning, never a denial: the object
may well be fine, but no admission decision about its model was made.

Why it matters: SRV003 can only deny what it can read. A tenant who moves the model name into a Secret or
an unknown ConfigMap, or has an init container fill an emptyDir, would otherwise pass in silence.

Fix: name the model literally (`--model s3://…`, `storageUri`) or through a literal env value, or keep the
ConfigMap beside the workload in the files you lint; mount models from a PVC or a listed bucket driver.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.serving.model_sources import Undetermined, sources
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None or tenant.model_sources is None:
        return
    seen: set[tuple[str, str]] = set()
    for found in sources(subject, ctx):
        if isinstance(found, Undetermined):
            finding = Finding(path=dotted(found.path), message=f"model source not determined: {found.why}")
            if (finding.path, finding.message) not in seen:
                seen.add((finding.path, finding.message))
                yield finding


def _vllm(*args: str, **extra: Any) -> dict[str, Any]:
    container = {"name": "vllm", "image": "docker.io/vllm/vllm-openai:v0.6.3", "args": list(args), **extra}
    meta = {"name": "vllm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": [container]}}


def _with_volume(pod: dict[str, Any], volume: dict[str, Any]) -> dict[str, Any]:
    return {**pod, "spec": {**pod["spec"], "volumes": [volume]}}


_FROM_SECRET = [{"name": "MODEL", "valueFrom": {"secretKeyRef": {"name": "m", "key": "model"}}}]

RULE = Rule(
    id="SRV008",
    slug="model-source-determined",
    title="Where a model server loads its model from is in the manifest",
    category=Category.SERVING,
    severity=Severity.WARNING,
    pod_templates=True,
    fix="name the model literally (args, storageUri or a literal env value), or lint the ConfigMap with the workload",
    why="A model source that cannot be read cannot be checked against the tenant's allowed sources.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_vllm("--model", "s3://acme-models/llama/"), note="a literal source"),
        Example(object=_vllm("--model", "$(MODEL)", env=_FROM_SECRET), tenant={"models": None}, note="no rules"),
    ),
    denied=(
        Example(object=_vllm("--model", "$(MODEL)", env=_FROM_SECRET), note="from a Secret: warned"),
        Example(
            object=_with_volume(
                _vllm("--model", "/models/llama", volumeMounts=[{"name": "m", "mountPath": "/models"}]),
                {"name": "m", "emptyDir": {}},
            ),
            note="a model on an emptyDir",
        ),
    ),
)
