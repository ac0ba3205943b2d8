"""NET001 managed-policy-protected — tenants cannot create or change the managed baseline NetworkPolicies.

What it checks: a NetworkPolicy that a tenant creates neither carries the managed label
(`metadata.labels["tenantguard.io/managed"]`, the settings' `managedLabel`, any value) nor a name starting
with `tenantguard-`; on UPDATE, neither did the old object (removing the label does not unmanage it); on
DELETE, the stored object is not a managed one. Platform identities (settings `platformUsers`,
`platformGroups`: the reconciler) may do all three.

Why it matters: the baseline policies (default deny for ingress and egress, allow same tenant, allow DNS,
allow the gateway namespaces) are what keep one tenant's model servers out of reach of another's. A tenant
who could rewrite or impersonate them could open their namespace to everyone, or shadow the baseline with
a look-alike the reconciler then treats as its own.

Fix: name your own policies without the `tenantguard-` prefix and without the managed label; NetworkPolicies
add up, so allow extra traffic with a policy of your own instead of editing the baseline.

The audit judges stored objects, whose author it cannot know: a stored managed policy counts as the
platform's (whether it matches what the reconciler wants is the reconciler's check).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.fields import mapping
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.request import Operation
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject

PREFIX = "tenantguard-"


def _claims(obj: Obj, label: str) -> tuple[bool, bool]:
    """(carries the managed label, has the managed name prefix)."""
    meta = mapping(obj.get("metadata"))
    name = meta.get("name") or meta.get("generateName") or ""
    return label in mapping(meta.get("labels")), isinstance(name, str) and name.startswith(PREFIX)


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None or ctx.platform_owns(subject.labels):
        return
    label = ctx.settings.managed_label
    has_label, has_prefix = _claims(subject.obj, label)
    label_path = dotted(("metadata", "labels", label))
    if ctx.operation == "DELETE":
        if has_label or has_prefix:
            yield Finding(
                path=label_path,
                message=f"{subject.name!r} is a managed baseline policy; tenants cannot delete it",
            )
        return
    if has_label:
        yield Finding(
            path=label_path, message=f"label {label!r} marks a managed baseline policy; tenants cannot set it"
        )
    if has_prefix:
        yield Finding(
            path="metadata.name",
            message=f"names starting with {PREFIX!r} are reserved for managed baseline policies",
        )
    if ctx.operation == "UPDATE" and ctx.old is not None and not (has_label or has_prefix):
        old_label, old_prefix = _claims(ctx.old, label)
        if old_label or old_prefix:
            yield Finding(
                path=label_path,
                message=f"{subject.name!r} is a managed baseline policy; tenants cannot change it",
            )


def _netpol(name: str, labels: dict[str, str]) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": name,
            "namespace": "acme-prod",
            "labels": {"tenantguard.io/tenant": "acme", **labels},
        },
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


_MANAGED = _netpol("tenantguard-default-deny", {"tenantguard.io/managed": "true"})

RULE = Rule(
    id="NET001",
    slug="managed-policy-protected",
    title="Managed baseline NetworkPolicies cannot be created or changed by tenants",
    category=Category.NETWORK,
    severity=Severity.ERROR,
    kinds=frozenset({"NetworkPolicy"}),
    operations=frozenset({Operation.CREATE, Operation.UPDATE, Operation.DELETE}),
    guards_managed=True,
    fix="leave the tenantguard-* policies to the platform; add your own policy (another name, no managed "
    "label) to allow extra traffic",
    why="The baseline policies isolate tenants from each other; a tenant who edits them can open its pods to "
    "every other tenant.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_netpol("allow-frontend", {}), note="a tenant's own policy"),
        Example(object=_MANAGED, user="system:serviceaccount:tenantguard-system:tenantguard", note="the reconciler"),
        Example(object=_MANAGED, operation="DELETE", groups=("system:masters",), note="an admin deletes it"),
    ),
    denied=(
        Example(object=_MANAGED, note="claims the managed name and label"),
        Example(object=_netpol("tenantguard-allow-all", {}), note="reserved name prefix"),
        Example(object=_netpol("my-policy", {"tenantguard.io/managed": "false"}), note="managed label, any value"),
        Example(object=_MANAGED, operation="DELETE", user="alice", groups=("acme-devs",), note="a tenant deletes it"),
        Example(
            object=_netpol("tenantguard-default-deny", {}),
            operation="UPDATE",
            old=_MANAGED,
            user="alice",
            note="removing the label does not unmanage it",
        ),
    ),
)
