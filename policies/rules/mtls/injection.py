"""MTLS-M — every pod that serves traffic gets the mTLS sidecar (native) or the mesh label (istio).

Which pods: every pod template with a declared container port, and every pod of a model-serving kind
(InferenceService, LLMInferenceService, LeaderWorkerSet, Ray). ServingRuntimes are skipped: KServe's
runtime pod spec has no `initContainers`; their pods are the InferenceService's, which gets the sidecar.

- native: a native sidecar (an init container with `restartPolicy: Always`) runs a ghostunnel-style TLS
  proxy: it listens on `settings.mtls.port`, accepts only clients whose certificate carries the tenant's
  SPIFFE URI (`spiffe://tenantguard.io/tenant/<tenant>`) signed by the tenant CA, and forwards to the app's
  first declared container port on 127.0.0.1 (8080, KServe's default, when none is declared). Its
  certificate is the namespace's workload certificate Secret, mounted read-only as `tenantguard-mtls-certs`.
  It passes `restricted` on its own: built-in Pod Security runs after the mutating webhooks.
- istio: the label `sidecar.istio.io/inject: "true"` on the pod template's metadata (on the object's own
  metadata for inline pod specs such as KServe's, which KServe copies to the pods it creates).
- none: nothing.

Idempotent: a pod that already has a container of the sidecar's name, or an injection label of any value,
is left alone (MTLS001 and MTLS002 judge what is there).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from policies.context import Context
from policies.model import Mutator, Obj, Patch
from policies.paths import Path, pointer
from policies.settings import MtlsSidecar
from policies.subjects import SERVING_KINDS, PodTemplate, Subject
from policies.visit import ContainerRef, containers

ISTIO_LABEL = "sidecar.istio.io/inject"
VOLUME = "tenantguard-mtls-certs"
CERT_DIR = "/etc/tenantguard/tls"
DEFAULT_APP_PORT = 8080
# Their pod spec has no initContainers; KServe builds the pods from the InferenceService.
RUNTIME_KINDS = frozenset({"ServingRuntime", "ClusterServingRuntime"})


def spiffe_id(tenant: str) -> str:
    return f"spiffe://tenantguard.io/tenant/{tenant}"


def app_port(pod: PodTemplate, sidecar_name: str) -> int | None:
    """The first declared port of an app container (or of a tenant's own native sidecar)."""
    refs = [*containers(pod, ("containers",)), *containers(pod, ("initContainers",))]
    for ref in refs:
        if ref.field == "initContainers" and (not ref.is_sidecar or ref.name == sidecar_name):
            continue
        ports = ref.container.get("ports")
        for port in ports if isinstance(ports, list) else ():
            number = port.get("containerPort") if isinstance(port, dict) else None
            if isinstance(number, int) and not isinstance(number, bool):
                return number
    return None


def needs_mtls(subject: Subject, pod: PodTemplate, sidecar_name: str) -> bool:
    if subject.kind in RUNTIME_KINDS:
        return False
    return subject.kind in SERVING_KINDS or app_port(pod, sidecar_name) is not None


def sidecar_ref(pod: PodTemplate, name: str) -> ContainerRef | None:
    return next((c for c in containers(pod, ("initContainers",)) if c.container.get("name") == name), None)


def sidecar_args(settings: MtlsSidecar, tenant: str, target_port: int) -> list[str]:
    return [
        "server",
        f"--listen=0.0.0.0:{settings.port}",
        f"--target=127.0.0.1:{target_port}",
        f"--cert={CERT_DIR}/tls.crt",
        f"--key={CERT_DIR}/tls.key",
        f"--cacert={CERT_DIR}/ca.crt",
        f"--allow-uri={spiffe_id(tenant)}",
    ]


def sidecar_container(settings: MtlsSidecar, tenant: str, target_port: int) -> Obj:
    return {
        "name": settings.container_name,
        "image": settings.image,
        "restartPolicy": "Always",
        "args": sidecar_args(settings, tenant, target_port),
        "ports": [{"name": "mtls", "containerPort": settings.port, "protocol": "TCP"}],
        "volumeMounts": [{"name": VOLUME, "mountPath": CERT_DIR, "readOnly": True}],
        "resources": {
            "requests": {"cpu": "10m", "memory": "32Mi"},
            "limits": {"cpu": "500m", "memory": "128Mi"},
        },
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }


def expected_sidecar(pod: PodTemplate, settings: MtlsSidecar, tenant: str) -> Obj:
    return sidecar_container(settings, tenant, app_port(pod, settings.container_name) or DEFAULT_APP_PORT)


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


def _sidecar_ops(pod: PodTemplate, settings: MtlsSidecar, tenant: str) -> list[Patch]:
    if any(c.container.get("name") == settings.container_name for c in containers(pod)):
        return []
    ops = [_append(pod.path, pod.spec, "initContainers", expected_sidecar(pod, settings, tenant))]
    volumes = pod.spec.get("volumes")
    names = [v.get("name") for v in volumes if isinstance(v, dict)] if isinstance(volumes, list) else []
    if VOLUME not in names:
        volume = {"name": VOLUME, "secret": {"secretName": settings.secret_name}}
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
    if tenant is None or tenant.mtls_mode not in ("native", "istio"):
        return []
    settings = ctx.settings.mtls
    pods = [p for p in subject.pods if needs_mtls(subject, p, settings.container_name)]
    if tenant.mtls_mode == "istio":
        return _label_ops(subject, pods)
    return [op for pod in pods for op in _sidecar_ops(pod, settings, tenant.name)]


MUTATOR = Mutator(
    id="MTLS-M",
    title="Inject the mTLS sidecar (native mode) or the mesh injection label (istio mode)",
    mutate=mutate,
    pod_templates=True,
)
