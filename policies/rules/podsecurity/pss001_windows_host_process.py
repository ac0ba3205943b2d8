"""PSS001 windowsHostProcess — pods and containers do not run as Windows HostProcess.

What it checks (PSA baseline check `windowsHostProcess`, v1.0):
`spec.securityContext.windowsOptions.hostProcess` and the same field on every container, init container
and ephemeral container. Allowed values: undefined, `false`.

Why it matters: a HostProcess container runs directly on the Windows node with the host's network and
file system — a tenant with one could read every other tenant's model weights and traffic on that node.

Fix: remove `windowsOptions.hostProcess` (or set it to `false`) on the pod and its containers.
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
    pod_sc_path,
    pod_security_context,
    sc_path,
)
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tenantguard.policies.subjects import Subject

REASON = "hostProcess"


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        if obj(pod_security_context(pod).get("windowsOptions")).get("hostProcess") is True:
            yield Finding(
                path=dotted(pod_sc_path(pod, "windowsOptions", "hostProcess")),
                message=f"{REASON} (pod must not set securityContext.windowsOptions.hostProcess=true)",
            )
        for ref in all_containers(pod):
            if obj(container_security_context(ref).get("windowsOptions")).get("hostProcess") is True:
                yield Finding(
                    path=dotted(sc_path(ref, "windowsOptions", "hostProcess")),
                    message=f"{REASON} ({container(ref)} must not set securityContext.windowsOptions.hostProcess=true)",
                )


_WINDOWS = {"os": {"name": "windows"}}

RULE = Rule(
    id="PSS001",
    slug="windowsHostProcess",
    title="Pods do not run Windows HostProcess containers",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove securityContext.windowsOptions.hostProcess or set it to false",
    why="A HostProcess container runs on the node itself, outside every isolation boundary between tenants.",
    check=check_v1_0,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0),),
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(securityContext={"windowsOptions": {"hostProcess": False}}, **_WINDOWS)),
        Example(object=example_pod(), tenant=BASELINE_TENANT),
    ),
    denied=(
        Example(
            object=example_pod(securityContext={"windowsOptions": {"hostProcess": True}}, **_WINDOWS),
            tenant=BASELINE_TENANT,
        ),
        Example(object=example_pod(restricted_container(windowsOptions={"hostProcess": True}))),
    ),
)
