"""NET004 ipblock-within-egress-cidrs — ipBlocks stay inside the tenant's egress CIDRs.

What it checks: every `ipBlock.cidr` in `spec.egress[*].to` and `spec.ingress[*].from` is a valid IPv4 or
IPv6 network contained in one of the Tenant's `network.allowEgressCIDRs`. `except` does not help: `0.0.0.0/0`
minus a few ranges still reaches everything else. A tenant without egress CIDRs may use no ipBlock.

Ingress is held to the same list on purpose: tenant traffic enters through the gateway namespaces (selected
by name, see NET003), and the only address ranges the platform has vouched for are the tenant's egress CIDRs.
Any other range may contain pod or node addresses of other tenants, so an ingress ipBlock could admit them.

Why it matters: egress outside the declared CIDRs is how a compromised model server would exfiltrate weights
or prompts, or reach another tenant's pods by IP and bypass the namespace selectors.

Fix: narrow the ipBlock to a range inside your egress CIDRs, or ask the platform team to add the range to the
Tenant's `spec.network.allowEgressCIDRs`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network

from tenantguard.policies.context import Context
from tenantguard.policies.fields import mapping
from tenantguard.policies.model import Category, Finding, Obj, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.network.peers import peers
from tenantguard.policies.subjects import Subject

Network = IPv4Network | IPv6Network


def _network(text: object) -> Network | None:
    return _parse(str(text))


@lru_cache(maxsize=1024)  # the tenant's egress CIDRs are parsed for every NetworkPolicy; networks are immutable
def _parse(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def inside(net: Network, allowed: list[Network]) -> bool:
    """`net` is contained in one of `allowed` of the same IP version."""
    for a in allowed:
        if isinstance(net, IPv4Network) and isinstance(a, IPv4Network) and net.subnet_of(a):
            return True
        if isinstance(net, IPv6Network) and isinstance(a, IPv6Network) and net.subnet_of(a):
            return True
    return False


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    allowed = [n for n in (_network(c) for c in ctx.tenant.egress_cidrs) if n is not None]
    listed = ", ".join(ctx.tenant.egress_cidrs) or "none"
    for ref in peers(subject.obj):
        if "ipBlock" not in ref.peer:
            continue
        cidr = mapping(ref.peer["ipBlock"]).get("cidr")
        path = dotted((*ref.path, "ipBlock", "cidr"))
        net = _network(cidr)
        if net is None:
            yield Finding(path=path, message=f"{cidr!r} is not a valid CIDR")
        elif not inside(net, allowed):
            yield Finding(
                path=path,
                message=f"{ref.direction} ipBlock {cidr} is outside the egress CIDRs "
                f"of tenant {ctx.tenant.name!r} ({listed})",
            )


def _ip(cidr: str, direction: str = "egress", excepts: tuple[str, ...] = ()) -> Obj:
    side = "to" if direction == "egress" else "from"
    block: Obj = {"cidr": cidr, "except": list(excepts)} if excepts else {"cidr": cidr}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "storage",
            "namespace": "acme-prod",
            "labels": {"tenantguard.io/tenant": "acme"},
        },
        "spec": {
            "podSelector": {},
            "policyTypes": [direction.capitalize()],
            direction: [{side: [{"ipBlock": block}]}],
        },
    }


RULE = Rule(
    id="NET004",
    slug="ipblock-within-egress-cidrs",
    title="NetworkPolicy ipBlocks stay inside the tenant's egress CIDRs",
    category=Category.NETWORK,
    severity=Severity.ERROR,
    kinds=frozenset({"NetworkPolicy"}),
    fix="narrow ipBlock.cidr to a range inside the Tenant's spec.network.allowEgressCIDRs (or have the "
    "platform team add the range there)",
    why="Address ranges outside the tenant's declared CIDRs reach the internet or other tenants' pods by IP.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_ip("10.20.4.0/24")),
        Example(
            object=_ip("2001:db8:20::/64"),
            tenant={"network": {"allowEgressCIDRs": ["10.20.0.0/16", "2001:db8:20::/48"]}},
            note="IPv6",
        ),
    ),
    denied=(
        Example(
            object=_ip("0.0.0.0/0", excepts=("10.0.0.0/8",)),
            note="everything but a few ranges is still everything",
        ),
        Example(object=_ip("10.20.0.0/15"), note="wider than the allowed /16"),
        Example(object=_ip("10.30.0.0/16", "ingress"), note="ingress ipBlocks too"),
    ),
)
