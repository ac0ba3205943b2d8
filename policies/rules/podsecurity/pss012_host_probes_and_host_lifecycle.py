"""PSS012 hostProbesAndHostLifecycle — probes and lifecycle hooks target the pod, not another host.

What it checks (PSA baseline check `hostProbesAndHostLifecycle`): `host` under `httpGet` and
`tcpSocket` of `livenessProbe`, `readinessProbe`, `startupProbe`, `lifecycle.postStart` and
`lifecycle.preStop`, on every container, init container and ephemeral container.
Allowed values: undefined, "".

Versions: v1.34 is its first; a tenant pinned to an earlier version is not judged by it.

Why it matters: the kubelet runs probes from the node, so a probe with a `host` makes the node's network
identity call any address — another tenant's model endpoint or a node-local service — around every
NetworkPolicy.

Fix: remove `host`; the kubelet then probes the pod's own IP.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import all_containers, container, obj, quote
from tenantguard.policies.rules.podsecurity.examples import (
    BASELINE_TENANT,
    example_pod,
    pinned,
    restricted_container,
)
from tenantguard.policies.subjects import Subject

REASON = "probe or lifecycle host"
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HOOKS = ("postStart", "preStop")
HANDLERS = ("httpGet", "tcpSocket")
_WHERE_HOSTS_HIDE = frozenset((*PROBES, "lifecycle"))  # the container fields a host can hide in


def check_v1_34(subject: Subject, ctx: Context) -> Iterator[Finding]:
    for pod in subject.pods:
        for ref in all_containers(pod):
            if _WHERE_HOSTS_HIDE.isdisjoint(ref.container):  # no probe and no hook: nothing to look at
                continue
            lifecycle = obj(ref.container.get("lifecycle"))
            handlers: list[tuple[tuple[str, ...], Obj]] = [
                ((p,), h) for p in PROBES if isinstance(h := ref.container.get(p), dict)
            ]
            handlers += [(("lifecycle", k), h) for k in HOOKS if isinstance(h := lifecycle.get(k), dict)]
            for where, handler in handlers:
                for kind in HANDLERS:
                    host = obj(handler.get(kind)).get("host")
                    if host:
                        yield Finding(
                            path=dotted((*ref.path, *where, kind, "host")),
                            message=f"{REASON} ({container(ref)} uses {REASON} {quote(host)})",
                        )


def _probe(host: str) -> dict[str, object]:
    return {"httpGet": {"path": "/health", "port": 8000, "host": host}}


RULE = Rule(
    id="PSS012",
    slug="hostProbesAndHostLifecycle",
    title="Probes and lifecycle hooks do not set a host",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove host from the probe's or lifecycle hook's httpGet/tcpSocket; the kubelet uses the pod IP",
    why="Probes run from the node; a host lets a pod make the node call any address, around NetworkPolicies.",
    check=check_v1_34,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(34), check=check_v1_34),),
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(restricted_container() | {"readinessProbe": _probe("")})),
        Example(
            object=example_pod(restricted_container() | {"livenessProbe": {"tcpSocket": {"port": 8000}}}),
            tenant=BASELINE_TENANT,
        ),
        Example(
            object=example_pod(restricted_container() | {"readinessProbe": _probe("10.0.0.1")}),
            tenant=pinned("v1.33"),
            note="not judged before v1.34",
        ),
    ),
    denied=(
        Example(object=example_pod(restricted_container() | {"readinessProbe": _probe("10.0.0.1")})),
        Example(
            object=example_pod(
                restricted_container()
                | {"lifecycle": {"preStop": {"tcpSocket": {"port": 9000, "host": "metadata.internal"}}}}
            ),
            tenant=BASELINE_TENANT,
        ),
    ),
)
