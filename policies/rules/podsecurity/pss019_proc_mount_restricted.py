"""PSS019 procMount_restricted — containers keep the default /proc masks, even in a user namespace.

What it checks (PSA restricted check `procMount_restricted`): `securityContext.procMount` of every
container, init container and ephemeral container. Allowed values: undefined, `Default` — whatever
`spec.hostUsers` says. In `restricted`, PSA runs it instead of the baseline `procMount` (PSS009).

Versions: v1.35 is its first, when the baseline check began to exempt user namespaces. Pinned before
v1.35, `restricted` tenants get PSS009, which then had no exemption either.

Why it matters: an unmasked /proc exposes kernel interfaces; restricted tenants get no user-namespace
exception.

Fix: remove `securityContext.procMount` or set it to `Default`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.examples import example_pod, pinned, restricted_container
from tenantguard.policies.rules.podsecurity.procmount import unmasked
from tenantguard.policies.subjects import Subject


def check_v1_35(subject: Subject, ctx: Context) -> Iterator[Finding]:
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
    check=check_v1_35,
    level=Level.RESTRICTED,
    versions=(VersionedCheck(since=v1(35), check=check_v1_35, overrides=frozenset({"PSS009"})),),
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(restricted_container(procMount="Default"))),
        Example(
            object=example_pod(restricted_container(procMount="Unmasked")),
            tenant=pinned("v1.34"),
            note="before v1.35 PSS009 judges restricted tenants",
        ),
    ),
    denied=(
        Example(object=example_pod(restricted_container(procMount="Unmasked"))),
        Example(
            object=example_pod(restricted_container(procMount="Unmasked"), hostUsers=False),
            note="no user-namespace exception in restricted",
        ),
    ),
)
