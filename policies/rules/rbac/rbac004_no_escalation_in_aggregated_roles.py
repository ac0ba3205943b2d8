"""RBAC004 no-escalation-in-aggregated-roles — ClusterRoles aggregated into admin/edit/view grant no forbidden power.

What it checks: a ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-admin`, `-edit` or `-view`
= "true" grants none of the forbidden powers listed under RBAC002, judged the same way (`*`, `*/status` and
subresources count as what they grant), reported at `rules[i].verbs` or `rules[i].resources`. Kubernetes'
own aggregated roles are judged too and pass: `edit` grants `impersonate` on serviceaccounts, which is not a
forbidden power. ClusterRoles are sent to the webhook, so this holds at admission as well as in the audit
and lint.

Why it matters: the ClusterRole aggregation controller copies such rules into the built-in `admin`, `edit` or
`view` roles (`view` into `edit`, `edit` into `admin`), which tenants are bound to in their namespaces — one
installed CRD chart could hand every tenant a forbidden power at once.

Fix: remove the aggregation label, or drop the forbidden verbs and resources from the ClusterRole's rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.rbac.findings import power_findings
from tenantguard.policies.subjects import Subject

AGGREGATE_TO = tuple(f"rbac.authorization.k8s.io/aggregate-to-{r}" for r in ("admin", "edit", "view"))


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    into = [label.rpartition("-")[2] for label in AGGREGATE_TO if subject.labels.get(label) == "true"]
    if not into:
        return
    suffix = f" (aggregated into {'/'.join(into)}: every tenant bound to it would hold it)"
    yield from power_findings(subject.obj.get("rules"), suffix=suffix)


def _cluster_role(*rules: Obj) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "inference-edit", "labels": {AGGREGATE_TO[1]: "true"}},
        "rules": list(rules),
    }


_EDIT = {
    "apiGroups": ["serving.kserve.io"],
    "resources": ["inferenceservices"],
    "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"],
}

RULE = Rule(
    id="RBAC004",
    slug="no-escalation-in-aggregated-roles",
    title="ClusterRoles aggregated into admin, edit or view grant no forbidden power",
    category=Category.RBAC,
    severity=Severity.ERROR,
    kinds=frozenset({"ClusterRole"}),
    fix="drop the forbidden verbs and resources (rule reference, RBAC002) from the rules, or remove the "
    "aggregate-to label",
    why="Aggregated rules land in the admin/edit/view roles every tenant holds, so one forbidden power there "
    "reaches every tenant.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_cluster_role(_EDIT)),
        Example(
            object={
                **_cluster_role({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
                "metadata": {"name": "platform-ops"},
            },
            note="not aggregated",
        ),
    ),
    denied=(
        Example(object=_cluster_role(_EDIT, {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]})),
        Example(
            object=_cluster_role({"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": ["*"]})
        ),
        Example(object=_cluster_role({"apiGroups": [""], "resources": ["*/status"], "verbs": ["update"]})),
    ),
)
