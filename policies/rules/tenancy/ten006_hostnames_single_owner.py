"""TEN006 hostnames-single-owner — no hostname is listed by two tenants.

What it checks: no pattern in a Tenant's `spec.allowedHostnames` overlaps a pattern another Tenant lists:
the same exact name, an exact name below another's wildcard (`chat.globex.example` and `*.globex.example`),
or nested wildcards (`*.example` and `*.globex.example`). Names compare in lower case.

Why it matters: SRV013 lets a tenant's Ingresses and routes claim only its own hostnames and never a name
another Tenant lists. With overlapping lists, two tenants would both hold the overlap, and either could take
the other's users' requests on the shared gateway — just as a namespace claimed twice (TEN002) shares pods and
secrets.

Fix: remove or narrow the pattern in one of the Tenants (`*.eu.acme.example` instead of `*.example`).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.hostnames import normalise, overlapping
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    spec = subject.obj.get("spec")
    patterns = spec.get("allowedHostnames") if isinstance(spec, dict) else None
    if not isinstance(patterns, list):
        return
    others = sorted(
        (t for t in ctx.tenants.by_name.values() if t.name != subject.name and t.allowed_hostnames),
        key=lambda t: t.name,
    )
    for i, pattern in enumerate(patterns):
        if not isinstance(pattern, str):
            continue
        hits = [f"{t.name}'s {p!r}" for t in others for p in overlapping(normalise(pattern), t.allowed_hostnames or ())]
        if hits:
            yield Finding(
                path=dotted(("spec", "allowedHostnames", i)),
                message=f"hostname pattern {pattern!r} overlaps tenant {', '.join(hits)}",
            )


def _tenant(*patterns: str) -> dict[str, object]:
    return {
        "apiVersion": "tenantguard.io/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "initech"},
        "spec": {"namespaces": ["initech-prod"], "allowedHostnames": list(patterns)},
    }


RULE = Rule(
    id="TEN006",
    slug="hostnames-single-owner",
    title="Each hostname belongs to at most one tenant",
    category=Category.TENANCY,
    severity=Severity.ERROR,
    kinds=frozenset({"Tenant"}),
    fix="remove or narrow the pattern so that no other Tenant's spec.allowedHostnames matches the same names",
    why="A hostname two tenants may claim lets either take the other's users' requests on the shared gateway.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object=_tenant("*.initech.example", "chat.initech.com")),),
    denied=(
        Example(object=_tenant("chat.globex.example"), note="below globex's *.globex.example"),
        Example(object=_tenant("*.example"), note="a wildcard over acme's and globex's names"),
    ),
)
