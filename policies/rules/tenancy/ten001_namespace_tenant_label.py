"""TEN001 namespace-tenant-label — a tenant namespace carries the label of the Tenant that owns it.

What it checks: a Namespace listed in a Tenant's `spec.namespaces` has `metadata.labels[<tenant label>]`
equal to that Tenant's name, and a Namespace carrying the label names a Tenant that lists it.

Why it matters: NetworkPolicies, quotas and reports select tenants by this label. A namespace whose
label names another tenant would be reachable from, and counted as, that tenant.

Fix: let the webhook add the label (it does on create), or set it to the owning Tenant's name; to move
a namespace, change the Tenants' `spec.namespaces`, not the label.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    value = subject.labels.get(ctx.label)
    path = dotted(("metadata", "labels", ctx.label))
    owner = ctx.tenants.owner_of.get(subject.name)
    if owner is not None and value != owner:
        got = f"is {value!r}" if value is not None else "is missing"
        yield Finding(path=path, message=f"namespace {subject.name!r} belongs to tenant {owner!r} but the label {got}")
    elif owner is None and value is not None:
        yield Finding(
            path=path,
            message=f"label claims tenant {value!r}, but no Tenant lists namespace {subject.name!r} in spec.namespaces",
        )


RULE = Rule(
    id="TEN001",
    slug="namespace-tenant-label",
    title="Tenant namespaces carry their owner's tenant label",
    category=Category.TENANCY,
    severity=Severity.ERROR,
    kinds=frozenset({"Namespace"}),
    fix="set the tenant label to the Tenant that lists this namespace (or add it to that Tenant's spec.namespaces)",
    why="Policies, quotas and reports find a tenant's namespaces by this label; a wrong label moves the namespace "
    "into another tenant's network and quota.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(
            object={
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
            }
        ),
        Example(
            object={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-tools"}},
            note="not claimed by any tenant, no label",
        ),
    ),
    denied=(
        Example(
            object={
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "acme-prod", "labels": {"tenantguard.io/tenant": "globex"}},
            }
        ),
        Example(
            object={
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": "stray", "labels": {"tenantguard.io/tenant": "acme"}},
            },
            note="the label claims a tenant that does not list the namespace",
        ),
    ),
)
