"""TEN002 namespace-single-owner — no namespace is claimed by two tenants.

What it checks: every namespace in a Tenant's `spec.namespaces` is listed by no other Tenant.

Why it matters: a namespace shared by two tenants gives each the other's pods, secrets and GPU quota.

Fix: remove the namespace from one of the Tenants.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    namespaces = (subject.obj.get("spec") or {}).get("namespaces")
    if not isinstance(namespaces, list):
        return
    for i, ns in enumerate(namespaces):
        others = sorted(t.name for t in ctx.tenants.by_name.values() if t.name != subject.name and ns in t.namespaces)
        if others:
            yield Finding(
                path=f"spec.namespaces[{i}]",
                message=f"namespace {ns!r} is already claimed by tenant {', '.join(others)}",
            )


_GLOBEX_CLAIMS_ACME = {
    "apiVersion": "tenantguard.io/v1alpha1",
    "kind": "Tenant",
    "metadata": {"name": "initech"},
    "spec": {"namespaces": ["initech-prod", "acme-dev"]},
}

RULE = Rule(
    id="TEN002",
    slug="namespace-single-owner",
    title="Each namespace belongs to at most one tenant",
    category=Category.TENANCY,
    severity=Severity.ERROR,
    kinds=frozenset({"Tenant"}),
    fix="remove the namespace from all but one Tenant's spec.namespaces",
    why="A namespace claimed twice shares pods, secrets and GPU quota between tenants.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object={**_GLOBEX_CLAIMS_ACME, "spec": {"namespaces": ["initech-prod"]}}),),
    denied=(Example(object=_GLOBEX_CLAIMS_ACME),),
)
