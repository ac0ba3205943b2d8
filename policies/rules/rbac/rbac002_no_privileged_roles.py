"""RBAC002 no-privileged-roles — tenant Roles and RoleBindings grant none of the powers a tenant may never hold.

What it checks: in a tenant namespace,
- no entry of a Role's `rules` grants a forbidden power (the table below): the rule is judged the way
  kube-apiserver's RBAC authorizer matches requests, so `*` verbs, apiGroup `*`, resource `*`, `*/status`
  and subresources count as what they grant. Each offending rule is reported at `rules[i].verbs` for
  escalate, bind and impersonate and at `rules[i].resources` for the others, with the entries that grant
  them and the powers;
- a RoleBinding does not bind (`roleRef.name`) a Kubernetes ClusterRole known to grant one: `cluster-admin`
  and the `system:` roles of Kubernetes' own components (policies/rbac/bootstrap.py). The built-in `admin`,
  `edit` and `view` grant none and stay bindable. A ClusterRole the platform defined is judged where it is
  written (RBAC004 for those aggregated into admin, edit or view), not here: the binding alone does not say
  what it grants.

Impersonating ServiceAccounts is allowed, as Kubernetes' `edit` and `admin` allow it: a Role reaches only the
ServiceAccounts of its own namespace, which a tenant that creates pods can act as anyway.

Why it matters: a tenant that may write Roles — or holds `escalate` and `bind` — would otherwise grant
itself the way out: relabel its Namespace or pods through a subresource the webhook never sees, raise its
GPU quota, point a Service at another tenant's pods, or act as someone else.

Fix: bind `admin`, `edit` or `view`; list the verbs and resources a workload needs explicitly, without the
forbidden powers.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.rbac import bootstrap, powers
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.rbac.findings import power_findings
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    if subject.kind == "Role":
        yield from power_findings(subject.obj.get("rules"))
        return
    ref = subject.obj.get("roleRef")
    ref = ref if isinstance(ref, dict) else {}
    granted = bootstrap.GRANTING.get(str(ref.get("name") or "")) if ref.get("kind") == "ClusterRole" else None
    if granted:
        what = "every forbidden power" if len(granted) == len(powers.FORBIDDEN) else ", ".join(granted)
        yield Finding(
            path="roleRef.name",
            message=f"ClusterRole {ref['name']!r} cannot be bound in tenant namespace {subject.namespace!r}: "
            f"it grants {what}; bind 'admin', 'edit' or 'view' instead",
        )


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
    title="Tenant roles grant none of the powers a tenant may never hold",
    category=Category.RBAC,
    severity=Severity.ERROR,
    kinds=frozenset({"Role", "RoleBinding"}),
    fix="bind the ClusterRole admin, edit or view; list explicit verbs and resources without the forbidden "
    "powers (rule reference, RBAC002)",
    why="A tenant that can grant itself namespace or pod status writes, quota, endpoint, escalate, bind or "
    "impersonate powers steps out of its tenant past every other rule.",
    check=check,
    doc=(__doc__ or "") + "\nThe forbidden powers (policies/rbac/powers.py):\n\n" + powers.markdown(),
    allowed=(
        Example(object=_binding("admin"), note="admin in the tenant's own namespace"),
        Example(object=_binding("edit")),
        Example(
            object=_role(
                {
                    "apiGroups": ["", "apps"],
                    "resources": ["pods", "deployments"],
                    "verbs": ["get", "list", "watch", "create", "update"],
                },
                {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]},
            ),
            note="impersonating the namespace's ServiceAccounts, as edit does",
        ),
    ),
    denied=(
        Example(object=_binding("cluster-admin")),
        Example(object=_binding("system:controller:endpointslice-controller")),
        Example(object=_role({"apiGroups": [""], "resources": ["namespaces/status"], "verbs": ["update"]})),
        Example(object=_role({"apiGroups": ["*"], "resources": ["*/status"], "verbs": ["patch"]})),
        Example(object=_role({"apiGroups": [""], "resources": ["resourcequotas"], "verbs": ["update"]})),
        Example(object=_role({"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["*"]})),
        Example(object=_role({"apiGroups": [RBAC], "resources": ["roles"], "verbs": ["escalate", "bind"]})),
        Example(object=_role({"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]})),
        Example(object=_role({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})),
    ),
)
