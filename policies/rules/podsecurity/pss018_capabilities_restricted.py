"""PSS018 capabilities_restricted — containers drop ALL capabilities and add at most NET_BIND_SERVICE.

What it checks (PSA restricted check `capabilities_restricted`): `securityContext.capabilities` of every
container, init container and ephemeral container.
- `capabilities.drop` must include `ALL`;
- `capabilities.add` may be undefined, empty or contain only `NET_BIND_SERVICE`.
Pods with `spec.os.name: windows` are exempt. In `restricted`, PSA runs it instead of the baseline
`capabilities_baseline` (PSS004).

Versions: v1.22 is its first and judges every pod; v1.25 exempts Windows pods. Pinned before v1.22,
`restricted` tenants get PSS004 instead.

Why it matters: the runtime's default set (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW on some runtimes …) is
more than a model server needs and is what a compromised process uses to go further.

Fix: set `securityContext.capabilities: {drop: [ALL]}` on every container and add back only
NET_BIND_SERVICE if the server listens on a port below 1024.
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
    obj,
    quote,
    sc_path,
)
from tenantguard.policies.rules.podsecurity.examples import example_pod, pinned, restricted_container
from tenantguard.policies.subjects import PodTemplate, Subject

REASON = "unrestricted capabilities"


def _unrestricted(pod: PodTemplate) -> Iterator[Finding]:
    for ref in all_containers(pod):
        caps = obj(container_security_context(ref).get("capabilities"))
        drop, add = caps.get("drop"), caps.get("add")
        if not (isinstance(drop, list) and "ALL" in drop):
            yield Finding(
                path=dotted(sc_path(ref, "capabilities", "drop")),
                message=f'{REASON} ({container(ref)} must set securityContext.capabilities.drop=["ALL"])',
            )
        for i, cap in enumerate(add if isinstance(add, list) else ()):
            if cap != "NET_BIND_SERVICE":
                yield Finding(
                    path=dotted(sc_path(ref, "capabilities", "add", i)),
                    message=f"{REASON} ({container(ref)} must not include {quote(cap)} "
                    "in securityContext.capabilities.add)",
                )


def check_v1_22(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        yield from _unrestricted(pod)


def check_v1_25(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        if not is_windows(pod):
            yield from _unrestricted(pod)


RULE = Rule(
    id="PSS018",
    slug="capabilities_restricted",
    title="Containers drop ALL capabilities and add only NET_BIND_SERVICE",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix='set securityContext.capabilities.drop: ["ALL"]; add back only NET_BIND_SERVICE',
    why="Default capabilities exceed a model server's needs and are what an attacker uses to go further.",
    check=check_v1_25,
    level=Level.RESTRICTED,
    versions=(
        VersionedCheck(since=v1(22), check=check_v1_22, overrides=frozenset({"PSS004"})),
        VersionedCheck(since=v1(25), check=check_v1_25, overrides=frozenset({"PSS004"})),
    ),
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(restricted_container(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}))),
        Example(
            object=example_pod(
                restricted_container(capabilities=None, allowPrivilegeEscalation=None, seccompProfile=None),
                os={"name": "windows"},
            ),
            note="Windows pods are exempt",
        ),
    ),
    denied=(
        Example(object=example_pod(restricted_container(capabilities=None))),
        Example(object=example_pod(restricted_container(capabilities={"drop": ["ALL"], "add": ["CHOWN"]}))),
        Example(
            object=example_pod(
                restricted_container(capabilities=None, allowPrivilegeEscalation=None, seccompProfile=None),
                os={"name": "windows"},
            ),
            tenant=pinned("v1.24"),
            note="Windows pods are judged before v1.25",
        ),
    ),
)
