"""GPU015 device-classes-allowed — DRA devices come only from the tenant's DeviceClasses.

What it checks: every request of a ResourceClaim or ResourceClaimTemplate (`spec.devices.requests[].exactly`
and every `firstAvailable` alternative) names a `deviceClassName` the Tenant lists in `spec.gpu.deviceClasses`,
and so does every DeviceClass resource a pod's containers request (`deviceclass.resource.kubernetes.io/<class>`,
which the scheduler meets with a claim of that class). A tenant without `spec.gpu.deviceClasses` may request no
DRA device at all. An update that leaves a claim's requests as they were (its spec is immutable) is not judged.

Why it matters: with Dynamic Resource Allocation a DeviceClass is what an extended resource name was for the
device plugin: the platform carves its GPU fleet into classes (full GPUs, MIG partitions, one class per
product or profile) and gives each tenant some. A claim of another tenant's class takes devices carved for
someone else; a class the tenant does not know of (a NIC or FPGA driver's) escapes its GPU caps.

Fix: request a class listed in the Tenant's `spec.gpu.deviceClasses` (`kubectl get deviceclasses` lists the
cluster's), or ask the platform team to add it.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import claim, claim_template, container, exact, pod
from tenantguard.policies.subjects import Subject


def _reason(ctx: Context) -> str:
    assert ctx.tenant is not None
    gpu = ctx.tenant.gpu
    if gpu is None or not gpu.device_classes:
        return f"tenant {ctx.tenant.name!r} may claim no DRA devices (spec.gpu.deviceClasses)"
    return f"not allowed for tenant {ctx.tenant.name!r} — allowed: {', '.join(sorted(gpu.device_classes))}"


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    allowed = ctx.tenant.gpu.device_classes if ctx.tenant.gpu is not None else {}
    for pod_template in subject.pods:
        for ref, name, where in dra.class_keys(pod_template):
            if name[len(dra.CLASS_RESOURCE_PREFIX) :] not in allowed:
                yield Finding(
                    path=dotted((*ref.path, "resources", where, name)),
                    message=f"container {ref.name!r} requests devices of DeviceClass "
                    f"{name[len(dra.CLASS_RESOURCE_PREFIX) :]!r}: {_reason(ctx)}",
                )
    spec = dra.claim_spec(subject.obj)
    if spec is None or dra.unchanged(subject.obj, ctx.old):
        return
    for choice in spec.choices():
        if choice.device_class not in allowed:
            yield Finding(
                path=dotted((*choice.path, "deviceClassName")),
                message=f"request {choice.name!r} claims DeviceClass {choice.device_class!r}: {_reason(ctx)}",
            )


RULE = Rule(
    id="GPU015",
    slug="device-classes-allowed",
    title="DRA device requests name only the tenant's DeviceClasses",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    kinds=dra.CLAIM_KINDS,
    fix="request a DeviceClass listed in the Tenant's spec.gpu.deviceClasses, or ask the platform team to allow it",
    why="DeviceClasses carve the GPU fleet per tenant; another class takes devices carved for someone else.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=claim("llm", exact("gpu.nvidia.com", 1))),
        Example(object=pod(container({f"{dra.CLASS_RESOURCE_PREFIX}gpu.nvidia.com": 1}))),
    ),
    denied=(
        Example(object=claim_template("big", exact("h200.nvidia.com", 1)), note="a class the tenant is not given"),
        Example(
            object=claim("fallback", first_available=[exact("gpu.nvidia.com", 1), exact("h200.nvidia.com", 1)]),
            note="every firstAvailable alternative counts",
        ),
        Example(
            object=pod(container({f"{dra.CLASS_RESOURCE_PREFIX}h200.nvidia.com": 1})),
            note="a DeviceClass resource: the scheduler makes the claim",
        ),
        Example(object=claim("llm", exact("gpu.nvidia.com", 1)), tenant={"gpu": None}, note="no GPU allowance"),
    ),
)
