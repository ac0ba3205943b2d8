"""PSS015 runAsNonRoot — containers must run as non-root users.

What it checks (PSA restricted check `runAsNonRoot`): `spec.securityContext.runAsNonRoot` and the same
field of every container, init container and ephemeral container. Allowed: `true` on the pod (a container
that leaves it unset inherits it) or `true` on every container; `false` anywhere is forbidden. Pods in a
user namespace (`spec.hostUsers: false`) are exempt: root there is unprivileged on the node.

Versions: v1.0 judges every pod; v1.35 exempts pods in a user namespace.

Why it matters: root in a container is root on the node's kernel; a container escape from a root model
server owns every tenant's GPUs and data on that node.

Fix: set `securityContext.runAsNonRoot: true` on the pod (and a non-zero `runAsUser` if the image's user
is root), or run the pod with `hostUsers: false`.
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
    in_user_namespace,
    pod_sc_path,
    pod_security_context,
    sc_path,
)
from tenantguard.policies.rules.podsecurity.examples import example_pod, pinned, restricted_container
from tenantguard.policies.subjects import PodTemplate, Subject

REASON = "runAsNonRoot != true"


def _root_allowed(pod: PodTemplate) -> Iterator[Finding]:
    pod_value = pod_security_context(pod).get("runAsNonRoot")
    if pod_value is False:
        yield Finding(
            path=dotted(pod_sc_path(pod, "runAsNonRoot")),
            message=f"{REASON} (pod must not set securityContext.runAsNonRoot=false)",
        )
    for ref in all_containers(pod):
        value = container_security_context(ref).get("runAsNonRoot")
        if value is False:
            yield Finding(
                path=dotted(sc_path(ref, "runAsNonRoot")),
                message=f"{REASON} ({container(ref)} must not set securityContext.runAsNonRoot=false)",
            )
        elif value is None and pod_value is not True:
            yield Finding(
                path=dotted(sc_path(ref, "runAsNonRoot")),
                message=f"{REASON} (pod or {container(ref)} must set securityContext.runAsNonRoot=true)",
            )


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        yield from _root_allowed(pod)


def check_v1_35(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        if not in_user_namespace(pod):
            yield from _root_allowed(pod)


RULE = Rule(
    id="PSS015",
    slug="runAsNonRoot",
    title="Containers run as non-root users",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="set securityContext.runAsNonRoot: true on the pod (or on every container)",
    why="Root in a container is root on the node's kernel, one escape from every tenant's GPUs and data.",
    check=check_v1_35,
    level=Level.RESTRICTED,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0), VersionedCheck(since=v1(35), check=check_v1_35)),
    doc=__doc__ or "",
    allowed=(
        Example(
            object=example_pod(restricted_container(runAsNonRoot=None), securityContext={"runAsNonRoot": True}),
            note="inherited from the pod",
        ),
        Example(
            object=example_pod(restricted_container(runAsNonRoot=False), hostUsers=False),
            note="user namespace",
        ),
    ),
    denied=(
        Example(object=example_pod(restricted_container(runAsNonRoot=None))),
        Example(
            object=example_pod(restricted_container(runAsNonRoot=False), securityContext={"runAsNonRoot": True}),
            note="a container overrides the pod",
        ),
        Example(
            object=example_pod(restricted_container(runAsNonRoot=False), hostUsers=False),
            tenant=pinned("v1.34"),
            note="no user-namespace exemption before v1.35",
        ),
    ),
)
