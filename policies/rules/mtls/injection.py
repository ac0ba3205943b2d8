"""MTLS-M — every pod that serves traffic gets the mTLS sidecar (native) or the mesh label (istio).

Which pods, and what the sidecar is: see `sidecar.py`.

- native: append the sidecar to `initContainers` and the certificate volume to `volumes` of each pod
  spec that needs it (for KServe, the inline `spec.predictor`), creating the arrays when absent.
- istio: the label `sidecar.istio.io/inject: "true"` on the pod template's metadata (on the object's own
  metadata for inline pod specs such as KServe's, which KServe copies to the pods it creates).
- none: nothing.

Pods and Jobs are injected on CREATE only: their pod spec is immutable, and an UPDATE that added the
sidecar (a `kubectl label pod`, a Job's suspend) would be refused by the API server.

Idempotent: a pod that already has a container of the sidecar's name, or an injection label of any value,
is left alone (MTLS001 and MTLS002 judge what is there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Obj, Patch
from tenantguard.policies.paths import Path, pointer
from tenantguard.policies.rule import Mutator
from tenantguard.policies.rules.mtls.sidecar import VOLUME, expected_sidecar, needs_mtls, settled
from tenantguard.policies.settings import Settings
from tenantguard.policies.subjects import PodTemplate, Subject
from tenantguard.policies.visit import containers

ISTIO_LABEL = "sidecar.istio.io/inject"


def label_sites(subject: Subject, pods: list[PodTemplate]) -> Iterator[tuple[Path, Any]]:
    """(metadata path, metadata or None) carrying the pod labels of each pod, each site once."""
    seen: set[Path] = set()
    for pod in pods:
        if pod.meta_path is not None:
            path, meta = pod.meta_path, pod.meta
        else:
            path, meta = ("metadata",), subject.obj.get("metadata")
        if path not in seen:
            seen.add(path)
            yield path, meta


def _append(base: Path, spec: Obj, field: str, value: Obj) -> Patch:
    if isinstance(spec.get(field), list):
        return {"op": "add", "path": pointer((*base, field, "-")), "value": value}
    return {"op": "add", "path": pointer((*base, field)), "value": [value]}


def _sidecar_ops(pod: PodTemplate, settings: Settings, tenant: str) -> list[Patch]:
    if any(c.container.get("name") == settings.mtls.container_name for c in containers(pod)):
        return []
    ops = [_append(pod.path, pod.spec, "initContainers", expected_sidecar(pod, settings, tenant))]
    volumes = pod.spec.get("volumes")
    names = [v.get("name") for v in volumes if isinstance(v, dict)] if isinstance(volumes, list) else []
    if VOLUME not in names:
        volume = {"name": VOLUME, "secret": {"secretName": settings.mtls.secret_name}}
        ops.append(_append(pod.path, pod.spec, "volumes", volume))
    return ops


def _label_ops(subject: Subject, pods: list[PodTemplate]) -> list[Patch]:
    ops: list[Patch] = []
    for path, meta in label_sites(subject, pods):
        if not isinstance(meta, dict):
            ops.append({"op": "add", "path": pointer(path), "value": {"labels": {ISTIO_LABEL: "true"}}})
        elif not isinstance(meta.get("labels"), dict):
            ops.append({"op": "add", "path": pointer((*path, "labels")), "value": {ISTIO_LABEL: "true"}})
        elif ISTIO_LABEL not in meta["labels"]:
            ops.append({"op": "add", "path": pointer((*path, "labels", ISTIO_LABEL)), "value": "true"})
    return ops


def mutate(subject: Subject, ctx: Context) -> list[Patch]:
    tenant = ctx.tenant
    if tenant is None or tenant.mtls_mode not in ("native", "istio") or settled(subject, ctx.operation):
        return []
    settings = ctx.settings
    old = ctx.old if ctx.operation == "UPDATE" else None
    pods = [p for p in subject.pods if needs_mtls(subject, p, settings.mtls.container_name, old)]
    if tenant.mtls_mode == "istio":
        return _label_ops(subject, pods)
    return [op for pod in pods for op in _sidecar_ops(pod, settings, tenant.name)]


MUTATOR = Mutator(
    id="MTLS-M",
    title="Inject the mTLS sidecar (native mode) or the mesh injection label (istio mode)",
    mutate=mutate,
    pod_templates=True,
)
