"""GPU019 device-selectors-read — the GPU rules can read what a DRA selector picks.

What it checks: every CEL selector of a ResourceClaim or ResourceClaimTemplate request that mentions a device
attribute the GPU rules read — `type`, `profile` or `productName` of `device.attributes["gpu.nvidia.com"]` —
pins it in a form they can read: a top-level conjunction (`&&`) of `==` comparisons with a string or `in`
lists of strings (`policies.cel`). A warning, not a denial: the device is then weighed as a full GPU in every
cap (the worst case), and the tenant's `migProfiles` / `productNames` for its class are not checked (GPU018).

Why it matters: CEL is a programming language; admission cannot evaluate it against devices it does not see.
Rather than guess, tenantguard counts what it cannot read at its worst and says so, so that a claim for a 1g
slice written as `profile.startsWith("1g")` is not silently billed — or refused — as a whole GPU.

Fix: write the selector as `device.attributes["gpu.nvidia.com"].profile == "1g.10gb"` (or `in [...]`), joined
to any other condition with `&&`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies import cel, dra
from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import claim, exact
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    spec = dra.claim_spec(subject.obj)
    if ctx.tenant is None or spec is None or dra.unchanged(subject.obj, ctx.old):
        return
    for choice in spec.choices():
        for path, expression in choice.selectors:
            unread = cel.read(expression).unread
            if unread:
                yield Finding(
                    path=dotted(path),
                    message=f"request {choice.name!r}: {' and '.join(sorted(unread))} unreadable, so it counts as a "
                    "full GPU, unchecked",
                )


RULE = Rule(
    id="GPU019",
    slug="device-selectors-read",
    title="DRA selectors pin device type, profile and product in a form the rules can read",
    category=Category.GPU,
    severity=Severity.WARNING,
    kinds=dra.CLAIM_KINDS,
    fix='compare device.attributes["gpu.nvidia.com"].profile (or .productName) with == or in [...], joined by &&',
    why="Admission cannot evaluate CEL against devices; what it cannot read it counts as a whole GPU.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(
            object=claim(
                "slice",
                exact(
                    "mig.nvidia.com",
                    1,
                    "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].profile == '1g.10gb'",
                ),
            )
        ),
        Example(
            object=claim(
                "big",
                exact("gpu.nvidia.com", 1, "device.capacity['gpu.nvidia.com'].memory.compareTo(quantity('80Gi')) >= 0"),
            ),
            note="selects by memory: nothing the rules read",
        ),
    ),
    denied=(
        Example(
            object=claim(
                "slice", exact("mig.nvidia.com", 1, 'device.attributes["gpu.nvidia.com"].profile.startsWith("1g")')
            )
        ),
        Example(
            object=claim(
                "either",
                exact(
                    "mig.nvidia.com",
                    1,
                    'device.attributes["gpu.nvidia.com"].profile == "1g.10gb" || device.attributes["gpu.nvidia.com"]'
                    '.profile == "7g.80gb"',
                ),
            ),
            note="|| makes each comparison optional",
        ),
    ),
)
