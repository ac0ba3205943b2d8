"""PSS014 allowPrivilegeEscalation — containers set allowPrivilegeEscalation=false.

What it checks (PSA restricted check `allowPrivilegeEscalation`):
`securityContext.allowPrivilegeEscalation` of every container, init container and ephemeral container.
Allowed value: `false` (unset means true). Pods with `spec.os.name: windows` are exempt.

Versions: v1.8 judges every pod; v1.25 exempts Windows pods (the field does not exist on Windows).

Why it matters: with escalation allowed, a setuid binary in the model server image turns a code-execution
bug into root inside the container — one step from the node other tenants share.

Fix: set `securityContext.allowPrivilegeEscalation: false` on every container (the PSS-M mutation does
it for tenants with `podSecurityDefaults: true`).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import (
    all_containers,
    container,
    container_security_context,
    is_windows,
    sc_path,
)
from tenantguard.policies.rules.podsecurity.examples import example_pod, pinned, restricted_container
from tenantguard.policies.subjects import PodTemplate, Subject

REASON = "allowPrivilegeEscalation != false"


def _escalating(pod: PodTemplate) -> Iterator[Finding]:
    for ref in all_containers(pod):
        if container_security_context(ref).get("allowPrivilegeEscalation") is not False:
            yield Finding(
                path=dotted(sc_path(ref, "allowPrivilegeEscalation")),
                message=f"{REASON} ({container(ref)} must set securityContext.allowPrivilegeEscalation=false)",
            )


def check_v1_8(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        yield from _escalating(pod)


def check_v1_25(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        if not is_windows(pod):
            yield from _escalating(pod)


RULE = Rule(
    id="PSS014",
    slug="allowPrivilegeEscalation",
    title="Containers forbid privilege escalation",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="set securityContext.allowPrivilegeEscalation: false on every container",
    why="Privilege escalation turns a bug in the model server into root in the container, next to the node.",
    check=check_v1_25,
    level=Level.RESTRICTED,
    versions=(VersionedCheck(since=v1(8), check=check_v1_8), VersionedCheck(since=v1(25), check=check_v1_25)),
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod()),
        Example(
            object=example_pod(
                restricted_container(allowPrivilegeEscalation=None, capabilities=None, seccompProfile=None),
                os={"name": "windows"},
            ),
            note="Windows pods are exempt",
        ),
    ),
    denied=(
        Example(object=example_pod(restricted_container(allowPrivilegeEscalation=None))),
        Example(object=example_pod(restricted_container(allowPrivilegeEscalation=True))),
        Example(
            object=example_pod(
                restricted_container(allowPrivilegeEscalation=None, capabilities=None, seccompProfile=None),
                os={"name": "windows"},
            ),
            tenant=pinned("v1.24"),
            note="Windows pods are judged before v1.25",
        ),
    ),
)
