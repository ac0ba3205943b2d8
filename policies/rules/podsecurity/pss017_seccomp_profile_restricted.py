"""PSS017 seccompProfile_restricted — a seccomp profile is set, RuntimeDefault or Localhost.

What it checks (PSA restricted check `seccompProfile_restricted`): `seccompProfile.type` of the pod and of
every container, init container and ephemeral container. Allowed values: `RuntimeDefault`, `Localhost`; a
container may leave it unset when the pod sets an allowed one (the container's own value wins). Pods with
`spec.os.name: windows` are exempt. In `restricted`, PSA runs it instead of the baseline
`seccompProfile_baseline` (PSS010).

Versions: v1.19 is its first and judges every pod; v1.25 exempts Windows pods. Pinned before v1.19,
`restricted` tenants get PSS010's annotation check instead.

Why it matters: without a profile the container runs Unconfined on most runtimes — every system call,
the kernel attack surface that container escapes use.

Fix: set `securityContext.seccompProfile.type: RuntimeDefault` on the pod (the PSS-M mutation does it
for tenants with `podSecurityDefaults: true`).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import is_windows
from tenantguard.policies.rules.podsecurity.examples import example_pod, pinned, restricted_container
from tenantguard.policies.rules.podsecurity.seccomp import explicitly_bad, implicitly_unset
from tenantguard.policies.subjects import Subject


def check_v1_19(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        yield from explicitly_bad(pod)
        yield from implicitly_unset(pod)


def check_v1_25(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        if not is_windows(pod):
            yield from explicitly_bad(pod)
            yield from implicitly_unset(pod)


RULE = Rule(
    id="PSS017",
    slug="seccompProfile_restricted",
    title="Seccomp profile is RuntimeDefault or Localhost",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a profile)",
    why="Without a seccomp profile every system call is open, the attack surface of container escapes.",
    check=check_v1_25,
    level=Level.RESTRICTED,
    versions=(
        VersionedCheck(since=v1(19), check=check_v1_19, overrides=frozenset({"PSS010"})),
        VersionedCheck(since=v1(25), check=check_v1_25, overrides=frozenset({"PSS010"})),
    ),
    doc=__doc__ or "",
    allowed=(
        Example(
            object=example_pod(
                restricted_container(seccompProfile=None),
                securityContext={"seccompProfile": {"type": "RuntimeDefault"}},
            ),
            note="inherited from the pod",
        ),
        Example(
            object=example_pod(
                restricted_container(seccompProfile=None, allowPrivilegeEscalation=None, capabilities=None),
                os={"name": "windows"},
            ),
            note="Windows pods are exempt",
        ),
    ),
    denied=(
        Example(object=example_pod(restricted_container(seccompProfile=None))),
        Example(
            object=example_pod(
                restricted_container(seccompProfile={"type": "Unconfined"}),
                securityContext={"seccompProfile": {"type": "RuntimeDefault"}},
            ),
            note="a container overrides the pod",
        ),
        Example(
            object=example_pod(
                restricted_container(seccompProfile=None, allowPrivilegeEscalation=None, capabilities=None),
                os={"name": "windows"},
            ),
            tenant=pinned("v1.24"),
            note="Windows pods are judged before v1.25",
        ),
    ),
)
