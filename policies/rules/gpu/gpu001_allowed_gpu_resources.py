"""GPU001 allowed-gpu-resources — pods request only the GPU resources their tenant is allowed.

What it checks: every GPU-class key (`nvidia.com/gpu`, `nvidia.com/mig-<g>g.<mem>gb[.me]`, and their
time-sliced `.shared` variants) in `resources.limits` or `resources.requests` of every container, init
container and KServe model container is listed in the tenant's `spec.gpu.allowedResources`. A tenant
without `spec.gpu` may request no GPU-class resource at all.

Why it matters: GPUs are the scarcest shared resource of an LLM platform. The platform sizes each tenant's
MIG layout and full-GPU pools; a tenant that requests another profile takes slices carved for someone
else, and one without an allowance takes GPUs it never paid for.

Fix: request one of the tenant's allowed resources, or ask the platform team to add the resource to the
Tenant's `spec.gpu.allowedResources`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import gpu_containers
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod, pod
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    gpu = ctx.tenant.gpu
    allowed = gpu.allowed_resources if gpu is not None else frozenset()
    listed = ", ".join(sorted(allowed)) or "none"
    for pod_template in subject.pods:
        for ref, name, where in gpu_containers(pod_template):
            if name in allowed:
                continue
            if gpu is None:
                reason = f"tenant {ctx.tenant.name!r} has no GPU allowance (spec.gpu)"
            else:
                reason = f"not allowed for tenant {ctx.tenant.name!r} — allowed: {listed}"
            yield Finding(
                path=dotted((*ref.path, "resources", where, name)),
                message=f"container {ref.name!r} requests {name}: {reason}",
            )


RULE = Rule(
    id="GPU001",
    slug="allowed-gpu-resources",
    title="Pods request only the tenant's allowed GPU resources",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="request a resource listed in the Tenant's spec.gpu.allowedResources, or ask the platform team to allow it",
    why="Each tenant's GPU and MIG allowance is sized by the platform; other resources belong to other tenants.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=gpu_pod("nvidia.com/mig-3g.40gb", 1)),
        Example(object=deployment(2, container({"nvidia.com/gpu": 1}))),
        Example(
            object=pod(container({"cpu": "2", "memory": "8Gi"})),
            tenant={"gpu": None},
            note="no GPU allowance, no GPU requested",
        ),
    ),
    denied=(
        Example(object=gpu_pod("nvidia.com/mig-7g.80gb", 1), note="profile not in allowedResources"),
        Example(
            object=deployment(1, container(requests={"nvidia.com/mig-2g.20gb": 1})),
            note="requests-only key in a Deployment",
        ),
        Example(object=gpu_pod("nvidia.com/gpu", 1), tenant={"gpu": None}, note="tenant without spec.gpu"),
    ),
)
