"""TEN003 tenant-label-immutable — the tenant label never changes on update.

What it checks: on UPDATE, `metadata.labels[<tenant label>]` equals the old object's value when the old
object had one. (A pod template's label is held to the namespace's tenant by TEN004 on every write.) One change
is the platform's to make: a platform identity (the reconciler, an administrator) may set a Namespace's label to
the Tenant that lists the namespace now, or remove it when no Tenant lists it — the Tenants' `spec.namespaces`
decide who owns a namespace, the label follows.

Why it matters: relabelling an object or namespace is how a workload would hop into another tenant's
network policies and quota.

Fix: keep the label; to move a workload, delete it and create it in the other tenant's namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject


def _label(obj: Any, label: str) -> Any:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return labels.get(label) if isinstance(labels, dict) else None


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.operation != "UPDATE" or ctx.old is None:
        return
    before, after = _label(ctx.old, ctx.label), subject.labels.get(ctx.label)
    if subject.kind == "Namespace" and ctx.by_platform and after == ctx.tenants.owner_of.get(subject.name):
        return  # the label follows the Tenants (TEN001 holds it to them)
    if before is not None and after != before:
        yield Finding(
            path=dotted(("metadata", "labels", ctx.label)),
            message=f"tenant label cannot change from {before!r} to {after!r}",
        )


_NS = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": "acme-dev", "labels": {"tenantguard.io/tenant": "acme"}},
}

RULE = Rule(
    id="TEN003",
    slug="tenant-label-immutable",
    title="The tenant label cannot be changed",
    category=Category.TENANCY,
    severity=Severity.ERROR,
    kinds=None,
    fix="keep the original tenant label; recreate the object in the other tenant's namespace instead",
    why="Changing the label would move an object into another tenant's policies and quota.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_NS, operation="UPDATE", old=_NS, note="UPDATE that keeps the label"),
        Example(
            object={**_NS, "metadata": {"name": "acme-dev", "labels": {"tenantguard.io/tenant": "acme"}}},
            operation="UPDATE",
            old={**_NS, "metadata": {"name": "acme-dev", "labels": {"tenantguard.io/tenant": "globex"}}},
            user="system:serviceaccount:tenantguard-system:tenantguard",
            note="the reconciler relabels a namespace that a Tenant lists now",
        ),
    ),
    denied=(
        Example(
            object={**_NS, "metadata": {"name": "acme-dev", "labels": {"tenantguard.io/tenant": "globex"}}},
            operation="UPDATE",
            old=_NS,
            note="UPDATE from acme to globex",
        ),
        Example(
            object={**_NS, "metadata": {"name": "acme-dev", "labels": {"tenantguard.io/tenant": "globex"}}},
            operation="UPDATE",
            old=_NS,
            user="system:serviceaccount:tenantguard-system:tenantguard",
            note="not even the platform moves a namespace away from the Tenant that lists it",
        ),
    ),
)
