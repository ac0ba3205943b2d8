"""RBAC001 rolebinding-tenant-subjects — RoleBindings in a tenant namespace bind only that tenant's subjects.

What it checks: every entry of `subjects` in a RoleBinding in a tenant namespace is one of the Tenant's
owners or members (same kind and name), a ServiceAccount in one of the tenant's namespaces (no namespace
means the binding's own), the user `system:serviceaccount:<ns>:<name>` of such a ServiceAccount, or the
group `system:serviceaccounts:<ns>` of a tenant namespace. Anything else is denied; when the subject belongs
to another tenant, the message names that tenant. Cluster-wide groups (`system:authenticated`,
`system:serviceaccounts`) are denied too: they contain every tenant's users.

Why it matters: a RoleBinding is how a tenant would hand its namespace — its model weights in Secrets and
PVCs, its GPU pods, its endpoints — to another tenant's users or workloads.

Fix: bind the Tenant's owners or members, or ServiceAccounts of the tenant's own namespaces; to share with
another team, add it to the Tenant's `spec.members`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.rbac.subjects import EVERYONE, members, subjects
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None:
        return
    index = members(ctx.tenants)
    for ref in subjects(subject.obj, subject.namespace):
        owners = index.tenants_of(ref.identity)
        if tenant.name in owners:
            continue
        if ref.kind == "Group" and ref.name in EVERYONE:
            why = "contains the users of every tenant"
        elif owners:
            why = f"belongs to tenant {', '.join(repr(o) for o in owners)}"
        else:
            why = "is not an owner or member"
        yield Finding(
            path=ref.path,
            message=f"{ref.display} {why}; RoleBindings in {subject.namespace!r} may bind only "
            f"subjects of tenant {tenant.name!r}",
        )


RBAC = "rbac.authorization.k8s.io"


def _binding(*subjects: Obj) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "devs", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "edit"},
        "subjects": list(subjects),
    }


RULE = Rule(
    id="RBAC001",
    slug="rolebinding-tenant-subjects",
    title="RoleBindings in a tenant namespace bind only that tenant's subjects",
    category=Category.RBAC,
    severity=Severity.ERROR,
    kinds=frozenset({"RoleBinding"}),
    fix="bind only the Tenant's owners and members or ServiceAccounts of its namespaces (add others to the "
    "Tenant's spec.members)",
    why="A RoleBinding to an outsider hands the tenant's secrets, model weights and GPU pods to another tenant.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(
            object=_binding(
                {"kind": "Group", "name": "acme-devs", "apiGroup": RBAC},
                {"kind": "ServiceAccount", "name": "ci"},
                {"kind": "ServiceAccount", "name": "trainer", "namespace": "acme-dev"},
                {"kind": "Group", "name": "system:serviceaccounts:acme-dev", "apiGroup": RBAC},
            )
        ),
    ),
    denied=(
        Example(
            object=_binding({"kind": "Group", "name": "globex-devs", "apiGroup": RBAC}),
            note="another tenant's group",
        ),
        Example(
            object=_binding({"kind": "ServiceAccount", "name": "default", "namespace": "globex-prod"}),
            note="another tenant's ServiceAccount",
        ),
        Example(object=_binding({"kind": "Group", "name": "system:authenticated", "apiGroup": RBAC})),
        Example(object=_binding({"kind": "User", "name": "mallory", "apiGroup": RBAC}), note="unknown user"),
    ),
)
