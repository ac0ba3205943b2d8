"""GPU020 device-class-caps — a tenant's DRA devices of each DeviceClass stay within its per-class cap.

What it checks: for each DeviceClass the Tenant caps in `spec.gpu.deviceClasses[].maxDevices`, the devices of that
class this object will hold at its worst case — a ResourceClaim once, a workload's claim templates and
DeviceClass resources per pod (the counts of GPU006, `policies.gpu_demand`) — plus the devices of that class the
tenant's other claims and pods already hold in every namespace, do not exceed the cap. Devices are counted as
ResourceQuota's `<class>.deviceclass.resource.k8s.io/devices` counts them: an exact count, `All` as 32, a
`firstAvailable` request as its largest alternative per class, so the same numbers can back the webhook with a
quota (`policies.dra_quota`). On update, a class whose count does not grow is never refused.

Why it matters: GPU-equivalents (GPU006) bound a tenant's compute; per-class caps bound what the platform carved
for it — four H100s of the `h100.example.com` class, fourteen 1g slices of a MIG class — whatever else the
tenant holds.

Fix: claim fewer devices of that class, free claims the tenant no longer uses (a claim holds its devices from
its creation), or ask the platform team to raise `spec.gpu.deviceClasses[].maxDevices`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies import dra
from tenantguard.policies.context import Context
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
    template_claim,
    uses_claim,
)
from tenantguard.policies.scaling import HPA_KIND
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None or ctx.tenant.gpu is None:
        return
    caps = {n: c.max_devices for n, c in ctx.tenant.gpu.device_classes.items() if c.max_devices is not None}
    wanted = demand(subject, ctx) if caps else None
    if wanted is None:
        return
    needs = {name: n for name, n in wanted.classes().items() if name in caps}
    if not needs:
        return
    old = before(subject, ctx)
    had = old.classes() if old is not None else {}
    held = ctx.cluster.gpu_usage(ctx.tenant.name, exclude=wanted.replaces).classes
    for name, need in needs.items():
        in_use = held.get(name, 0)
        if not exceeds_cap(need, had.get(name, 0), in_use, caps[name]):
            continue
        context = held_elsewhere(ctx, str(in_use), str(need + in_use))
        yield Finding(
            path=dotted(wanted.biggest(device_class=name).count_path),
            message=f"{subject.kind} needs {need} {name} devices ({wanted.detail(device_class=name)}) and {context} "
            f"the cap of {caps[name]} (spec.gpu.deviceClasses[{name!r}].maxDevices)",
        )


RULE = Rule(
    id="GPU020",
    slug="device-class-caps",
    title="A tenant's DRA devices of each DeviceClass stay within its per-class cap",
    category=Category.GPU,
    severity=Severity.ERROR,
    pod_templates=True,
    kinds=frozenset({HPA_KIND}) | dra.CLAIM_KINDS,
    scale=True,
    fix="claim fewer devices of the class, delete claims the tenant no longer uses, "
    "or raise spec.gpu.deviceClasses[].maxDevices",
    why="Each DeviceClass is carved per tenant; a ResourceQuota counts these same devices.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=claim("pair", exact("gpu.nvidia.com", 2)), note="2 of acme's 4 gpu.nvidia.com"),
        Example(
            object=deployment(2, uses_claim(container({"cpu": "1"})), resourceClaims=[template_claim("two")]),
            related=(claim_template("two", exact("gpu.nvidia.com", 2)),),
            note="2 pods x 2 = 4, the cap",
        ),
    ),
    denied=(
        Example(
            object=deployment(3, uses_claim(container({"cpu": "1"})), resourceClaims=[template_claim("two")]),
            related=(claim_template("two", exact("gpu.nvidia.com", 2)),),
            note="3 pods x 2 = 6 > 4, though 6 is under maxTotal",
        ),
        Example(
            object=claim("fallback", first_available=[exact("gpu.nvidia.com", 5), exact("mig.nvidia.com", 1)]),
            tenant={
                "gpu": {
                    "maxPerPod": 8,
                    "maxTotal": 8,
                    "deviceClasses": [{"name": "gpu.nvidia.com", "maxDevices": 4}, {"name": "mig.nvidia.com"}],
                }
            },
            note="firstAvailable counts its largest alternative per class, as ResourceQuota does",
        ),
    ),
)
