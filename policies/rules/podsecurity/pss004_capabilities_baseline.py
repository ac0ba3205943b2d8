"""PSS004 capabilities_baseline — containers add no capabilities beyond the default set.

What it checks (PSA baseline check `capabilities_baseline`, v1.0): `securityContext.capabilities.add` of
every container, init container and ephemeral container.
Allowed values: undefined, empty, or any of AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL,
MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.

Applies to `baseline` tenants only: in `restricted`, PSA replaces it with `capabilities_restricted`
(PSS018), which is stricter.

Why it matters: NET_RAW, NET_ADMIN, SYS_ADMIN and friends let a pod sniff or reroute node traffic and
reach other tenants' model endpoints around their NetworkPolicies.

Fix: remove the other capabilities from `capabilities.add`.
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
    obj,
    quote,
    sc_path,
)
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tenantguard.policies.subjects import Subject

REASON = "non-default capabilities"
ALLOWED = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
})  # fmt: skip


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        for ref in all_containers(pod):
            added = obj(container_security_context(ref).get("capabilities")).get("add")
            for i, cap in enumerate(added if isinstance(added, list) else ()):
                if cap not in ALLOWED:
                    yield Finding(
                        path=dotted(sc_path(ref, "capabilities", "add", i)),
                        message=f"{REASON} ({container(ref)} must not include {quote(cap)} "
                        "in securityContext.capabilities.add)",
                    )


RULE = Rule(
    id="PSS004",
    slug="capabilities_baseline",
    title="Containers add only default capabilities",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove capabilities other than the baseline default set from securityContext.capabilities.add",
    why="Capabilities such as NET_RAW or SYS_ADMIN let a pod sniff node traffic or escape its container.",
    check=check_v1_0,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0),),
    doc=__doc__ or "",
    allowed=(
        Example(
            object=example_pod(restricted_container(capabilities={"add": ["NET_BIND_SERVICE", "CHOWN"]})),
            tenant=BASELINE_TENANT,
        ),
    ),
    denied=(
        Example(
            object=example_pod(restricted_container(capabilities={"add": ["NET_RAW"]})),
            tenant=BASELINE_TENANT,
        ),
    ),
)
