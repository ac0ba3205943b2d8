"""GPU006 gpu-tenant-total — a tenant's GPU-class devices stay within its `gpu.maxTotal`.

What it checks: the devices this object will hold — for each pod template, its pod count (replicas,
parallelism, LeaderWorkerSet replicas x size, Ray worker-group replicas x hosts, KServe minReplicas)
times the pod's effective GPU-class devices — plus the devices the tenant's other pods already hold in
every namespace, do not exceed the Tenant's `spec.gpu.maxTotal`. On update the object's own pods (the pod
itself, or the pods its workload owns — `policies.ownership`) are not counted twice, and an update that does
not add devices is never refused by the cap. Lint sees no cluster, so there it checks the object alone.

Why it matters: the cap is the tenant's share of the GPU fleet. Checking replicas x per-pod devices on
the Deployment or InferenceService denies the rollout at apply time, instead of leaving pods Pending
against a ResourceQuota, and the cross-namespace sum stops a tenant from splitting work over namespaces.

Fix: lower the replicas or the per-pod GPUs, free GPUs held by other workloads of the tenant, or ask
the platform team to raise `spec.gpu.maxTotal`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import TEMPLATE_ONLY_KINDS, pod_gpu_total
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.paths import Path, dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod
from tenantguard.policies.subjects import PodTemplate, Subject

_REPLICAS: dict[str, Path] = {
    "Deployment": ("spec", "replicas"), "StatefulSet": ("spec", "replicas"),
    "ReplicaSet": ("spec", "replicas"), "LeaderWorkerSet": ("spec", "replicas"),
    "LLMInferenceService": ("spec", "replicas"),
    "Job": ("spec", "parallelism"), "CronJob": ("spec", "jobTemplate", "spec", "parallelism"),
}  # fmt: skip


def _count_path(subject: Subject, pod: PodTemplate) -> Path:
    """The field that sets how many of these pods run; the pod spec itself when there is none."""
    p = pod.path
    if subject.kind == "InferenceService":
        return (*p[:2], "minReplicas")
    if subject.kind == "LLMInferenceService" and "prefill" in p:
        return ("spec", "prefill", "replicas")
    if "workerGroupSpecs" in p:
        i = p.index("workerGroupSpecs")
        return (*p[: i + 2], "replicas")
    return _REPLICAS.get(subject.kind, p)


def _role(role: str) -> str:
    return "" if role in ("pod", "template") else f"{role}: "


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None or ctx.tenant.gpu is None or subject.kind in TEMPLATE_ONLY_KINDS:
        return
    parts = [(pod, pod_gpu_total(pod)) for pod in subject.pods]
    parts = [(pod, n) for pod, n in parts if n > 0]
    requested = sum(pod.replicas * n for pod, n in parts)
    if not requested or (ctx.operation == "UPDATE" and requested <= _demand(ctx.old, subject.namespace)):
        return
    in_use = ctx.cluster.gpu_usage(ctx.tenant.name, exclude=(subject.kind, subject.namespace, subject.name))
    cap = ctx.tenant.gpu.max_total
    if requested + in_use <= cap:
        return
    biggest = max(parts, key=lambda part: part[0].replicas * part[1])[0]
    detail = ", ".join(f"{_role(pod.role)}{pod.replicas} pods x {n}" for pod, n in parts)
    held = (
        f"tenant {ctx.tenant.name!r} already holds {in_use} elsewhere; {requested + in_use} exceeds"
        if ctx.cluster.pods_known
        else "that alone exceeds"  # lint: nothing runs, so nothing else is known to be held
    )
    yield Finding(
        path=dotted(_count_path(subject, biggest)),
        message=f"{subject.kind} needs {requested} GPU-class devices ({detail}) and {held} the cap of {cap} "
        "(spec.gpu.maxTotal)",
    )


def _demand(old: Obj | None, namespace: str) -> int:
    """The devices the stored object already demands (what an UPDATE starts from)."""
    if old is None:
        return 0
    return sum(pod.replicas * pod_gpu_total(pod) for pod in Subject.of(old, namespace).pods)


RULE = Rule(
    id="GPU006",
    slug="gpu-tenant-total",
    title="A tenant's GPU devices stay within its tenant-wide cap",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="lower replicas or per-pod GPUs, free GPUs held by the tenant's other workloads, or raise spec.gpu.maxTotal",
    why="The tenant-wide cap is the tenant's share of the GPU fleet, across all of its namespaces.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=deployment(4, container({"nvidia.com/gpu": 2})), note="4 x 2 = 8, the cap"),
        Example(object=gpu_pod("nvidia.com/gpu", 2)),
    ),
    denied=(
        Example(object=deployment(5, container({"nvidia.com/gpu": 2})), note="5 x 2 = 10 > 8"),
        Example(
            object=deployment(9, container({"nvidia.com/mig-1g.10gb": 1}), kind="StatefulSet"),
            note="MIG slices count one device each",
        ),
    ),
)
