"""PSS016 runAsUser — pods and containers do not set runAsUser=0.

What it checks (PSA restricted check `runAsUser`, v1.35): `spec.securityContext.runAsUser` and the same
field of every container, init container and ephemeral container. Allowed values: undefined, any
non-zero UID. Pods in a user namespace (`spec.hostUsers: false`) are exempt.

Why it matters: UID 0 is root on the node's kernel; `runAsNonRoot` alone cannot hold when the pod asks
for root explicitly.

Fix: remove `runAsUser: 0` or set a non-zero UID (e.g. 1000), or run the pod with `hostUsers: false`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.podsecurity.common import (
    RESTRICTED,
    all_containers,
    container,
    container_security_context,
    enforced,
    in_user_namespace,
    pod_sc_path,
    pod_security_context,
    sc_path,
)
from tenantguard.policies.rules.podsecurity.examples import example_pod, restricted_container
from tenantguard.policies.subjects import Subject

REASON = "runAsUser=0"


def _is_root(value: object) -> bool:
    return value == 0 and not isinstance(value, bool)


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if not enforced(ctx, RESTRICTED):
        return
    for pod in subject.pods:
        if in_user_namespace(pod):
            continue
        if _is_root(pod_security_context(pod).get("runAsUser")):
            yield Finding(
                path=dotted(pod_sc_path(pod, "runAsUser")), message=f"{REASON} (pod must not set runAsUser=0)"
            )
        for ref in all_containers(pod):
            if _is_root(container_security_context(ref).get("runAsUser")):
                yield Finding(
                    path=dotted(sc_path(ref, "runAsUser")),
                    message=f"{REASON} ({container(ref)} must not set runAsUser=0)",
                )


RULE = Rule(
    id="PSS016",
    slug="runAsUser",
    title="Pods do not run as UID 0",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove runAsUser: 0 or set a non-zero UID such as 1000",
    why="UID 0 is root on the node's kernel, whatever runAsNonRoot says elsewhere.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(restricted_container(runAsUser=1000), securityContext={"runAsUser": 1000})),
        Example(
            object=example_pod(restricted_container(runAsUser=0, runAsNonRoot=None), hostUsers=False),
            note="user namespace",
        ),
    ),
    denied=(
        Example(object=example_pod(securityContext={"runAsUser": 0})),
        Example(object=example_pod(restricted_container(runAsUser=0))),
    ),
)
