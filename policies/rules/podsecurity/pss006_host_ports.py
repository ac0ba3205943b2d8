"""PSS006 hostPorts — containers bind no host ports.

What it checks (PSA baseline check `hostPorts`, v1.0): `ports[*].hostPort` of every container, init
container and ephemeral container. Allowed values: undefined, `0`.

Why it matters: a host port exposes the model server on the node's address, bypassing the gateway,
the tenant's NetworkPolicies and the mTLS sidecar.

Fix: remove `hostPort`; expose the pod through a ClusterIP Service and the platform gateway.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import all_containers, container
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tenantguard.policies.subjects import Subject

REASON = "hostPort"


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        for ref in all_containers(pod):
            ports = ref.container.get("ports")
            for i, port in enumerate(ports if isinstance(ports, list) else ()):
                host_port = port.get("hostPort") if isinstance(port, dict) else None
                if host_port not in (None, 0):
                    yield Finding(
                        path=dotted((*ref.path, "ports", i, "hostPort")),
                        message=f"{REASON} ({container(ref)} uses hostPort {host_port})",
                    )


RULE = Rule(
    id="PSS006",
    slug="hostPorts",
    title="Containers bind no host ports",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove hostPort from the container ports; expose the pod through a Service and the gateway",
    why="A host port publishes the pod on the node's address, around the gateway, NetworkPolicies and mTLS.",
    check=check_v1_0,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0),),
    doc=__doc__ or "",
    allowed=(
        Example(
            object=example_pod(restricted_container() | {"ports": [{"containerPort": 8000}]}),
            tenant=BASELINE_TENANT,
        ),
    ),
    denied=(
        Example(object=example_pod(restricted_container() | {"ports": [{"containerPort": 8000, "hostPort": 8000}]})),
    ),
)
