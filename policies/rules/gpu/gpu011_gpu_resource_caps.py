"""GPU011 gpu-resource-caps — a tenant's devices of each GPU resource stay within `gpu.maxDevices`.

What it checks: for each resource the Tenant caps in `spec.gpu.maxDevices` (`nvidia.com/gpu: 4`,
`nvidia.com/mig-1g.10gb: 14`), the devices of that resource this object will hold at its worst case — the same
count as GPU006 (`policies.gpu_demand`: replicas, autoscaling bounds, `scale` requests) — plus the devices of
that resource the tenant's other pods already hold in every namespace, do not exceed the cap. Devices are
counted, not weighed: this is what a ResourceQuota's `requests.<resource>` counts, so the same numbers can back
the webhook with a quota. On update, a resource whose count does not grow is never refused.

Why it matters: the GPU-equivalent cap (GPU006) bounds a tenant's compute; the per-resource caps bound what the
platform carved for it — a MIG layout offers so many slices of each profile, and a tenant that takes every
1g.10gb slice starves the others of that profile even while far under its GPU-equivalents.

Fix: use fewer devices of that resource (or another allowed profile), free devices held by other workloads of
the tenant, or ask the platform team to raise `spec.gpu.maxDevices[<resource>]`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.gpu_demand import before, demand, exceeds_cap, held_elsewhere
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod
from tenantguard.policies.scaling import HPA_KIND
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None or ctx.tenant.gpu is None or not ctx.tenant.gpu.max_devices:
        return
    wanted = demand(subject, ctx)
    if wanted is None:
        return
    caps = ctx.tenant.gpu.max_devices
    needs = {name: n for name, n in wanted.devices().items() if name in caps}
    if not needs:
        return
    old = before(subject, ctx)
    had = old.devices() if old is not None else {}
    held = ctx.cluster.gpu_usage(ctx.tenant.name, exclude=wanted.replaces).devices
    for name, need in needs.items():
        in_use = held.get(name, 0)
        if not exceeds_cap(need, had.get(name, 0), in_use, caps[name]):
            continue
        context = held_elsewhere(ctx, str(in_use), str(need + in_use))
        yield Finding(
            path=dotted(wanted.biggest(name).count_path),
            message=f"{subject.kind} needs {need} {name} ({wanted.detail(name)}) and {context} the cap of "
            f"{caps[name]} (spec.gpu.maxDevices[{name!r}])",
        )


_CAPS = {"maxDevices": {"nvidia.com/mig-1g.10gb": 4}}
_TENANT = {"gpu": {"maxPerPod": 1, "maxTotal": 8, "allowedResources": ["nvidia.com/mig-1g.10gb"], **_CAPS}}

RULE = Rule(
    id="GPU011",
    slug="gpu-resource-caps",
    title="A tenant's devices of each GPU resource stay within its per-resource cap",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    kinds=frozenset({HPA_KIND}),
    scale=True,
    fix="use fewer devices of the resource, free devices held by the tenant's other workloads, "
    "or raise spec.gpu.maxDevices[<resource>]",
    why="Each MIG profile and full-GPU pool is carved per tenant; a ResourceQuota counts these same devices.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=deployment(4, container({"nvidia.com/mig-1g.10gb": 1})), tenant=_TENANT, note="4 of 4"),
        Example(object=gpu_pod("nvidia.com/gpu", 2), note="no per-resource caps: only maxTotal applies"),
    ),
    denied=(
        Example(
            object=deployment(5, container({"nvidia.com/mig-1g.10gb": 1}), kind="StatefulSet"),
            tenant=_TENANT,
            note="5 slices > 4, though 5/7 of a GPU is far under maxTotal",
        ),
    ),
)
