"""Which namespaces a tenant's object may point into, and which namespaces an in-cluster DNS name names.

A tenant may reference its own namespaces and the platform's gateway namespaces (settings
`gatewayNamespaces`). Everything else is out of bounds: a namespace another Tenant owns, and the platform's
own namespaces (the exempt ones, `default`, and any namespace the cluster knows that no Tenant owns).

In-cluster names (Kubernetes DNS, cluster domain usually `cluster.local`):
`<svc>.<ns>.svc.<domain>` for a Service, `<host>.<svc>.<ns>.svc.<domain>` for a pod behind a headless
Service, `<a-b-c-d>.<ns>.pod.<domain>` for a pod IP. A client whose resolver searches `<ns>.svc.<domain>`
and `svc.<domain>` (every pod's resolv.conf, `ndots:5`) also reaches them as `<svc>.<ns>.svc` and
`<svc>.<ns>`. The cluster domain differs between clusters, so a label `svc` or `pod` marks the label before
it as a namespace whatever follows.
"""

from __future__ import annotations

from tenantguard.policies.context import Context
from tenantguard.policies.rules.serving.addresses import egress_list, embedded_internal_ip, parse_ip, within_egress

# Namespaces every cluster has, whether or not the policy has seen them.
BUILT_IN = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
_MARKERS = frozenset({"svc", "pod"})


def named_namespaces(host: str) -> tuple[tuple[str, ...], bool]:
    """The namespaces an in-cluster reading of `host` names, and whether that reading is certain.

    Certain: the name has a `svc`/`pod` label (`vllm.globex-prod.svc.cluster.local`). Uncertain: two labels
    (`vllm.globex-prod`), in-cluster only through a resolver's search path and also a valid public name
    (`huggingface.co`), so the caller judges it only when the namespace is known to exist.
    """
    labels = host.strip().lower().rstrip(".").split(".")
    found = tuple(dict.fromkeys(labels[k] for k in range(1, len(labels) - 1) if labels[k + 1] in _MARKERS))
    if found:
        return found, True
    if len(labels) == 2 and all(labels):
        return (labels[1],), False
    return (), False


def known(namespace: str, ctx: Context) -> bool:
    """The namespace exists as far as the policy can tell: a Tenant lists it, every cluster has it, it is the
    webhook's or exempt, or the cluster view holds it."""
    return (
        ctx.tenants.for_namespace(namespace) is not None
        or namespace in BUILT_IN
        or ctx.settings.is_exempt(namespace)
        or ctx.cluster.namespace_labels(namespace) is not None
    )


def out_of_bounds(namespace: str, ctx: Context) -> str | None:
    """Why the object's tenant may not reference `namespace`, or None when it may."""
    owner = ctx.tenants.for_namespace(namespace)
    tenant = ctx.tenant
    if tenant is not None and owner is not None and owner.name == tenant.name:
        return None
    if owner is not None:
        return f"namespace {namespace!r} belongs to tenant {owner.name!r}"
    if namespace in ctx.settings.gateway_namespaces:
        return None
    return f"namespace {namespace!r} is not one of the tenant's namespaces nor a gateway namespace"


def allowed_namespaces(ctx: Context) -> str:
    """The namespaces a fix may point at, for messages."""
    own = ctx.tenant.namespaces if ctx.tenant else ()
    return ", ".join((*own, *ctx.settings.gateway_namespaces)) or "none"


def host_out_of_bounds(host: str, ctx: Context) -> str | None:
    """Why a proxy that follows `host` for the tenant (a CNAME target, a mirror or auth URL) would leave the
    tenant, or None: an in-cluster name of a namespace out of bounds, an IP (or an internal IP spelled in the
    name, as nip.io answers it) outside the egress CIDRs, or the loopback name. Other names are external."""
    name = host.strip().lower().rstrip(".")
    ip = parse_ip(name)
    if ip is not None:
        if ctx.tenant is not None and within_egress(ip, ctx.tenant):
            return None
        return f"IP {name} is outside the tenant's egress CIDRs ({egress_list(ctx.tenant) if ctx.tenant else 'none'})"
    if name == "localhost" or name.endswith(".localhost"):
        return f"{name!r} is the loopback name: it reaches the proxy that follows it"
    namespaces, certain = named_namespaces(name)
    for ns in namespaces:
        reason = out_of_bounds(ns, ctx) if certain or known(ns, ctx) else None
        if reason:
            return f"{name!r} names a Service in-cluster: {reason}"
    embedded = embedded_internal_ip(name)
    if embedded is not None and not (ctx.tenant is not None and within_egress(embedded, ctx.tenant)):
        return f"{name!r} resolves to the internal address {embedded}, outside the tenant's egress CIDRs"
    return None
