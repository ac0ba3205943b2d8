"""PSS009 procMount — containers keep the default /proc masks.

What it checks (PSA baseline check `procMount`): `securityContext.procMount` of every container, init
container and ephemeral container. Allowed values: undefined, `Default`; any value in a pod with
`spec.hostUsers: false` (a user namespace: an unmasked /proc shows only the pod's own namespace).

Versions: v1.0 allows only undefined and `Default`, user namespace or not; v1.35 adds the user-namespace
exception.

Applies to `baseline` tenants only from v1.35: in `restricted`, PSA replaces it with `procMount_restricted`
(PSS019), which allows only `Default` even in a user namespace. Pinned before v1.35, it also judges
`restricted` tenants.

Why it matters: an unmasked /proc exposes kernel interfaces (sysrq-trigger, kcore) that reach the node.

Fix: remove `procMount` (or set it to `Default`), or run the pod in a user namespace (`hostUsers: false`).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import in_user_namespace
from tenantguard.policies.rules.podsecurity.examples import (
    BASELINE_TENANT,
    example_pod,
    pinned,
    restricted_container,
)
from tenantguard.policies.rules.podsecurity.procmount import unmasked
from tenantguard.policies.subjects import Subject


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        yield from unmasked(pod)


def check_v1_35(subject: Subject, ctx: Context) -> Iterator[Finding]:
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
    check=check_v1_35,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0), VersionedCheck(since=v1(35), check=check_v1_35)),
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(restricted_container(procMount="Default")), tenant=BASELINE_TENANT),
        Example(
            object=example_pod(restricted_container(procMount="Unmasked"), hostUsers=False),
            tenant=BASELINE_TENANT,
            note="user namespace",
        ),
    ),
    denied=(
        Example(object=example_pod(restricted_container(procMount="Unmasked")), tenant=BASELINE_TENANT),
        Example(
            object=example_pod(restricted_container(procMount="Unmasked"), hostUsers=False),
            tenant=pinned("v1.34", BASELINE_TENANT),
            note="no user-namespace exception before v1.35",
        ),
    ),
)
