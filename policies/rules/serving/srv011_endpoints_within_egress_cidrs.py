"""SRV011 endpoints-within-egress-cidrs — endpoints a tenant writes point only into its egress CIDRs.

What it checks: an `EndpointSlice` or `Endpoints` object in a tenant namespace that the tenant writes itself
(for a Service without a selector). Every address — `endpoints[].addresses[]` of an IPv4/IPv6 slice,
`subsets[].addresses[].ip` and `subsets[].notReadyAddresses[].ip` of Endpoints — lies in one of the Tenant's
`network.allowEgressCIDRs`, the only ranges the tenant's pods may reach anyway. Any other address is denied:
another tenant's pod IPs above all, but also Service IPs, node IPs and the internet. A slice of
`addressType: FQDN` is denied (a name cannot be held to CIDRs; SRV009 judges names on ExternalName Services).
A tenant without egress CIDRs may write no endpoints.

Who writes it decides whether it is judged. Kubernetes' controllers (endpointslice, endpoints, mirroring) fill
these objects with the tenant's own pod IPs; at admission their requests come from platform identities
(settings `platformUsers`/`platformGroups`: `system:kube-controller-manager`, kube-system's service accounts)
and are not judged. Lint judges a manifest as the tenant's. The audit cannot know who wrote a stored object, so
it leaves alone the ones labelled by the controllers that fill them from pods —
`endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io` and
`endpoints.kubernetes.io/managed-by: endpoint-controller` — as kube-apiserver itself does when it warns about
Endpoints; slices the mirroring controller copies from tenant-written Endpoints are judged.

Why it matters: kube-proxy, the platform gateway and the ingress controller send a Service's traffic to the
addresses in its slices, and they are not bound by the tenant's NetworkPolicies. A hand-written slice listing
globex's pod IPs behind acme's Service lets acme's route on the shared gateway reach globex's model server
(CVE-2021-25740; Kubernetes answered by taking endpoint writes out of the `edit` and `admin` roles, which
platforms that let tenants front external databases grant back).

Fix: for an external database, give the Service no selector and write an EndpointSlice with the database's
IP — inside the Tenant's `network.allowEgressCIDRs` (ask the platform team to add its range; the tenant's
NetworkPolicies need it there anyway) — or use an ExternalName Service with the database's DNS name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.fields import sequence
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import Path, dotted
from tenantguard.policies.request import Origin
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.serving.addresses import egress_list, parse_ip, within_egress
from tenantguard.policies.subjects import Subject

# The labels of the controllers that fill these objects from the Service's own pods.
CONTROLLER_LABELS = (
    ("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"),
    ("endpoints.kubernetes.io/managed-by", "endpoint-controller"),
)


def addresses(obj: dict[str, Any]) -> Iterator[tuple[Path, Any]]:
    if obj.get("kind") == "EndpointSlice":
        for i, endpoint in enumerate(sequence(obj.get("endpoints"))):
            if isinstance(endpoint, dict):
                for j, address in enumerate(sequence(endpoint.get("addresses"))):
                    yield ("endpoints", i, "addresses", j), address
        return
    for i, subset in enumerate(sequence(obj.get("subsets"))):
        for field in ("addresses", "notReadyAddresses"):
            for j, address in enumerate(sequence(subset.get(field) if isinstance(subset, dict) else None)):
                yield ("subsets", i, field, j, "ip"), address.get("ip") if isinstance(address, dict) else None


def _by_controller(subject: Subject, ctx: Context) -> bool:
    if ctx.by_platform:
        return True
    existing = ctx.request.origin is Origin.EXISTING
    return existing and any(subject.labels.get(key) == value for key, value in CONTROLLER_LABELS)


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None or _by_controller(subject, ctx):
        return
    fqdn = subject.kind == "EndpointSlice" and subject.obj.get("addressType") == "FQDN"
    for path, address in addresses(subject.obj):
        if fqdn:
            yield Finding(
                path=dotted(path),
                message=f"FQDN endpoint {address!r} cannot be held to egress CIDRs; use an ExternalName Service",
            )
            continue
        ip = parse_ip(address) if isinstance(address, str) else None
        if ip is None or not within_egress(ip, tenant):
            yield Finding(
                path=dotted(path),
                message=f"address {address!r} is outside the tenant's egress CIDRs ({egress_list(tenant)})",
            )


def _slice(ip: str) -> dict[str, Any]:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "models-db-1",
            "namespace": "acme-prod",
            "labels": {"tenantguard.io/tenant": "acme", "kubernetes.io/service-name": "models-db"},
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [ip]}],
        "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
    }


RULE = Rule(
    id="SRV011",
    slug="endpoints-within-egress-cidrs",
    title="Endpoints a tenant writes point only into its egress CIDRs",
    category=Category.SERVING,
    severity=Severity.ERROR,
    kinds=frozenset({"EndpointSlice", "Endpoints"}),
    fix="list only addresses inside the Tenant's spec.network.allowEgressCIDRs (or use an ExternalName Service "
    "for a DNS name); pods are reached through a Service selector",
    why="Proxies follow a Service's endpoints around the tenant's NetworkPolicies, so hand-written endpoints "
    "could hand another tenant's pods to this tenant.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object=_slice("10.20.8.15"), note="an external database inside the egress CIDRs"),),
    denied=(
        Example(object=_slice("10.244.3.17"), note="a pod IP of another tenant"),
        Example(object=_slice("10.96.0.1"), note="a Service IP (the Kubernetes API)"),
    ),
)
