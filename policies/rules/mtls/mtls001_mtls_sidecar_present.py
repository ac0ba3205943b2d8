"""MTLS001 mtls-sidecar-present — every pod that serves traffic speaks mTLS, and tenants cannot opt out.

What it checks: for each pod that needs mTLS (any pod of a model-serving kind, and any pod that listens:
a declared container port, a probe on a port, or a model server of the CLI table, which listens whether or
not it declares a port; on UPDATE also a pod that had the sidecar; see `sidecar.py`):
- tenant mTLS mode `native`: `initContainers` holds the sidecar (`settings.mtls.containerName`, default
  `tenantguard-mtls`) with `restartPolicy: Always`;
- mode `istio`: the pod labels carry `sidecar.istio.io/inject: "true"` (pod template labels; the object's
  labels for inline pod specs), unless the namespace enables injection (`istio-injection=enabled` or
  `istio.io/rev`, seen by the webhook and the audit, not by lint);
- any mode but `none`: no opt-out — `sidecar.istio.io/inject: "false"` as label or annotation (a mesh may
  run beside the native sidecar), or the annotation `tenantguard.io/mtls` with a value but `enabled`.
UPDATEs of Pods and Jobs are not judged: their pod spec is fixed at creation (the audit still reports it).

Why it matters: model endpoints carry prompts and completions. Without the sidecar a pod answers plain
text to anyone who can reach it, and a NetworkPolicy mistake becomes a data leak between tenants.

Fix: let the webhook inject the sidecar or label (it does on create and update); remove opt-out labels
and annotations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import Path, dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.mtls.injection import ISTIO_LABEL, label_sites
from tenantguard.policies.rules.mtls.sidecar import needs_mtls, settled, sidecar_ref
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.policies.subjects import Subject

OPT_OUT = "tenantguard.io/mtls"


def _istio_enabled_for_namespace(subject: Subject, ctx: Context) -> bool:
    labels = ctx.cluster.namespace_labels(subject.namespace) or {}
    return labels.get("istio-injection") == "enabled" or "istio.io/rev" in labels


def _opt_outs(path: Path, meta: Any, tenant: str, mode: str) -> Iterator[Finding]:
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    annotations = annotations if isinstance(annotations, dict) else {}
    labels = meta.get("labels") if isinstance(meta, dict) else None
    label = labels.get(ISTIO_LABEL) if isinstance(labels, dict) else None
    if (value := annotations.get(OPT_OUT, "enabled")) != "enabled":
        yield Finding(
            path=dotted((*path, "annotations", OPT_OUT)),
            message=f"mTLS cannot be turned off for tenant {tenant!r} (it is {value!r})",
        )
    mesh_opt_out = "opting out of the mesh sidecar is not allowed"
    if annotations.get(ISTIO_LABEL) == "false":
        yield Finding(path=dotted((*path, "annotations", ISTIO_LABEL)), message=mesh_opt_out)
    if label == "false" and mode == "native":
        yield Finding(path=dotted((*path, "labels", ISTIO_LABEL)), message=mesh_opt_out)


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None or tenant.mtls_mode == "none" or settled(subject, ctx.operation):
        return
    name = ctx.settings.mtls.container_name
    old = ctx.old if ctx.operation == "UPDATE" else None
    pods = [p for p in subject.pods if needs_mtls(subject, p, name, old)]
    for path, meta in label_sites(subject, pods):
        yield from _opt_outs(path, meta, tenant.name, tenant.mtls_mode)
        if tenant.mtls_mode != "istio":
            continue
        labels = meta.get("labels") if isinstance(meta, dict) else None
        label = labels.get(ISTIO_LABEL) if isinstance(labels, dict) else None
        if label == "true" or (label is None and _istio_enabled_for_namespace(subject, ctx)):
            continue
        got = f"is {label!r}" if label is not None else "is missing"
        yield Finding(
            path=dotted((*path, "labels", ISTIO_LABEL)),
            message=f"tenant {tenant.name!r} uses istio mTLS; injection label {got}, not 'true'",
        )
    if tenant.mtls_mode != "native":
        return
    for pod in pods:
        ref = sidecar_ref(pod, name)
        if ref is None:
            yield Finding(
                path=dotted((*pod.path, "initContainers")),
                message=f"the mTLS sidecar {name!r} is missing; this pod would serve plain text",
            )
        elif ref.container.get("restartPolicy") != "Always":
            yield Finding(
                path=dotted((*ref.path, "restartPolicy")),
                message=f"the mTLS sidecar {name!r} must be native (restartPolicy Always)",
            )


def _pod(
    ns: str,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    init: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    app = {"name": "vllm", "image": "docker.io/vllm/vllm-openai:v0.6.3", "ports": [{"containerPort": 8000}]}
    spec: dict[str, object] = {"containers": [app]}
    if init is not None:
        spec["initContainers"] = init
    tenant = ns.split("-")[0]
    meta = {
        "name": "vllm",
        "namespace": ns,
        "labels": {"tenantguard.io/tenant": tenant, **labels},
        "annotations": annotations or {},
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


_SIDECAR: dict[str, object] = {
    "name": "tenantguard-mtls",
    "image": DEFAULT_SETTINGS.mtls.image,
    "restartPolicy": "Always",
}

RULE = Rule(
    id="MTLS001",
    slug="mtls-sidecar-present",
    title="Pods that serve traffic run the mTLS sidecar or carry the mesh injection label",
    category=Category.MTLS,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="let the webhook inject the mTLS sidecar or the istio label; remove mTLS opt-out labels/annotations",
    why="A model endpoint without mTLS answers any pod that can reach it, so one NetworkPolicy slip exposes "
    "another tenant's prompts and completions.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_pod("acme-prod", {}, init=[_SIDECAR]), note="native mode, sidecar present"),
        Example(object=_pod("globex-prod", {ISTIO_LABEL: "true"}), note="istio mode, label set"),
        Example(object=_pod("acme-prod", {}), tenant={"mtls": {"mode": "none"}}, note="mode none"),
    ),
    denied=(
        Example(object=_pod("acme-prod", {}), note="native mode, no sidecar (lint; admission injects it)"),
        Example(object=_pod("globex-prod", {ISTIO_LABEL: "false"}), note="istio opt-out label"),
        Example(object=_pod("acme-prod", {}, {OPT_OUT: "disabled"}, init=[_SIDECAR]), note="opt-out"),
    ),
)
