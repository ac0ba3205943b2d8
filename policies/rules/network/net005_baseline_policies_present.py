"""NET005 baseline-policies-present — pods start only in namespaces that have their baseline NetworkPolicies.

What it checks: a Pod, or an object that carries a pod spec (Deployment, Job, CronJob, KServe, Ray, …), created
in a tenant namespace whose managed baseline NetworkPolicies (`tenantguard-default-deny`,
`tenantguard-allow-same-tenant`, `tenantguard-allow-dns`, and where the Tenant asks for them
`tenantguard-allow-ingress` and `tenantguard-allow-egress`: `policies/generated/netpols.py`) are not all there.
An update of a workload is judged only when it changes a pod template (a change that starts new pods); an update
of a Pod never is (its finalizers must go even while the namespace is being emptied).

Where it judges: at admission, from the webhook's cache, which watches the managed NetworkPolicies. The platform's
reconciler writes them before anything else runs in a new namespace, so this bites only when the reconciler is
down or a policy was deleted and not yet restored. Lint cannot know what a cluster holds and never fires it; the
audit reports the namespace instead, once (ISO007: no default deny; ISO009: a generated object missing or
changed), rather than every object in it.

Why it matters: without the default deny every pod of the namespace accepts connections from every other
tenant's pods and can reach them; the promise is that no one has to remember a NetworkPolicy.

Fix: nothing on the tenant's side — tenants cannot create managed policies (NET001). The reconciler
(`tenantguard controller`, or `serve --reconcile`) restores them within seconds; if it does not, the platform
team must check that it runs and holds its Lease.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.generated.netpols import (
    ALLOW_DNS,
    ALLOW_EGRESS,
    ALLOW_INGRESS,
    ALLOW_SAME_TENANT,
    DEFAULT_DENY,
    baseline_names,
)
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.request import Operation, Origin
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject


def _templates_changed(subject: Subject, old: Obj | None) -> bool:
    if old is None:
        return True
    before = Subject.of(old, subject.namespace).pods
    return [(p.path, p.spec, p.meta) for p in subject.pods] != [(p.path, p.spec, p.meta) for p in before]


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None or not subject.pods or ctx.request.origin is Origin.EXISTING:
        return
    if ctx.operation is Operation.UPDATE and (subject.kind == "Pod" or not _templates_changed(subject, ctx.old)):
        return
    present = ctx.cluster.managed_policies(subject.namespace)
    if present is None:  # lint, static mode: what the cluster holds is not known
        return
    missing = [name for name in baseline_names(tenant, ctx.settings) if name not in present]
    if missing:
        yield Finding(
            path="metadata.namespace",
            message=f"namespace {subject.namespace!r} lacks its baseline NetworkPolicies {', '.join(missing)}: "
            "pods there would run without network isolation; the platform's reconciler writes them",
        )


def _netpol(name: str, managed: bool = True) -> Obj:
    labels = {"tenantguard.io/tenant": "acme", **({"tenantguard.io/managed": "true"} if managed else {})}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": "acme-prod", "labels": labels},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


_BASELINE = tuple(_netpol(n) for n in (ALLOW_SAME_TENANT, ALLOW_DNS, ALLOW_INGRESS, ALLOW_EGRESS, DEFAULT_DENY))
_POD: Obj = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "tokenizer", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
    "spec": {
        "containers": [
            {
                "name": "app",
                "image": "registry.acme.example/tokenizer:1",
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "runAsNonRoot": True,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
            }
        ]
    },
}


def _deployment(replicas: int) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "tokenizer", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "tokenizer"}},
            "template": {
                "metadata": {"labels": {"app": "tokenizer", "tenantguard.io/tenant": "acme"}},
                "spec": _POD["spec"],
            },
        },
    }


RULE = Rule(
    id="NET005",
    slug="baseline-policies-present",
    title="Pods start only in namespaces that have their baseline NetworkPolicies",
    category=Category.NETWORK,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="retry in a few seconds, once the reconciler has restored them; if they do not appear, ask the platform "
    "team to check that `tenantguard controller` runs (tenants cannot create them)",
    why="Without the default deny every pod of the namespace can reach, and be reached by, every other tenant's pods.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_POD, related=_BASELINE, note="every baseline policy is there"),
        Example(object=_POD, note="lint: what the cluster holds is not known"),
        Example(
            object=_deployment(3),
            operation="UPDATE",
            old=_deployment(1),
            related=_BASELINE[-1:],
            note="scaling changes no pod template (the new pods are judged when they are created)",
        ),
    ),
    denied=(
        Example(object=_POD, related=_BASELINE[-1:], note="only the default deny is left"),
        Example(object=_deployment(1), related=(_netpol("allow-frontend", managed=False),), note="none at all"),
    ),
)
