"""SRV001 no-external-services — tenant Services stay inside the cluster; traffic enters through the gateway.

What it checks: a Service in a tenant namespace has `spec.type` `ClusterIP` (the default) or `ExternalName`
(it opens nothing; SRV009 judges what it aliases), never `NodePort` or `LoadBalancer`, and sets no
`spec.externalIPs`.

Why it matters: a NodePort or LoadBalancer publishes a model server on every node or on the internet,
around the platform gateway that authenticates callers, meters tokens and terminates tenant mTLS;
`externalIPs` can capture traffic meant for another address in the cluster (CVE-2020-8554).

Fix: use `type: ClusterIP` without `externalIPs`, and publish the endpoint through an HTTPRoute or
Ingress on the platform gateway.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject

EXTERNAL_TYPES = frozenset({"NodePort", "LoadBalancer"})


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    spec = subject.obj.get("spec")
    if not isinstance(spec, dict):
        return
    kind = spec.get("type")
    if kind in EXTERNAL_TYPES:
        yield Finding(
            path=dotted(("spec", "type")),
            message=f"Service type {kind} exposes tenant pods outside the cluster; use ClusterIP",
        )
    ips = spec.get("externalIPs")
    for i, ip in enumerate(ips if isinstance(ips, list) else ()):
        yield Finding(
            path=dotted(("spec", "externalIPs", i)),
            message=f"external IP {ip!r} is not allowed in tenant namespaces",
        )


def _service(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"selector": {"app": "vllm"}, "ports": [{"port": 8443, "targetPort": 8443}], **spec},
    }


RULE = Rule(
    id="SRV001",
    slug="no-external-services",
    title="Tenant Services are ClusterIP without external IPs",
    category=Category.SERVING,
    severity=Severity.ERROR,
    kinds=frozenset({"Service"}),
    fix="set spec.type: ClusterIP, remove spec.externalIPs, and publish through the platform gateway",
    why="NodePort, LoadBalancer and external IPs bypass the gateway that authenticates, meters and isolates "
    "tenant traffic.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object=_service()), Example(object=_service(type="ClusterIP"))),
    denied=(
        Example(object=_service(type="LoadBalancer"), note="LoadBalancer"),
        Example(object=_service(type="NodePort"), note="NodePort"),
        Example(object=_service(externalIPs=["203.0.113.7"]), note="externalIPs"),
    ),
)
