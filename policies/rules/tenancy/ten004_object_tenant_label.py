"""TEN004 object-tenant-label — every object in a tenant namespace carries that tenant's label.

What it checks: a namespaced object in a tenant namespace has `metadata.labels[<tenant label>]` equal
to the owning tenant, and so does every pod template it carries (`spec.template.metadata.labels`, …),
so the pods it creates are labelled too.

Why it matters: reports, quotas and NetworkPolicy peers select tenant pods by this label; an object
labelled for another tenant is selected by that tenant's policies.

Fix: drop the label and let the webhook add it, or set it to the namespace's tenant.
The mutation TEN004-M adds missing labels on create and update.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Patch, Severity
from tenantguard.policies.paths import Path, dotted, pointer
from tenantguard.policies.rule import Example, Mutator, Rule
from tenantguard.policies.subjects import Subject


def _label_sites(subject: Subject) -> Iterator[tuple[Path, Any]]:
    """(metadata path, metadata dict or None) for the object and each pod template it carries."""
    yield ("metadata",), subject.obj.get("metadata")
    for pod in subject.pods:
        if pod.meta_path is not None and pod.meta_path != ("metadata",):
            yield pod.meta_path, pod.meta


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None or subject.kind == "Namespace":
        return
    want = ctx.tenant.name
    for meta_path, meta in _label_sites(subject):
        labels = meta.get("labels") if isinstance(meta, dict) else None
        value = labels.get(ctx.label) if isinstance(labels, dict) else None
        if value != want:
            got = f"is {value!r}" if value is not None else "is missing"
            yield Finding(
                path=dotted((*meta_path, "labels", ctx.label)),
                message=f"objects in namespace {subject.namespace!r} belong to tenant {want!r}; label {got}",
            )


def mutate(subject: Subject, ctx: Context) -> list[Patch]:
    """Add the tenant label where it is missing; never overwrite a present one (TEN004 judges that)."""
    if ctx.tenant is None:
        return []
    want = ctx.tenant.name
    ops: list[Patch] = []
    for meta_path, meta in _label_sites(subject):
        if not isinstance(meta, dict):
            ops.append({"op": "add", "path": pointer(meta_path), "value": {"labels": {ctx.label: want}}})
            continue
        labels = meta.get("labels")
        if not isinstance(labels, dict):
            ops.append({"op": "add", "path": pointer((*meta_path, "labels")), "value": {ctx.label: want}})
        elif ctx.label not in labels:
            ops.append({"op": "add", "path": pointer((*meta_path, "labels", ctx.label)), "value": want})
    return ops


def _cm(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "prompts", "namespace": "acme-prod", "labels": labels},
    }


RULE = Rule(
    id="TEN004",
    slug="object-tenant-label",
    title="Objects in a tenant namespace carry that tenant's label",
    category=Category.TENANCY,
    severity=Severity.ERROR,
    kinds=None,
    fix="remove the tenant label (the webhook adds the right one) or set it to the namespace's tenant",
    why="Network policies, quotas and reports select a tenant's objects by this label; a wrong one hands the "
    "object to another tenant.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object=_cm({"tenantguard.io/tenant": "acme"})),),
    denied=(
        Example(object=_cm({"tenantguard.io/tenant": "globex"})),
        Example(object=_cm({}), note="missing (lint and audit see it; admission adds it first)"),
    ),
)

# Namespaces too: a claimed namespace gets its owner's label (TEN001 judges a wrong one).
MUTATOR = Mutator(id="TEN004-M", title="Add the tenant label to namespaces, objects and pod templates", mutate=mutate)
