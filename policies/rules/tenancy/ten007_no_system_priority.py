"""TEN007 no-system-priority — tenant pods do not use Kubernetes' system priority classes.

What it checks: `priorityClassName` of every pod and pod template in a tenant namespace is neither
`system-node-critical` nor `system-cluster-critical`, the classes Kubernetes reserves for the components a
node or the cluster cannot run without (priority 2,000,001,000 and 2,000,000,000, above every class a platform
may create). kube-apiserver accepts them in any namespace since Kubernetes 1.17 and leaves limiting them to the
platform (a ResourceQuota `scopeSelector` on `PriorityClass`).

Why it matters: the scheduler preempts lower-priority pods to place a higher one, and the kubelet evicts them
first under node pressure. A tenant pod at system priority evicts other tenants' pods — GPU model servers
included — whenever the nodes are full, and is the last to go itself: one tenant starves the others. (Which of
the platform's own classes a tenant may use is the platform's choice; these two are never a tenant's.)

Fix: remove `priorityClassName`, or use a class the platform defines for tenants.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject

SYSTEM_CLASSES = frozenset({"system-node-critical", "system-cluster-critical"})


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    for pod in subject.pods:
        name = pod.spec.get("priorityClassName")
        if name in SYSTEM_CLASSES:
            yield Finding(
                path=dotted((*pod.path, "priorityClassName")),
                message=f"priority class {name!r} is reserved for Kubernetes' own components: a pod at that "
                "priority preempts and outlives other tenants' pods",
            )


def _pod(**spec: object) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "app", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"containers": [{"name": "app", "image": "registry.acme.example/app:1"}], **spec},
    }


def _deployment(**spec: object) -> dict[str, object]:
    labels = {"app": "app", "tenantguard.io/tenant": "acme"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {
            "selector": {"matchLabels": {"app": "app"}},
            "template": {"metadata": {"labels": labels}, "spec": _pod(**spec)["spec"]},
        },
    }


RULE = Rule(
    id="TEN007",
    slug="no-system-priority",
    title="Tenant pods do not use Kubernetes' system priority classes",
    category=Category.TENANCY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove priorityClassName or use a priority class the platform defines for tenants",
    why="A pod at system priority preempts and outlives other tenants' pods, GPU servers included.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_pod(), note="no priority class: the cluster's default"),
        Example(object=_pod(priorityClassName="tenant-batch"), note="a class the platform defines"),
    ),
    denied=(
        Example(object=_pod(priorityClassName="system-node-critical")),
        Example(object=_deployment(priorityClassName="system-cluster-critical"), note="in a pod template"),
    ),
)
