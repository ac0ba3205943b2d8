"""RBAC003 no-clusterrolebinding-for-tenant-subjects — no ClusterRoleBinding names a tenant's subject.

What it checks: no entry of a ClusterRoleBinding's `subjects` belongs to a tenant: a Tenant's owners or
members, a ServiceAccount in a tenant namespace (or its user name `system:serviceaccount:<ns>:<name>`), or the
group `system:serviceaccounts:<ns>` of a tenant namespace. The cluster-wide groups `system:authenticated` and
`system:serviceaccounts` contain every tenant's subjects; they are denied unless the role is one of
Kubernetes' own `system:` ClusterRoles (discovery, basic-user and the like, bound that way by default).
The rule judges ClusterRoleBindings although they belong to no tenant.

Why it matters: a ClusterRoleBinding grants its role in every namespace, so even a read-only role bound to a
tenant lets it list the Secrets, models and endpoints of every other tenant.

Fix: grant the tenant a RoleBinding in each of its own namespaces instead; platform access for a tenant's
tooling belongs in a platform-owned ServiceAccount outside the tenant's namespaces.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.rbac.subjects import EVERYONE, members, subjects
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    ref = subject.obj.get("roleRef")
    role = str(ref.get("name") or "") if isinstance(ref, dict) else ""
    index = members(ctx.tenants)
    for s in subjects(subject.obj):
        owners = index.tenants_of(s.identity)
        if owners:
            names = ", ".join(repr(o) for o in owners)
            yield Finding(
                path=s.path,
                message=f"{s.display} belongs to tenant {names}; a ClusterRoleBinding would grant "
                f"ClusterRole {role!r} in every tenant's namespaces",
            )
        elif s.kind == "Group" and s.name in EVERYONE and not role.startswith("system:"):
            yield Finding(
                path=s.path,
                message=f"group {s.name!r} contains every tenant's subjects; binding ClusterRole "
                f"{role!r} to it cluster-wide crosses every tenant boundary",
            )


RBAC = "rbac.authorization.k8s.io"


def _crb(role: str, *subjects: Obj) -> Obj:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "readers"},
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        "subjects": list(subjects),
    }


RULE = Rule(
    id="RBAC003",
    slug="no-clusterrolebinding-for-tenant-subjects",
    title="No ClusterRoleBinding grants anything to a tenant's subjects",
    category=Category.RBAC,
    severity=Severity.ERROR,
    kinds=frozenset({"ClusterRoleBinding"}),
    fix="use a RoleBinding in each of the tenant's namespaces instead of a ClusterRoleBinding",
    why="A ClusterRoleBinding applies in every namespace, so a tenant subject in it reaches every other "
    "tenant's secrets and models.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(
            object=_crb("view", {"kind": "ServiceAccount", "name": "audit", "namespace": "tenantguard-system"}),
            note="a platform ServiceAccount",
        ),
        Example(
            object=_crb("system:discovery", {"kind": "Group", "name": "system:authenticated", "apiGroup": RBAC}),
            note="Kubernetes' own default binding",
        ),
    ),
    denied=(
        Example(
            object=_crb("view", {"kind": "Group", "name": "acme-devs", "apiGroup": RBAC}),
            note="a tenant member group",
        ),
        Example(
            object=_crb("cluster-admin", {"kind": "ServiceAccount", "name": "ci", "namespace": "globex-prod"}),
            note="a ServiceAccount in a tenant namespace",
        ),
        Example(object=_crb("view", {"kind": "Group", "name": "system:serviceaccounts:acme-dev", "apiGroup": RBAC})),
        Example(
            object=_crb("edit", {"kind": "Group", "name": "system:authenticated", "apiGroup": RBAC}),
            note="everyone, every tenant",
        ),
    ),
)
