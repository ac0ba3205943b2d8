"""GPU018 device-selectors-allowed — DRA requests pin a MIG profile and product the tenant is allowed.

What it checks: for a request (or `firstAvailable` alternative) of a DeviceClass whose entry in the Tenant's
`spec.gpu.deviceClasses` lists `migProfiles` or `productNames`, the CEL selectors — the request's and, where the
DeviceClass is known, the class's own — pin the device's `profile` (or `productName`) to values from that list:
`device.attributes["gpu.nvidia.com"].profile == "1g.10gb"`, or `... in ["1g.10gb", "3g.40gb"]`. A pinned value
outside the list is refused, and so is a request whose selectors do not mention the attribute at all. A selector
that mentions it in a form this version cannot read (`||`, `startsWith`, `cel.bind`, …) is not refused here:
GPU019 warns that it was not checked (`policies.cel`). An update that leaves a claim's requests as they were is
not judged.

Why it matters: with the device plugin a tenant's MIG allowance is a list of resource names; with DRA one
DeviceClass (NVIDIA's `mig.nvidia.com`) offers every profile of every GPU, and the selector picks. Without this
check a tenant allowed 1g.10gb slices claims a 7g.80gb one (a whole GPU's compute) through the same class.

Fix: add or correct the selector so it names an allowed profile or product. To hold an allowance that no selector
can get around, give the tenant DeviceClasses whose own selectors pin the profile (one class per profile).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import claim, exact
from tenantguard.policies.subjects import Subject

_ATTRIBUTES = (("profile", "migProfiles", "MIG profile"), ("productName", "productNames", "product"))


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    spec = dra.claim_spec(subject.obj)
    if ctx.tenant is None or ctx.tenant.gpu is None or spec is None or dra.unchanged(subject.obj, ctx.old):
        return
    for choice in spec.choices():
        entry = ctx.tenant.gpu.device_classes.get(choice.device_class)
        if entry is None:
            continue  # GPU015
        facts = dra.facts_of(choice, ctx.cluster.device_classes)
        for attribute, field, what in _ATTRIBUTES:
            allowed = entry.mig_profiles if attribute == "profile" else entry.product_names
            if allowed is None:
                continue
            pinned = facts.values(attribute)
            listed = ", ".join(sorted(allowed)) or "none"
            where = f"spec.gpu.deviceClasses[{choice.device_class!r}].{field}"
            if pinned is None and attribute not in facts.unread:
                yield Finding(
                    path=dotted(choice.path),
                    message=f"request {choice.name!r} of {choice.device_class!r} does not pin the {what}: select "
                    f'device.attributes["gpu.nvidia.com"].{attribute} from {listed} ({where})',
                )
            elif pinned is not None and not pinned <= allowed:
                outside = ", ".join(sorted(pinned - allowed))
                yield Finding(
                    path=dotted((*choice.path, "selectors")),
                    message=f"request {choice.name!r} selects {what} {outside}, not allowed for tenant "
                    f"{ctx.tenant.name!r} in {choice.device_class!r} — allowed: {listed} ({where})",
                )


_PROFILE = 'device.attributes["gpu.nvidia.com"].profile == "{}"'

RULE = Rule(
    id="GPU018",
    slug="device-selectors-allowed",
    title="DRA requests pin a MIG profile and product the tenant is allowed",
    category=Category.GPU,
    severity=Severity.ERROR,
    kinds=dra.CLAIM_KINDS,
    fix='select an allowed profile or product (device.attributes["gpu.nvidia.com"].profile == "1g.10gb"), '
    "or ask the platform team to allow it in spec.gpu.deviceClasses",
    why="One DRA class offers every MIG profile; the selector picks, so the tenant's profile list must hold there.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=claim("slice", exact("mig.nvidia.com", 2, _PROFILE.format("1g.10gb")))),
        Example(
            object=claim(
                "slice",
                exact("mig.nvidia.com", 1, 'device.attributes["gpu.nvidia.com"].profile in ["1g.10gb", "3g.40gb"]'),
            ),
            note="a list within the allowance",
        ),
    ),
    denied=(
        Example(object=claim("slice", exact("mig.nvidia.com", 1, _PROFILE.format("7g.80gb"))), note="a whole GPU"),
        Example(object=claim("slice", exact("mig.nvidia.com", 1)), note="any profile at all"),
    ),
)
