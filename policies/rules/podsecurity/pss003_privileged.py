"""PSS003 privileged — containers are not privileged.

What it checks (PSA baseline check `privileged`, v1.0): `securityContext.privileged` of every container,
init container and ephemeral container. Allowed values: undefined, `false`.

Why it matters: a privileged container has every device and capability of the node — GPUs of other
tenants included — and can escape to the host.

Fix: remove `securityContext.privileged` (or set it to `false`); GPUs come from the device plugin's
resource (`nvidia.com/gpu`), not from privilege.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import all_containers, container, container_security_context, sc_path
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tenantguard.policies.subjects import Subject

REASON = "privileged"


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        for ref in all_containers(pod):
            if container_security_context(ref).get("privileged") is True:
                yield Finding(
                    path=dotted(sc_path(ref, "privileged")),
                    message=f"{REASON} ({container(ref)} must not set securityContext.privileged=true)",
                )


RULE = Rule(
    id="PSS003",
    slug="privileged",
    title="Containers are not privileged",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove securityContext.privileged or set it to false; request GPUs through nvidia.com/gpu instead",
    why="A privileged container holds every device and capability of the node and can escape to it.",
    check=check_v1_0,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0),),
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(restricted_container(privileged=False))),
        Example(object=example_pod(), tenant=BASELINE_TENANT),
    ),
    denied=(
        Example(object=example_pod(restricted_container(privileged=True))),
        Example(
            object=example_pod(restricted_container(), restricted_container("debug", privileged=True)),
            tenant=BASELINE_TENANT,
        ),
    ),
)
