"""RBAC002 no-privileged-roles — tenant Roles and RoleBindings grant no escalation or cluster power.

What it checks: a RoleBinding in a tenant namespace does not reference the ClusterRole `cluster-admin`
(`roleRef.name`; the built-in `admin`, `edit` and `view` are fine in the tenant's own namespace). A Role in a
tenant namespace does not grant, in any `rules[i]`:
- the verbs `escalate`, `bind` or `impersonate` (`rules[i].verbs`);
- `*` verbs on `*` resources, or on roles, clusterroles, users, groups or serviceaccounts (`*` includes the
  three verbs above);
- `nodes` or a node subresource such as `nodes/proxy` (`rules[i].resources`);
- write verbs on `namespaces` (or on `*`): they would let the holder rewrite its own Namespace's labels.

Why it matters: these are the permissions that turn a namespace administrator into a cluster administrator —
and a cluster administrator can read every tenant's model weights and prompts.

Fix: bind `admin`, `edit` or `view`; list the verbs and resources the workload needs explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.rbac.permissions import rule_problems
from tenantguard.policies.subjects import Subject

FORBIDDEN_CLUSTER_ROLES = frozenset({"cluster-admin"})


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    if subject.kind == "RoleBinding":
        ref = subject.obj.get("roleRef")
        ref = ref if isinstance(ref, dict) else {}
        if ref.get("kind") == "ClusterRole" and ref.get("name") in FORBIDDEN_CLUSTER_ROLES:
            yield Finding(
                path="roleRef.name",
                message=f"ClusterRole {ref['name']!r} cannot be bound in tenant namespace "
                f"{subject.namespace!r}; bind 'admin' for full control of the namespace",
            )
    elif subject.kind == "Role":
        for path, message in rule_problems(subject.obj.get("rules")):
            yield Finding(path=path, message=message)


RBAC = "rbac.authorization.k8s.io"
_META: Obj = {"name": "ops", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}


def _binding(role: str) -> Obj:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": _META,
        "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": role},
        "subjects": [{"kind": "Group", "name": "acme-admins", "apiGroup": RBAC}],
    }


def _role(*rules: Obj) -> Obj:
    return {"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": _META, "rules": list(rules)}


RULE = Rule(
    id="RBAC002",
    slug="no-privileged-roles",
    title="Tenant roles grant no escalate, bind, impersonate or cluster-admin power",
    category=Category.RBAC,
    severity=Severity.ERROR,
    kinds=frozenset({"Role", "RoleBinding"}),
    fix="bind the ClusterRole admin, edit or view instead of cluster-admin; list explicit verbs and "
    "resources without escalate, bind, impersonate, nodes or namespace writes",
    why="Escalate, bind, impersonate and cluster-admin turn a namespace administrator into a cluster "
    "administrator who can read every tenant's models and prompts.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_binding("admin"), note="admin in the tenant's own namespace"),
        Example(
            object=_role(
                {
                    "apiGroups": ["", "apps"],
                    "resources": ["pods", "deployments"],
                    "verbs": ["get", "list", "watch", "create", "update"],
                }
            )
        ),
    ),
    denied=(
        Example(object=_binding("cluster-admin")),
        Example(object=_role({"apiGroups": [RBAC], "resources": ["roles"], "verbs": ["escalate", "bind"]})),
        Example(object=_role({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})),
        Example(object=_role({"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]})),
        Example(object=_role({"apiGroups": [""], "resources": ["namespaces"], "verbs": ["patch"]})),
    ),
)
