"""Reachable class pairs folded into the audit report's views: namespace ports and cross-tenant paths.

Both views can be as large as namespaces² (a cluster without policies); identical port and pod lists are built
once and shared between entries, so treat the returned lists as read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tenantguard.policies.netpol.classes import PodClass, Verdict
from tenantguard.policies.netpol.nodes import PodPairs
from tenantguard.policies.netpol.policy import RuleRef
from tenantguard.policies.netpol.ports import NOTHING, PortSet
from tenantguard.policies.netpol.reachability import Reach, Reachability, Side

MAX_PODS = 20  # pod names (and workload names) listed per end of a cross-tenant path


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
# (sources key, source classes, destination classes by index, ports, ingress rules, egress rules)
Contribution = tuple[int, list[PodClass], dict[int, PodClass], PortSet, frozenset[RuleRef], frozenset[RuleRef]]


class _SideReach:
    """What one egress side reaches in one destination namespace, beyond its exact pairs."""

    __slots__ = ("destinations", "egress", "ingress", "ports")

    def __init__(self) -> None:
        self.destinations: dict[int, PodClass] = {}
        self.ports = NOTHING
        self.ingress: set[RuleRef] = set()
        self.egress: set[RuleRef] = set()


def rules_json(rules: Iterable[RuleRef]) -> list[dict[str, str]]:
    """Rules as the report lists them: `{"policy": "ns/name", "rule": "spec.ingress[0]"}`, sorted."""
    return [{"policy": ref.policy, "rule": ref.rule} for ref in sorted(rules)]


def end(tenant: str, namespace: str, pods: Iterable[str], workloads: Iterable[str]) -> dict[str, Any]:
    """One end of a cross-tenant path: tenant, namespace, the first MAX_PODS pod and workload names."""
    return {
        "tenant": tenant,
        "namespace": namespace,
        "pods": sorted(set(pods))[:MAX_PODS],
        "workloads": sorted(set(workloads))[:MAX_PODS],
    }


class _Entries:
    """Builds report entries, sharing "from"/"to" objects and lists that are equal."""

    def __init__(self, tenant_of: Mapping[str, str]) -> None:
        self._tenant_of = tenant_of
        self._ends: dict[object, dict[str, Any]] = {}
        self._ports: dict[PortSet, list[str]] = {}
        self._rules: dict[frozenset[RuleRef], tuple[list[str], list[dict[str, str]]]] = {}

    def _end(self, key: object, namespace: str, groups: Iterable[list[PodClass]]) -> dict[str, Any]:
        found = self._ends.get(key)
        if found is None:
            unique = {cls.index: cls for group in groups for cls in group}.values()
            members = [pod for cls in unique for pod in cls.members]
            found = self._ends[key] = end(
                self._tenant_of[namespace], namespace, (p.name for p in members), (p.owner for p in members)
            )
        return found

    def _described(self, rules: frozenset[RuleRef]) -> tuple[list[str], list[dict[str, str]]]:
        found = self._rules.get(rules)
        if found is None:
            found = self._rules[rules] = (sorted({ref.policy for ref in rules}), rules_json(rules))
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
        ingress_policies, ingress_rules = self._described(ingress)
        egress_policies, egress_rules = self._described(egress)
        return {
            "from": source,
            "to": destination,
            "ports": described,
            "ingressPolicies": ingress_policies,
            "egressPolicies": egress_policies,
            "ingressRules": ingress_rules,
            "egressRules": egress_rules,
            "viaNode": False,
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
                opening = (frozenset(found.ingress_rules), frozenset(found.egress_rules))
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
            inbound, host = item.inbound, side.host
            collected.ingress |= reachability.wild_opening(inbound, "ingress", d.ports, ports, other_host=host)
            collected.egress |= reachability.wild_opening(side, "egress", d.ports, ports, other_host=d.host)
    for (_, dst), (side, collected) in side_reach.items():
        dst_tenant = tenant_of[dst]
        ingress, egress = frozenset(collected.ingress), frozenset(collected.egress)
        for src, classes in side.by_namespace.items():
            src_tenant = tenant_of.get(src)
            if src_tenant is not None and src_tenant != dst_tenant:
                _add(paths, src, dst, (id(classes), classes, collected.destinations, collected.ports, ingress, egress))
    entries = _Entries(tenant_of)
    return [entries.entry(src, dst, paths[src][dst]) for src in sorted(paths) for dst in sorted(paths[src])]


def merge_node_local(
    paths: list[dict[str, Any]], node_pairs: PodPairs, tenant_of: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The cross-tenant paths with the node-local pairs (`nodes`) merged in: every port, `viaNode` true."""
    by_key = {(p["from"]["namespace"], p["to"]["namespace"]): p for p in paths}
    for (src, dst), (sources, destinations) in node_pairs.items():
        src_tenant, dst_tenant = tenant_of.get(src), tenant_of.get(dst)
        if src_tenant is None or dst_tenant is None or src_tenant == dst_tenant:
            continue
        known = by_key.get((src, dst))
        old_from = known["from"] if known else {"pods": [], "workloads": []}
        old_to = known["to"] if known else {"pods": [], "workloads": []}
        by_key[src, dst] = {
            "from": end(src_tenant, src, [*old_from["pods"], *(p.name for p in sources)],
                        [*old_from["workloads"], *(p.owner for p in sources)]),
            "to": end(dst_tenant, dst, [*old_to["pods"], *(p.name for p in destinations)],
                      [*old_to["workloads"], *(p.owner for p in destinations)]),
            "ports": ["*"],
            "ingressPolicies": known["ingressPolicies"] if known else [],
            "egressPolicies": known["egressPolicies"] if known else [],
            "ingressRules": known["ingressRules"] if known else [],
            "egressRules": known["egressRules"] if known else [],
            "viaNode": True,
        }  # fmt: skip
    return [by_key[key] for key in sorted(by_key)]
