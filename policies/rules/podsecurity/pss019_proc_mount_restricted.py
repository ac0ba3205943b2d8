"""PSS019 procMount_restricted — containers keep the default /proc masks, even in a user namespace.

What it checks (PSA restricted check `procMount_restricted`, v1.35): `securityContext.procMount` of every
container, init container and ephemeral container. Allowed values: undefined, `Default` — whatever
`spec.hostUsers` says. In `restricted`, PSA runs it instead of the baseline `procMount` (PSS009).

Why it matters: an unmasked /proc exposes kernel interfaces; restricted tenants get no user-namespace
exception.

Fix: remove `securityContext.procMount` or set it to `Default`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.podsecurity.common import RESTRICTED, enforced
from tenantguard.policies.rules.podsecurity.examples import example_pod, restricted_container
from tenantguard.policies.rules.podsecurity.procmount import unmasked
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if not enforced(ctx, RESTRICTED):
        return
    for pod in subject.pods:
        yield from unmasked(pod)


RULE = Rule(
    id="PSS019",
    slug="procMount_restricted",
    title="Containers keep the default /proc masks in restricted tenants",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove securityContext.procMount or set it to Default",
    why="An unmasked /proc exposes kernel interfaces of the node; restricted tenants get no exception.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object=example_pod(restricted_container(procMount="Default"))),),
    denied=(
        Example(object=example_pod(restricted_container(procMount="Unmasked"))),
        Example(
            object=example_pod(restricted_container(procMount="Unmasked"), hostUsers=False),
            note="no user-namespace exception in restricted",
        ),
    ),
)
