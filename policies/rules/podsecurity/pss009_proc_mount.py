"""PSS009 procMount — containers keep the default /proc masks.

What it checks (PSA baseline check `procMount`, v1.35): `securityContext.procMount` of every container,
init container and ephemeral container. Allowed values: undefined, `Default`; any value in a pod with
`spec.hostUsers: false` (a user namespace: an unmasked /proc shows only the pod's own namespace).

Applies to `baseline` tenants only: in `restricted`, PSA replaces it with `procMount_restricted` (PSS019),
which allows only `Default` even in a user namespace.

Why it matters: an unmasked /proc exposes kernel interfaces (sysrq-trigger, kcore) that reach the node.

Fix: remove `procMount` (or set it to `Default`), or run the pod in a user namespace (`hostUsers: false`).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.podsecurity.common import BASELINE, enforced_exactly, in_user_namespace
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tenantguard.policies.rules.podsecurity.procmount import unmasked
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if not enforced_exactly(ctx, BASELINE):
        return
    for pod in subject.pods:
        if not in_user_namespace(pod):
            yield from unmasked(pod)


RULE = Rule(
    id="PSS009",
    slug="procMount",
    title="Containers keep the default /proc masks",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove securityContext.procMount or set it to Default (or set spec.hostUsers: false)",
    why="An unmasked /proc exposes kernel interfaces of the node shared by every tenant.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(restricted_container(procMount="Default")), tenant=BASELINE_TENANT),
        Example(
            object=example_pod(restricted_container(procMount="Unmasked"), hostUsers=False),
            tenant=BASELINE_TENANT,
            note="user namespace",
        ),
    ),
    denied=(Example(object=example_pod(restricted_container(procMount="Unmasked")), tenant=BASELINE_TENANT),),
)
