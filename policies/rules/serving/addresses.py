"""IP addresses a tenant names directly (endpoints, ExternalName IP literals) against its egress CIDRs.

The Tenant's `network.allowEgressCIDRs` are the only address ranges the platform has vouched for: the
managed NetworkPolicies let the tenant's pods reach them and nothing else outside the tenant. An address the
tenant hands to someone else's proxy (kube-proxy, the gateway, the ingress controller) is held to the same
list, because that proxy is not bound by the tenant's NetworkPolicies.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from tenantguard.policies.tenancy import Tenant

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
# Four numbers joined by dots or dashes, as wildcard DNS services (nip.io, sslip.io) and cloud host names
# (ip-10-0-1-5.ec2.internal) embed the address they resolve to.
_EMBEDDED = re.compile(r"(?:^|[.-])(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?=$|[.-])")


@lru_cache(maxsize=1024)
def parse_ip(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


@lru_cache(maxsize=256)
def _networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    out: list[Network] = []
    for cidr in cidrs:
        try:
            out.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue  # NET004 reports the Tenant's own bad CIDR where it is used; here it admits nothing
    return tuple(out)


def embedded_internal_ip(name: str) -> Address | None:
    """An internal (non-global: private, loopback, link-local, shared) IPv4 address spelled inside a DNS name,
    which resolvers such as nip.io answer with: `10.244.3.17.nip.io`, `10-244-3-17.sslip.io`."""
    for match in _EMBEDDED.finditer(name):
        ip = parse_ip(".".join(match.groups()))
        if ip is not None and not ip.is_global:
            return ip
    return None


def within_egress(address: Address, tenant: Tenant) -> bool:
    """`address` lies in one of the tenant's egress CIDRs of the same IP version (IPv4-mapped IPv6 addresses
    are judged as the IPv4 address they carry)."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in _networks(tenant.egress_cidrs))


def egress_list(tenant: Tenant) -> str:
    return ", ".join(tenant.egress_cidrs) or "none"
