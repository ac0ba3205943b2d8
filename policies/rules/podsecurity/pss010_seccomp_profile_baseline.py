"""PSS010 seccompProfile_baseline — seccomp is not disabled.

What it checks (PSA baseline check `seccompProfile_baseline`): `seccompProfile.type` of the pod and of every
container, init container and ephemeral container.
Allowed values: undefined, `RuntimeDefault`, `Localhost`.

Versions: v1.0 judges the alpha annotations instead, `seccomp.security.alpha.kubernetes.io/pod` and
`container.seccomp.security.alpha.kubernetes.io/<container>` (allowed: undefined, `runtime/default`,
`docker/default`, `localhost/*`); v1.19 judges the `seccompProfile` fields and no longer the annotations.

Applies to `baseline` tenants only from v1.19: in `restricted`, PSA replaces it with
`seccompProfile_restricted` (PSS017), which also requires the profile to be set.

Why it matters: `Unconfined` opens every system call to the container, the kernel attack surface that
container escapes use.

Fix: remove the profile or set its type to `RuntimeDefault` (or a `Localhost` profile).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.examples import (
    BASELINE_TENANT,
    example_pod,
    pinned,
    restricted_container,
)
from tenantguard.policies.rules.podsecurity.seccomp import POD_ANNOTATION, annotated_badly, explicitly_bad
from tenantguard.policies.subjects import Subject


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        yield from annotated_badly(subject, pod)


def check_v1_19(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        yield from explicitly_bad(pod)


RULE = Rule(
    id="PSS010",
    slug="seccompProfile_baseline",
    title="Seccomp is not disabled",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove seccompProfile or set seccompProfile.type to RuntimeDefault or Localhost",
    why="An Unconfined seccomp profile opens every system call, the attack surface of container escapes.",
    check=check_v1_19,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0), VersionedCheck(since=v1(19), check=check_v1_19)),
    doc=__doc__ or "",
    allowed=(
        Example(
            object=example_pod(restricted_container(seccompProfile=None)),
            tenant=BASELINE_TENANT,
            note="unset is fine in baseline",
        ),
        Example(
            object=example_pod(
                restricted_container(seccompProfile={"type": "Localhost", "localhostProfile": "llm.json"})
            ),
            tenant=BASELINE_TENANT,
        ),
    ),
    denied=(
        Example(
            object=example_pod(securityContext={"seccompProfile": {"type": "Unconfined"}}),
            tenant=BASELINE_TENANT,
        ),
        Example(
            object=example_pod(restricted_container(seccompProfile={"type": "Unconfined"})),
            tenant=BASELINE_TENANT,
        ),
        Example(
            object=example_pod(annotations={POD_ANNOTATION: "unconfined"}),
            tenant=pinned("v1.18", BASELINE_TENANT),
            note="before v1.19: the alpha annotation",
        ),
    ),
)
