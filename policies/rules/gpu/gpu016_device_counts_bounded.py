"""GPU016 device-counts-bounded — DRA requests ask for a known number of devices.

What it checks: in a ResourceClaim or ResourceClaimTemplate, every request (`exactly`, and every `firstAvailable`
alternative) has `allocationMode` ExactCount (the default; `count` defaults to 1) — never `All`, and no mode this
version does not know — and the claim requests at least one device. `firstAvailable` itself is allowed: its
alternatives are judged at their worst case by the caps (GPU005, GPU006, GPU020: the largest count per class,
the heaviest alternative). An update that leaves a claim's requests as they were is not judged.

Why it matters: `allocationMode: All` takes every matching device of the node the pod lands on — a number that
is not written anywhere an admission check can read (ResourceQuota counts it as 32, the most one allocation can
hold), so no per-pod or tenant cap can hold it; a mode the scheduler may learn later means the same. A claim
that asks for nothing is allocated at once and lets its pod pass as a DRA GPU pod (GPU007) onto a GPU node
without holding a GPU.

Fix: set `allocationMode: ExactCount` (or leave it out) with the `count` the pod needs; give every claim at
least one request.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.gpu.samples import claim, claim_template, exact
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    spec = dra.claim_spec(subject.obj)
    if ctx.tenant is None or spec is None or dra.unchanged(subject.obj, ctx.old):
        return
    if not spec.requests:
        yield Finding(
            path=dotted((*spec.path, "requests")),
            message=f"{subject.kind} requests no device: its pods would pass as DRA GPU pods without holding one",
        )
    for choice in spec.choices():
        if choice.mode == dra.ALL:
            yield Finding(
                path=dotted((*choice.path, "allocationMode")),
                message=f"request {choice.name!r}: allocationMode All takes every matching device of the node, a "
                f"number no admission check can read (ResourceQuota counts {dra.ALL_COUNT}); ask for an exact count",
            )
        elif choice.mode not in ("", dra.EXACT):
            yield Finding(
                path=dotted((*choice.path, "allocationMode")),
                message=f"request {choice.name!r}: allocationMode {choice.mode!r} is not one whose device count "
                f"is known ({dra.EXACT})",
            )


RULE = Rule(
    id="GPU016",
    slug="device-counts-bounded",
    title="DRA requests ask for an exact number of devices",
    category=Category.GPU,
    severity=Severity.ERROR,
    kinds=dra.CLAIM_KINDS,
    fix="use allocationMode ExactCount (the default) with a count; give the claim at least one request",
    why="allocationMode All takes a whole node's matching devices, a count no cap can check at admission.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=claim("llm", exact("gpu.nvidia.com", 2, allocationMode="ExactCount"))),
        Example(
            object=claim("fallback", first_available=[exact("gpu.nvidia.com", 1), exact("mig.nvidia.com", 2)]),
            note="firstAvailable: judged at its worst case by the caps",
        ),
    ),
    denied=(
        Example(object=claim_template("whole-node", exact("gpu.nvidia.com", None, allocationMode="All"))),
        Example(object={**claim("empty"), "spec": {"devices": {"requests": []}}}, note="a claim that asks for nothing"),
    ),
)
