"""TEN005 managed-objects-protected — only the platform creates, changes or deletes managed objects.

What it checks: an object of any kind (NetworkPolicies have their own rule, NET001) that carries the managed
label (`metadata.labels["tenantguard.io/managed"]`, the settings' `managedLabel`, any value) is created,
updated or deleted only by a platform identity (settings `platformUsers` and `platformGroups`: the
reconciler, cluster administrators, Kubernetes' own controllers in kube-system). On UPDATE the stored
object decides: taking the label off is itself a change to a managed object, so "remove the label, then
delete" is refused at the first step.

Why it matters: the generated objects — the GPU ResourceQuota, the workload certificate Secret, the mesh
PeerAuthentication — are the backstops that hold when everything else fails. A tenant who could raise her
quota, swap the certificate her sidecar trusts or relax the mesh policy would walk around the boundary
without breaking any other rule.

Fix: leave the object to tenantguard; ask the platform team to change the Tenant (quota, mTLS mode), and the
reconciler rewrites what it generates.

The audit judges stored objects, whose author it cannot know: a stored managed object counts as the
platform's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.request import Operation
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject

_VERBS = {Operation.CREATE: "create", Operation.UPDATE: "change", Operation.DELETE: "delete"}


def _has_label(obj: Any, label: str) -> bool:
    meta = obj.get("metadata") if isinstance(obj, dict) else None
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return isinstance(labels, dict) and label in labels


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if subject.kind == "NetworkPolicy" or ctx.platform_owns(subject.labels):
        return
    label = ctx.settings.managed_label
    managed = _has_label(subject.obj, label)
    if ctx.operation == Operation.UPDATE:
        managed = managed or _has_label(ctx.old, label)
    if managed:
        verb = _VERBS.get(ctx.operation, "change")
        yield Finding(
            path=dotted(("metadata", "labels", label)),
            message=f"{subject.display} is managed by tenantguard; tenants cannot {verb} it",
        )


def _quota(**labels: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "tenantguard-gpu", "namespace": "acme-prod", "labels": labels},
        "spec": {"hard": {"requests.nvidia.com/gpu": "8"}},
    }


_MANAGED = _quota(**{"tenantguard.io/managed": "true", "tenantguard.io/tenant": "acme"})
_RAISED = {**_MANAGED, "spec": {"hard": {"requests.nvidia.com/gpu": "64"}}}
_UNLABELLED = _quota(**{"tenantguard.io/tenant": "acme"})
_RECONCILER = "system:serviceaccount:tenantguard-system:tenantguard"

RULE = Rule(
    id="TEN005",
    slug="managed-objects-protected",
    title="Managed objects are created, changed and deleted only by the platform",
    category=Category.TENANCY,
    severity=Severity.ERROR,
    kinds=None,
    operations=frozenset({Operation.CREATE, Operation.UPDATE, Operation.DELETE}),
    guards_managed=True,
    fix="leave tenantguard's generated objects alone; ask the platform team to change the Tenant instead",
    why="The generated quota, certificates and mesh policies are the backstops; a tenant who edits them walks "
    "around the boundary.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_UNLABELLED, note="a tenant's own quota without the managed label"),
        Example(object=_RAISED, operation="UPDATE", old=_MANAGED, user=_RECONCILER, note="the reconciler"),
        Example(object=_MANAGED, operation="DELETE", groups=("system:masters",), note="a cluster administrator"),
    ),
    denied=(
        Example(object=_MANAGED, note="a tenant creates an object with the managed label"),
        Example(object=_RAISED, operation="UPDATE", old=_MANAGED, user="alice", note="raises the GPU quota"),
        Example(object=_UNLABELLED, operation="UPDATE", old=_MANAGED, user="alice", note="takes the label off"),
        Example(object=_MANAGED, operation="DELETE", user="alice", note="deletes it"),
    ),
)
