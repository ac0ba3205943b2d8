"""PSS016 runAsUser — pods and containers do not set runAsUser=0.

What it checks (PSA restricted check `runAsUser`): `spec.securityContext.runAsUser` and the same field of
every container, init container and ephemeral container. Allowed values: undefined, any non-zero UID.
Pods in a user namespace (`spec.hostUsers: false`) are exempt.

Versions: v1.23 is its first and judges every pod; v1.35 exempts pods in a user namespace.

Why it matters: UID 0 is root on the node's kernel; `runAsNonRoot` alone cannot hold when the pod asks
for root explicitly.

Fix: remove `runAsUser: 0` or set a non-zero UID (e.g. 1000), or run the pod with `hostUsers: false`.
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

REASON = "runAsUser=0"


def _is_root(value: object) -> bool:
    return value == 0 and not isinstance(value, bool)


def _root(pod: PodTemplate) -> Iterator[Finding]:
    if _is_root(pod_security_context(pod).get("runAsUser")):
        yield Finding(path=dotted(pod_sc_path(pod, "runAsUser")), message=f"{REASON} (pod must not set runAsUser=0)")
    for ref in all_containers(pod):
        if _is_root(container_security_context(ref).get("runAsUser")):
            yield Finding(
                path=dotted(sc_path(ref, "runAsUser")),
                message=f"{REASON} ({container(ref)} must not set runAsUser=0)",
            )


def check_v1_23(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        yield from _root(pod)


def check_v1_35(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        if not in_user_namespace(pod):
            yield from _root(pod)


RULE = Rule(
    id="PSS016",
    slug="runAsUser",
    title="Pods do not run as UID 0",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove runAsUser: 0 or set a non-zero UID such as 1000",
    why="UID 0 is root on the node's kernel, whatever runAsNonRoot says elsewhere.",
    check=check_v1_35,
    level=Level.RESTRICTED,
    versions=(VersionedCheck(since=v1(23), check=check_v1_23), VersionedCheck(since=v1(35), check=check_v1_35)),
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
        Example(
            object=example_pod(restricted_container(runAsUser=0), hostUsers=False),
            tenant=pinned("v1.34"),
            note="no user-namespace exemption before v1.35",
        ),
    ),
)
