"""Reachable class pairs folded into the audit report's views: namespace ports and cross-tenant paths.

Both views can be as large as namespaces² (a cluster without policies); identical port and pod lists are built
once and shared between entries, so treat the returned lists as read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tenantguard.policies.netpol.classes import PodClass, Verdict
from tenantguard.policies.netpol.ports import NOTHING, PortSet
from tenantguard.policies.netpol.reachability import Reach, Reachability, Side

MAX_PODS = 20  # pod names listed per end of a cross-tenant path


def namespace_ports(reach: list[Reach]) -> dict[str, dict[str, PortSet]]:
    """src namespace -> dst namespace -> union of the ports any pod opens to any other pod."""
    matrix: dict[str, dict[str, PortSet]] = {}
    # per (egress side, dst namespace): ports for its pods in other namespaces, and for its pods in that namespace
    by_side: dict[tuple[int, str], tuple[Side, PortSet, PortSet]] = {}
    for item in reach:
        d = item.destination
        for s, ports in item.exact:
            row = matrix.setdefault(s.namespace, {})
            row[d.namespace] = row.get(d.namespace, NOTHING).union(ports)
        for side, ports in item.sides:
            _, elsewhere, here = by_side.get((id(side), d.namespace), (side, NOTHING, NOTHING))
            # pods of this side in d's namespace other than the destination pod itself
            others = side.pods.get(d.namespace, 0) - (1 if side is item.destination_egress else 0)
            by_side[id(side), d.namespace] = (side, elsewhere.union(ports), here.union(ports) if others > 0 else here)
    for (_, dst), (side, elsewhere, here) in by_side.items():
        for src in side.by_namespace:
            ports = here if src == dst else elsewhere
            if ports:
                row = matrix.setdefault(src, {})
                row[dst] = row.get(dst, NOTHING).union(ports)
    return {src: dict(sorted(matrix[src].items())) for src in sorted(matrix)}


# One reason a (src namespace, dst namespace) pair is reachable; its parts are shared with other contributions:
# (sources key, source classes, destination classes by index, ports, ingress policies, egress policies)
Contribution = tuple[int, list[PodClass], dict[int, PodClass], PortSet, frozenset[str], frozenset[str]]


class _SideReach:
    """What one egress side reaches in one destination namespace, beyond its exact pairs."""

    __slots__ = ("destinations", "egress", "ingress", "ports")

    def __init__(self) -> None:
        self.destinations: dict[int, PodClass] = {}
        self.ports = NOTHING
        self.ingress: set[str] = set()
        self.egress: set[str] = set()


class _Entries:
    """Builds report entries, sharing "from"/"to" objects and lists that are equal."""

    def __init__(self, tenant_of: Mapping[str, str]) -> None:
        self._tenant_of = tenant_of
        self._ends: dict[object, dict[str, Any]] = {}
        self._ports: dict[PortSet, list[str]] = {}
        self._policies: dict[frozenset[str], list[str]] = {}

    def _end(self, key: object, namespace: str, groups: Iterable[list[PodClass]]) -> dict[str, Any]:
        found = self._ends.get(key)
        if found is None:
            unique = {cls.index: cls for group in groups for cls in group}.values()
            pods = sorted(pod.name for cls in unique for pod in cls.members)[:MAX_PODS]
            found = self._ends[key] = {"tenant": self._tenant_of[namespace], "namespace": namespace, "pods": pods}
        return found

    def _sorted(self, policies: frozenset[str]) -> list[str]:
        found = self._policies.get(policies)
        if found is None:
            found = self._policies[policies] = sorted(policies)
        return found

    def entry(self, src: str, dst: str, found: Contribution | list[Contribution]) -> dict[str, Any]:
        if isinstance(found, tuple):
            key, sources, destinations, ports, ingress, egress = found
            source = self._end(key, src, (sources,))
            destination = self._end(id(destinations), dst, ([cls] for cls in destinations.values()))
        else:
            keys = tuple(sorted({c[0] for c in found}))
            source = self._end(("from", src, keys), src, (c[1] for c in found))
            merged = {index: cls for c in found for index, cls in c[2].items()}
            destination = self._end(("to", dst, tuple(sorted(merged))), dst, ([cls] for cls in merged.values()))
            ports = NOTHING
            for c in found:
                ports = ports.union(c[3])
            ingress = frozenset().union(*(c[4] for c in found))
            egress = frozenset().union(*(c[5] for c in found))
        described = self._ports.get(ports)
        if described is None:
            described = self._ports[ports] = list(ports.describe())
        return {
            "from": source,
            "to": destination,
            "ports": described,
            "ingressPolicies": self._sorted(ingress),
            "egressPolicies": self._sorted(egress),
        }


def _add(paths: dict[str, dict[str, Contribution | list[Contribution]]], src: str, dst: str, c: Contribution) -> None:
    row = paths.get(src)
    if row is None:
        row = paths[src] = {}
    known = row.get(dst)
    if known is None:
        row[dst] = c
    elif isinstance(known, list):
        known.append(c)
    else:
        row[dst] = [known, c]


def cross_tenant_paths(
    reach: list[Reach],
    reachability: Reachability,
    tenant_of: Mapping[str, str],
    verdict: Callable[[PodClass, PodClass], Verdict],
) -> list[dict[str, Any]]:
    """One entry per (src namespace, dst namespace) of different tenants with a reachable pod pair."""
    paths: dict[str, dict[str, Contribution | list[Contribution]]] = {}
    singles: dict[int, list[PodClass]] = {}
    side_reach: dict[tuple[int, str], tuple[Side, _SideReach]] = {}
    for item in reach:
        d = item.destination
        dst_tenant = tenant_of.get(d.namespace)
        if dst_tenant is None:
            continue
        for s, _ in item.exact:
            src_tenant = tenant_of.get(s.namespace)
            if src_tenant is not None and src_tenant != dst_tenant:
                found = verdict(s, d)
                sources = singles.setdefault(id(s), [s])
                opening = (frozenset(found.ingress_policies), frozenset(found.egress_policies))
                _add(paths, s.namespace, d.namespace, (id(sources), sources, {d.index: d}, found.ports, *opening))
        # every other source of a side gets the side's wild ports: one attribution per (side, destination)
        for side, ports in item.sides:
            key = (id(side), d.namespace)
            entry = side_reach.get(key)
            if entry is None:
                entry = side_reach[key] = (side, _SideReach())
            collected = entry[1]
            collected.destinations[d.index] = d
            collected.ports = collected.ports.union(ports)
            collected.ingress |= reachability.wild_opening(item.inbound, "ingress", d.ports, ports)
            collected.egress |= reachability.wild_opening(side, "egress", d.ports, ports)
    for (_, dst), (side, collected) in side_reach.items():
        dst_tenant = tenant_of[dst]
        ingress, egress = frozenset(collected.ingress), frozenset(collected.egress)
        for src, classes in side.by_namespace.items():
            src_tenant = tenant_of.get(src)
            if src_tenant is not None and src_tenant != dst_tenant:
                _add(paths, src, dst, (id(classes), classes, collected.destinations, collected.ports, ingress, egress))
    entries = _Entries(tenant_of)
    return [entries.entry(src, dst, paths[src][dst]) for src in sorted(paths) for dst in sorted(paths[src])]
