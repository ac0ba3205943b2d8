"""GPU005 gpu-per-pod-cap — a pod holds at most the tenant's `gpu.maxPerPod` GPU-equivalents.

What it checks: the pod's effective GPU-class devices, weighed in GPU-equivalents — a full GPU counts 1, a MIG
slice `<g>g.<mem>gb` counts g/7 (`policies.gpu.device_weight`, the unit of every GPU cap and of the usage
report's GPU-hours) — counted as the scheduler does (app and KServe model containers plus native sidecars, or
the largest init container step if that is more), do not exceed the Tenant's `spec.gpu.maxPerPod`.

Why it matters: one oversized pod can drain a node's GPUs in a single scheduling decision, starving
the other tenants on that node; the per-pod cap keeps any one model server within its share.

Fix: lower the GPU limits of the pod's containers, or shard the model across more pods (tensor or
pipeline parallelism over a LeaderWorkerSet or Ray worker group).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import format_gpus, gpu_equivalents, pod_gpu_devices
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod, pod
from tenantguard.policies.subjects import Subject


def _kind(role: str) -> str:
    return "pod" if role in ("pod", "template") else f"{role} pod"


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None or ctx.tenant.gpu is None:
        return  # GPU001 denies any GPU for a tenant without an allowance
    cap = ctx.tenant.gpu.max_per_pod
    for pod_template in subject.pods:
        devices = pod_gpu_devices(pod_template)
        total = gpu_equivalents(devices)
        if devices and total > Fraction(cap):
            detail = " + ".join(f"{n} {name}" for name, n in devices.items())
            yield Finding(
                path=dotted(pod_template.path),
                message=f"{_kind(pod_template.role)} holds {format_gpus(total)} GPU-equivalents ({detail}); "
                f"tenant {ctx.tenant.name!r} allows {cap} per pod (spec.gpu.maxPerPod; a MIG slice counts g/7)",
            )


_SIDECAR = {
    "name": "loader",
    "image": "nvcr.io/nvidia/loader:1",
    "restartPolicy": "Always",
    "resources": {"limits": {"nvidia.com/gpu": 1}},
}

RULE = Rule(
    id="GPU005",
    slug="gpu-per-pod-cap",
    title="A pod holds no more GPU-equivalents than the tenant's per-pod cap",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="lower the pod's GPU limits to the Tenant's spec.gpu.maxPerPod, or shard the model over more pods",
    why="An oversized pod drains a node's GPUs in one scheduling decision and starves other tenants.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=gpu_pod("nvidia.com/gpu", 2)),
        Example(object=gpu_pod("nvidia.com/mig-1g.10gb", 7), note="seven 1g slices are one GPU-equivalent"),
        Example(
            object=pod(
                container({"nvidia.com/gpu": 1}),
                initContainers=[{**container({"nvidia.com/gpu": 2}, name="warmup")}],
            ),
            note="init container steps count as max, not sum",
        ),
    ),
    denied=(
        Example(object=gpu_pod("nvidia.com/gpu", 4)),
        Example(
            object=deployment(1, container({"nvidia.com/gpu": 2}), initContainers=[_SIDECAR]),
            note="native sidecars add up with the app containers (2 + 1)",
        ),
    ),
)
