"""RBAC004 no-escalation-in-aggregated-roles — ClusterRoles aggregated into admin/edit/view add no escalation.

What it checks: a ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-admin`, `-edit` or `-view`
= "true" grants none of what RBAC002 forbids in a tenant Role: the verbs `escalate`, `bind`,
`impersonate`; `*` verbs on `*` or on roles, users, groups or serviceaccounts; `nodes` or node subresources;
writes on `namespaces` (`rules[i].verbs` / `rules[i].resources`). Kubernetes' own ClusterRoles (`system:*`
and those labelled `kubernetes.io/bootstrapping: rbac-defaults`, such as `edit`) are not judged: the built-in
`system:aggregate-to-edit` grants impersonate on serviceaccounts by design.

Why it matters: the ClusterRole aggregation controller copies such rules into the built-in `admin`, `edit` or
`view` roles, which every tenant is bound to in its namespaces — one installed CRD chart could hand every
tenant escalate or bind at once.

Fix: remove the aggregation label, or drop the escalating verbs and resources from the ClusterRole's rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.rbac.permissions import rule_problems
from tenantguard.policies.subjects import Subject

AGGREGATE_TO = tuple(f"rbac.authorization.k8s.io/aggregate-to-{r}" for r in ("admin", "edit", "view"))


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    # Kubernetes' own roles (system:*, and admin/edit/view, labelled as its RBAC defaults) are what the
    # platform starts from; the rule is about roles someone added to the aggregation.
    if subject.name.startswith("system:") or subject.labels.get("kubernetes.io/bootstrapping") == "rbac-defaults":
        return
    into = [label.rpartition("-")[2] for label in AGGREGATE_TO if subject.labels.get(label) == "true"]
    if not into:
        return
    roles = "/".join(into)
    for path, message in rule_problems(subject.obj.get("rules")):
        yield Finding(path=path, message=f"{message} (aggregated into {roles}: every tenant has it)")


def _cluster_role(*rules: Obj) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "inference-edit", "labels": {AGGREGATE_TO[1]: "true"}},
        "rules": list(rules),
    }


_READ = {
    "apiGroups": ["serving.kserve.io"],
    "resources": ["inferenceservices"],
    "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
}

RULE = Rule(
    id="RBAC004",
    slug="no-escalation-in-aggregated-roles",
    title="ClusterRoles aggregated into admin, edit or view grant no escalation",
    category=Category.RBAC,
    severity=Severity.ERROR,
    kinds=frozenset({"ClusterRole"}),
    fix="drop escalate, bind, impersonate, '*' verbs, node and namespace writes from the rules, or remove "
    "the aggregate-to label",
    why="Aggregated rules land in the admin/edit/view roles every tenant holds, so one escalation there "
    "reaches every tenant.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_cluster_role(_READ)),
        Example(
            object={
                **_cluster_role({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
                "metadata": {"name": "platform-ops"},
            },
            note="not aggregated",
        ),
    ),
    denied=(
        Example(object=_cluster_role(_READ, {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]})),
        Example(
            object=_cluster_role({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["*"]})
        ),
    ),
)
