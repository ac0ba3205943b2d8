"""GPU006 gpu-tenant-total — a tenant's GPUs stay within its `gpu.maxTotal` GPU-equivalents.

What it checks: the GPU-equivalents this object will hold at its worst case (`policies.gpu_demand`: each pod
template's pod count — replicas, parallelism, LeaderWorkerSet replicas x size, Ray worker groups x hosts, KServe's
`maxReplicas`, a Ray autoscaler's `maxReplicas`, a HorizontalPodAutoscaler's `maxReplicas` over its target, the
replicas of a `scale` request — times the pod's devices, a full GPU weighing 1 and a MIG slice `<g>g.<mem>gb` g/7),
plus what the tenant's other pods and ResourceClaims already hold in every namespace, do not exceed the Tenant's
`spec.gpu.maxTotal`. DRA devices count with the extended resources: a pod's claim templates per pod, a ResourceClaim
once when it is created (however many pods share it), a claim template for the pods already waiting for it; a DRA
device weighs 1, or g/7 when its selectors pin a MIG profile. On update the object's own pods (or an autoscaler's
target's pods, `policies.ownership`) are not counted twice, and an update that does not add GPU-equivalents is never
refused. Lint sees no running pods, so there it checks the object alone.

Why it matters: the cap is the tenant's share of the GPU fleet, in the unit the usage report bills. Judging
the Deployment, the InferenceService's autoscaling bound or the `kubectl scale` request refuses the user's own
request with this rule, instead of leaving pods Pending while the controller is refused every second.

Fix: lower the replicas, `maxReplicas` or the per-pod GPUs, free GPUs held by other workloads of the tenant,
or ask the platform team to raise `spec.gpu.maxTotal`.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.gpu import format_gpus
from tenantguard.policies.gpu_demand import before, demand, exceeds_cap, held_elsewhere
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import (
    claim,
    claim_template,
    container,
    deployment,
    exact,
    gpu_pod,
    isvc,
    template_claim,
    uses_claim,
)
from tenantguard.policies.scaling import HPA_KIND
from tenantguard.policies.subjects import Subject

_NONE = Fraction(0)


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None or ctx.tenant.gpu is None:
        return
    wanted = demand(subject, ctx)
    need = wanted.equivalents() if wanted is not None else _NONE
    if wanted is None or not need:
        return
    old = before(subject, ctx)
    had = old.equivalents() if old is not None else _NONE
    held = ctx.cluster.gpu_usage(ctx.tenant.name, exclude=wanted.replaces).equivalents
    cap = ctx.tenant.gpu.max_total
    if not exceeds_cap(need, had, held, cap):
        return
    context = held_elsewhere(ctx, format_gpus(held), format_gpus(need + held))
    yield Finding(
        path=dotted(wanted.biggest().count_path),
        message=f"{subject.kind} needs {format_gpus(need)} GPU-equivalents ({wanted.detail()}) and {context} "
        f"the cap of {cap} (spec.gpu.maxTotal; a full GPU counts 1, a MIG slice g/7)",
    )


def _hpa(max_replicas: int) -> dict[str, object]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": HPA_KIND,
        "metadata": {"name": "vllm", "namespace": "acme-prod"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "vllm"},
            "minReplicas": 1,
            "maxReplicas": max_replicas,
        },
    }


RULE = Rule(
    id="GPU006",
    slug="gpu-tenant-total",
    title="A tenant's GPU-equivalents stay within its tenant-wide cap",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    kinds=frozenset({HPA_KIND}) | dra.CLAIM_KINDS,
    scale=True,
    fix="lower replicas, maxReplicas or per-pod GPUs, free GPUs held by the tenant's other workloads, "
    "or raise spec.gpu.maxTotal",
    why="The tenant-wide cap is the tenant's share of the GPU fleet, across all of its namespaces.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=deployment(4, container({"nvidia.com/gpu": 2})), note="4 x 2 = 8, the cap"),
        Example(
            object=deployment(14, container({"nvidia.com/mig-1g.10gb": 4}), kind="StatefulSet"),
            note="56 1g slices weigh 56/7 = 8 GPU-equivalents",
        ),
        Example(object=gpu_pod("nvidia.com/gpu", 2)),
        Example(object=claim("shared", exact("gpu.nvidia.com", 2)), note="a claim counts once, when it is created"),
    ),
    denied=(
        Example(object=deployment(5, container({"nvidia.com/gpu": 2})), note="5 x 2 = 10 > 8"),
        Example(object=isvc(1, container({"nvidia.com/gpu": 1}), max_replicas=9), note="KServe maxReplicas counts"),
        Example(
            object=_hpa(9),
            related=(deployment(1, container({"nvidia.com/gpu": 1})),),
            note="an autoscaler's maxReplicas x its target's GPUs",
        ),
        Example(
            object=deployment(5, uses_claim(container({"cpu": "1"})), resourceClaims=[template_claim("two-gpus")]),
            related=(claim_template("two-gpus", exact("gpu.nvidia.com", 2)),),
            note="a claim template counts per pod: 5 x 2 DRA GPUs",
        ),
    ),
)
