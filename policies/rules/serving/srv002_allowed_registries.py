"""SRV002 allowed-registries — every container image comes from one of the tenant's registries.

What it checks: the `image` of every container, init container and ephemeral container of every pod
spec (and of KServe's `spec.predictor.model` and framework containers), and the `image.reference` of every
image volume (KEP-4639: an OCI image mounted as a volume, how model weights ship as images), starts with an entry of the
Tenant's `spec.registries`, after Docker's normalisation (`vllm/vllm-openai:v0.6` is
`docker.io/vllm/vllm-openai:v0.6`, `nginx` is `docker.io/library/nginx`; see `references.py`). Prefixes
match on whole segments: `nvcr.io/nvidia` admits `nvcr.io/nvidia/tritonserver`, not `nvcr.io/nvidia-x/…`.
No `spec.registries`: no restriction. The platform's mTLS sidecar image is always allowed.

Why it matters: an image from an arbitrary registry runs unreviewed code next to the tenant's GPUs,
model weights and credentials; a serving image can also exfiltrate prompts.

Fix: pull the image through one of the tenant's registries (mirror it there), or ask the platform team
to add the registry to the Tenant's `spec.registries`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.serving.references import has_prefix, normalise_image, normalise_registry
from tenantguard.policies.subjects import Subject
from tenantguard.policies.visit import containers


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None or tenant.registries is None:
        return
    allowed = [normalise_registry(r) for r in tenant.registries]
    for pod in subject.pods:
        volumes = pod.spec.get("volumes")
        for i, volume in enumerate(volumes if isinstance(volumes, list) else ()):
            image = volume.get("image") if isinstance(volume, dict) else None
            reference = image.get("reference") if isinstance(image, dict) else None
            if isinstance(reference, str) and reference and not has_prefix(normalise_image(reference), allowed):
                yield Finding(
                    path=dotted((*pod.path, "volumes", i, "image", "reference")),
                    message=f"image volume {volume.get('name')!r} mounts {reference!r}, which is not from a "
                    f"registry of tenant {tenant.name!r} — allowed: {', '.join(allowed) or '(none)'}",
                )
        for ref in containers(pod):
            image = ref.container.get("image")
            if not isinstance(image, str) or not image or image == ctx.settings.mtls.image:
                continue
            full = normalise_image(image)
            if has_prefix(full, allowed):
                continue
            shown = repr(image) if full == image else f"{image!r} ({full})"
            yield Finding(
                path=dotted((*ref.path, "image")),
                message=f"image {shown} of container {ref.name!r} is not from a registry of tenant "
                f"{tenant.name!r} — allowed: {', '.join(allowed) or '(none)'}",
            )


def _pod(*images: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"containers": [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]},
    }


RULE = Rule(
    id="SRV002",
    slug="allowed-registries",
    title="Container images come from the tenant's registries",
    category=Category.SERVING,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="use an image from one of the tenant's registries (spec.registries of the Tenant)",
    why="Images from unreviewed registries run arbitrary code beside the tenant's GPUs, models and secrets.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_pod("registry.acme.example/vllm:0.6", "nvcr.io/nvidia/tritonserver:24.08-py3")),
        Example(object=_pod("vllm/vllm-openai:v0.6.3"), note="Docker Hub short form, normalised"),
        Example(object=_pod("quay.io/anything:1"), tenant={"registries": None}, note="no restriction"),
    ),
    denied=(
        Example(object=_pod("quay.io/evil/miner:1"), note="another registry"),
        Example(object=_pod("nginx:1.27"), note="docker.io/library/nginx"),
        Example(object=_pod("nvcr.io/nvidia-evil/x:1"), note="look-alike organisation"),
        Example(
            object={
                **_pod("registry.acme.example/vllm:0.6"),
                "spec": {
                    "containers": [{"name": "c0", "image": "registry.acme.example/vllm:0.6"}],
                    "volumes": [{"name": "weights", "image": {"reference": "quay.io/globex/ft-7b:1"}}],
                },
            },
            note="an image volume from another registry",
        ),
    ),
)
