"""SRV005 routes-stay-in-tenant — a tenant's Gateway API routes send traffic only to its own tenant's backends.

What it checks: in an `HTTPRoute`, `GRPCRoute`, `TLSRoute`, `TCPRoute` or `UDPRoute` (they share the shape),
every reference with a `namespace` — `spec.rules[].backendRefs[]`, the `backendRef` of every filter that
has one (`requestMirror`, and the experimental `externalAuth`; on a rule or on a backendRef) and
`spec.parentRefs[]` — names the route's own namespace, another namespace of the same tenant, or a namespace
no tenant owns (the platform gateway's). A namespace owned by another tenant is denied.

Why it matters: a route is a forwarding rule on the shared gateway. Pointed at another tenant's Service
(or mirroring into one, or sending its requests' headers there for authorisation), it carries requests
authenticated for one tenant to another tenant's model, or copies one tenant's prompts to the other.
Gateway API's ReferenceGrant is written by the target namespace, so it does not stop the route's owner from
trying; this rule stops it at admission (and SRV010 stops a tenant from writing the grant for another).

Fix: route only to Services in the tenant's own namespaces; attach to the platform gateway, not to a
Gateway in another tenant's namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.fields import sequence
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import Path, dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject

# Gateway API route kinds with parentRefs and rules[].backendRefs (standard channel, v1).
ROUTE_KINDS = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"})


def _filter_refs(filters: Any, base: Path) -> Iterator[tuple[Path, Any]]:
    """The backendRef of every filter that has one: `requestMirror`, `externalAuth` (and any later kind)."""
    for k, f in enumerate(sequence(filters)):
        if not isinstance(f, dict):
            continue
        for field, config in f.items():
            if isinstance(config, dict) and "backendRef" in config:
                yield (*base, "filters", k, field, "backendRef"), config["backendRef"]


def references(spec: dict[str, Any]) -> Iterator[tuple[Path, Any]]:
    for i, ref in enumerate(sequence(spec.get("parentRefs"))):
        yield ("spec", "parentRefs", i), ref
    for i, rule in enumerate(sequence(spec.get("rules"))):
        if not isinstance(rule, dict):
            continue
        yield from _filter_refs(rule.get("filters"), ("spec", "rules", i))
        for j, backend in enumerate(sequence(rule.get("backendRefs"))):
            yield ("spec", "rules", i, "backendRefs", j), backend
            if isinstance(backend, dict):
                yield from _filter_refs(backend.get("filters"), ("spec", "rules", i, "backendRefs", j))


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    spec = subject.obj.get("spec")
    if tenant is None or not isinstance(spec, dict):
        return
    for path, ref in references(spec):
        ns = ref.get("namespace") if isinstance(ref, dict) else None
        if not isinstance(ns, str) or ns == subject.namespace:
            continue
        owner = ctx.tenants.for_namespace(ns)
        if owner is not None and owner.name != tenant.name:
            yield Finding(
                path=dotted((*path, "namespace")),
                message=f"namespace {ns!r} belongs to tenant {owner.name!r}; routes of tenant "
                f"{tenant.name!r} stay in its own namespaces",
            )


def _route(backend_ns: str, kind: str = "HTTPRoute") -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": "chat", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {
            "parentRefs": [{"name": "llm-gateway", "namespace": "llm-gateway"}],
            "rules": [{"backendRefs": [{"name": "vllm", "namespace": backend_ns, "port": 8443}]}],
        },
    }


RULE = Rule(
    id="SRV005",
    slug="routes-stay-in-tenant",
    title="Gateway API routes reference only their own tenant's namespaces",
    category=Category.SERVING,
    severity=Severity.ERROR,
    kinds=ROUTE_KINDS,
    fix="point backendRefs, filter backendRefs and parentRefs at the tenant's own namespaces or the gateway",
    why="A route into another tenant's namespace hands one tenant's requests, or copies of them, to another.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_route("acme-prod")),
        Example(object=_route("acme-dev"), note="another namespace of the same tenant"),
    ),
    denied=(
        Example(object=_route("globex-prod"), note="backend in another tenant's namespace"),
        Example(object=_route("globex-prod", "GRPCRoute"), note="the same through a GRPCRoute"),
    ),
)
