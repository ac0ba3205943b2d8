"""SRV010 reference-grants-stay-in-tenant — a tenant's ReferenceGrant trusts no other tenant's namespace.

What it checks: a Gateway API `ReferenceGrant` in a tenant namespace. Every `spec.from[].namespace` names one
of the tenant's own namespaces or a namespace no tenant owns (the platform's: a Gateway in a gateway namespace
that needs the tenant's certificate Secret, say). A namespace owned by another tenant is denied.

Why it matters: a ReferenceGrant is how a namespace lets routes (or Gateways) in other namespaces point at
its Services and Secrets. Granted to another tenant's namespace, it opens the tenant's model servers to that
tenant's routes on the shared gateway — a cross-tenant path that no NetworkPolicy sees, since the gateway
is trusted to reach every tenant. SRV005 already refuses the other tenant's route; refusing the grant keeps
the decision with the platform, as Capsule does for every cross-tenant permission: tenants cannot open
isolation between themselves, not even by agreement.

Fix: list only the tenant's own namespaces (or the gateway namespaces) in `spec.from`; traffic between
tenants goes through the platform gateway's public routes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject


def _kinds(entries: Any) -> str:
    kinds = [e.get("kind") for e in entries if isinstance(e, dict) and isinstance(e.get("kind"), str)]
    return ", ".join(f"{k}s" for k in dict.fromkeys(kinds)) or "objects"


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    spec = subject.obj.get("spec")
    tenant = ctx.tenant
    if tenant is None or not isinstance(spec, dict) or not isinstance(spec.get("from"), list):
        return
    to = spec.get("to")
    targets = _kinds(to if isinstance(to, list) else ())
    for i, source in enumerate(spec["from"]):
        ns = source.get("namespace") if isinstance(source, dict) else None
        owner = ctx.tenants.for_namespace(ns) if isinstance(ns, str) else None
        if owner is None or owner.name == tenant.name:
            continue
        kind = source.get("kind") if isinstance(source.get("kind"), str) else "object"
        yield Finding(
            path=dotted(("spec", "from", i, "namespace")),
            message=f"trusts {kind}s in namespace {ns!r} (tenant {owner.name!r}) to reference {targets} "
            "in this namespace",
        )


def _grant(source_ns: str) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "ReferenceGrant",
        "metadata": {"name": "routes", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {
            "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": source_ns}],
            "to": [{"group": "", "kind": "Service"}],
        },
    }


RULE = Rule(
    id="SRV010",
    slug="reference-grants-stay-in-tenant",
    title="ReferenceGrants trust only the tenant's own namespaces and the platform's",
    category=Category.SERVING,
    severity=Severity.ERROR,
    kinds=frozenset({"ReferenceGrant"}),
    fix="list only the tenant's own namespaces (or the gateway namespaces) in spec.from",
    why="A grant to another tenant's namespace lets that tenant's routes reach this tenant's Services through "
    "the shared gateway, which no NetworkPolicy stops.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_grant("acme-dev"), note="routes in another namespace of the same tenant"),
        Example(object=_grant("llm-gateway"), note="the platform's gateway namespace"),
    ),
    denied=(Example(object=_grant("globex-prod"), note="another tenant's routes"),),
)
