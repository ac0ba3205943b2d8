"""GPU005 gpu-per-pod-cap — a pod holds at most the tenant's `gpu.maxPerPod` GPU-equivalents.

What it checks: the pod's effective GPU-class devices, weighed in GPU-equivalents — a full GPU counts 1, a MIG
slice `<g>g.<mem>gb` counts g/7 (`policies.gpu.device_weight`, the unit of every GPU cap and of the usage
report's GPU-hours) — counted as the scheduler does (app and KServe model containers plus native sidecars, or
the largest init container step if that is more), together with the DRA devices of the pod's
`spec.resourceClaims` (claim templates and named claims; a DRA device counts 1, or g/7 when its selectors pin a
MIG profile, `policies.dra`), do not exceed the Tenant's `spec.gpu.maxPerPod`. Every pod that uses a
ResourceClaim or a ResourceClaimTemplate gets all of its devices, so the claim or template itself is judged too:
on its own, and with the devices of the pods that already name it (a pod created before its claim).

Why it matters: one oversized pod can drain a node's GPUs in a single scheduling decision, starving
the other tenants on that node; the per-pod cap keeps any one model server within its share, whichever way the
pod asks for its GPUs — splitting them between extended resources and a claim does not pass it.

Fix: lower the GPU limits of the pod's containers or the claims' counts, or shard the model across more pods
(tensor or pipeline parallelism over a LeaderWorkerSet or Ray worker group).
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.dra import ClaimDevices
from tenantguard.policies.gpu import format_gpus, gpu_equivalents, gpu_sevenths, pod_gpu_devices
from tenantguard.policies.gpu_demand import pod_claim_devices
from tenantguard.policies.ledger import GpuHolding
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import claim_template, container, deployment, dra_pod, exact, gpu_pod, pod
from tenantguard.policies.subjects import Subject


def _kind(role: str) -> str:
    return "pod" if role in ("pod", "template") else f"{role} pod"


def _detail(devices: dict[str, int], claims: ClaimDevices) -> str:
    return " + ".join([*(f"{n} {name}" for name, n in devices.items()), *(f"{n} {c}" for c, n in claims.classes)])


def _allows(ctx: Context) -> str:
    cap = ctx.tenant.gpu.max_per_pod if ctx.tenant is not None and ctx.tenant.gpu is not None else 0
    name = ctx.tenant.name if ctx.tenant is not None else ""
    return f"tenant {name!r} allows {cap} per pod (spec.gpu.maxPerPod; a MIG slice counts g/7)"


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None or ctx.tenant.gpu is None:
        return  # GPU001 and GPU015 deny any GPU for a tenant without an allowance
    if subject.kind in dra.CLAIM_KINDS:
        yield from _claim(subject, ctx)
        return
    cap = ctx.tenant.gpu.max_per_pod
    for pod_template in subject.pods:
        devices = pod_gpu_devices(pod_template)
        claims = pod_claim_devices(pod_template, subject.namespace, ctx)
        if not devices and not claims:
            continue
        total = Fraction(gpu_sevenths(devices) + claims.sevenths, 7)
        if total > cap:
            yield Finding(
                path=dotted(pod_template.path),
                message=f"{_kind(pod_template.role)} holds {format_gpus(total)} GPU-equivalents "
                f"({_detail(devices, claims)}); {_allows(ctx)}",
            )


def _claim(subject: Subject, ctx: Context) -> Iterator[Finding]:
    """A claim or template: every pod that uses it gets all of its devices."""
    assert ctx.tenant is not None and ctx.tenant.gpu is not None
    if dra.unchanged(subject.obj, ctx.old):
        return
    spec = dra.claim_spec(subject.obj)
    wanted = ctx.cluster.claim_devices(spec)
    if spec is None or not wanted:
        return
    cap = Fraction(ctx.tenant.gpu.max_per_pod)
    if wanted.equivalents > cap:
        yield Finding(
            path=dotted(spec.path),
            message=f"{subject.kind} gives each pod that uses it {format_gpus(wanted.equivalents)} GPU-equivalents "
            f"({wanted.detail()}); {_allows(ctx)}",
        )
        return
    by = {"claim": subject.name} if subject.kind == dra.CLAIM else {"template": subject.name}
    for user in ctx.cluster.gpu.pods_using(subject.namespace, **by):
        total = _pod_with(user, subject, wanted, ctx)
        if total > cap:
            yield Finding(
                path=dotted(spec.path),
                message=f"pod {user.name!r} already names this {subject.kind} and would hold "
                f"{format_gpus(total)} GPU-equivalents with it; {_allows(ctx)}",
            )


def _pod_with(user: GpuHolding, subject: Subject, wanted: ClaimDevices, ctx: Context) -> Fraction:
    """What a pod that names the claim (or template) being judged holds with it."""
    others = dra.class_request_devices(dict(user.class_requests), ctx.cluster.device_classes)
    for ref in user.claims:
        if (ref.claim if subject.kind == dra.CLAIM else ref.template) == subject.name:
            others += wanted
        elif ref.template:
            others += ctx.cluster.claim_devices(ctx.cluster.claim_template(user.namespace, ref.template))
        elif ref.claim:
            found = ctx.cluster.claim(user.namespace, ref.claim)
            others += ctx.cluster.claim_devices(found.spec if found is not None else None)
    return gpu_equivalents(dict(user.devices)) + others.equivalents


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
    kinds=dra.CLAIM_KINDS,
    fix="lower the pod's GPU limits or its claims' device counts to the Tenant's spec.gpu.maxPerPod, "
    "or shard the model over more pods",
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
        Example(
            object=dra_pod(container({"nvidia.com/gpu": 1}), template="one-gpu"),
            related=(claim_template("one-gpu", exact("gpu.nvidia.com", 1)),),
            note="1 extended + 1 DRA GPU",
        ),
    ),
    denied=(
        Example(object=gpu_pod("nvidia.com/gpu", 4)),
        Example(
            object=deployment(1, container({"nvidia.com/gpu": 2}), initContainers=[_SIDECAR]),
            note="native sidecars add up with the app containers (2 + 1)",
        ),
        Example(object=claim_template("eight-gpus", exact("gpu.nvidia.com", 8)), note="every pod would get 8"),
        Example(
            object=dra_pod(container({"nvidia.com/gpu": 2}), template="one-gpu"),
            related=(claim_template("one-gpu", exact("gpu.nvidia.com", 1)),),
            note="2 extended + 1 DRA GPU: split between the two paths, still 3 per pod",
        ),
    ),
)
