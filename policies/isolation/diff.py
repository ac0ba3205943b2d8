"""What a change does to who can reach whom: the connections it opens and closes, with the rules behind them.

Base and head are network worlds (two manifest trees, or a cluster and the same cluster with a change
applied). A change to a namespace — its pods or templates, its NetworkPolicies, its labels — can only alter
connections with an end in that namespace: a policy governs its own namespace's pods, and whether a pod or a
namespace matches someone else's selector is a property of that pod or namespace. So the diff compares the
workload pairs (`NetworkAnalysis.workload_pairs`) touching the namespaces that differ, not every pair.

A connection is opened when head lets a workload reach another on ports base did not (the new ports are
reported), closed the other way round. Each opened connection names the rules of head that allow it, marking
those of policies the change added or edited; one with no rule (neither end isolated) names the policies the
change removed from its ends. A change fails a pull-request check when it opens a connection across tenants,
or publishes a tenant workload outside the platform gateway (`exposure`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.isolation.exposure import Exposed, exposures
from tenantguard.policies.isolation.world import NetworkWorld
from tenantguard.policies.netpol import ANY_NODE, NetworkAnalysis, PodInfo, RuleRef
from tenantguard.policies.netpol.ports import NOTHING, PortSet

MAX_CLASS_PAIRS = 64  # per connection, the class pairs looked at to name its rules


@dataclass(frozen=True, slots=True, kw_only=True)
class Connection:
    source: str  # workload: "namespace/name[Kind]"
    destination: str
    source_tenant: str | None
    destination_tenant: str | None
    ports: tuple[str, ...]  # the ports opened (or closed)
    rules: tuple[RuleRef, ...] = ()  # the rules allowing it: in head (opened) or base (closed)
    changed: tuple[RuleRef, ...] = ()  # those of them in policies the change added or edited
    lifted: tuple[str, ...] = ()  # policies the change removed from its ends (when no rule allows it)
    via_node: bool = False

    @property
    def cross_tenant(self) -> bool:
        return (
            self.source_tenant is not None
            and self.destination_tenant is not None
            and self.source_tenant != self.destination_tenant
        )

    @property
    def reason(self) -> str:
        """Why it is open (opened) or was (closed), in words."""
        parts = [f"{ref}{' (changed)' if ref in self.changed else ''}" for ref in self.rules]
        if self.via_node:
            parts.append("a hostNetwork pod shares a node with the other end")
        if not parts:
            lifted = f"; removed: {', '.join(self.lifted)}" if self.lifted else ""
            return f"no NetworkPolicy isolates either end{lifted}"
        return ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": {"tenant": self.source_tenant, "workload": self.source},
            "to": {"tenant": self.destination_tenant, "workload": self.destination},
            "ports": list(self.ports),
            "crossTenant": self.cross_tenant,
            "rules": [{"policy": r.policy, "rule": r.rule, "changed": r in self.changed} for r in self.rules],
            "removedPolicies": list(self.lifted),
            "viaNode": self.via_node,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ReachabilityDiff:
    changed_namespaces: tuple[str, ...]
    opened: tuple[Connection, ...]
    closed: tuple[Connection, ...]
    tenants_opened: tuple[tuple[str, str], ...]  # tenant pairs with no path in base and one in head
    tenants_closed: tuple[tuple[str, str], ...]
    exposed: tuple[Exposed, ...]  # published outside the gateway in head, not in base (or on more)
    unexposed: tuple[Exposed, ...]

    @property
    def cross_tenant_opened(self) -> tuple[Connection, ...]:
        return tuple(c for c in self.opened if c.cross_tenant)

    @property
    def failing(self) -> bool:
        """What fails a pull-request check: a connection opened across tenants, or a new exposure."""
        return bool(self.cross_tenant_opened or self.exposed)


def _fingerprints(world: NetworkWorld, specs: Mapping[str, Any]) -> dict[str, tuple[Any, ...]]:
    """Per namespace, everything that decides the connections with an end in it."""
    pods: dict[str, set[tuple[Any, ...]]] = {}
    for pod in world.pods:
        found = pods.get(pod.namespace)
        if found is None:
            found = pods[pod.namespace] = set()
        found.add((pod.name, pod.owner, frozenset(pod.labels.items()), pod.ports, pod.host_network, pod.ip, pod.node,
                   pod.addresses))  # fmt: skip
    policies: dict[str, dict[str, Any]] = {}
    for key, spec in specs.items():
        policies.setdefault(key.partition("/")[0], {})[key] = spec
    names = set(world.namespaces) | set(pods) | set(policies)
    return {
        ns: (
            frozenset((world.namespaces.get(ns) or {}).items()),
            world.tenant_of.get(ns),
            frozenset(pods.get(ns, ())),
            policies.get(ns, {}),
        )
        for ns in names
    }


def _policy_specs(world: NetworkWorld) -> dict[str, Any]:
    """Each policy's spec by `namespace/name`, to tell the ones a change added or edited (dicts compare by
    value, whatever the order of their keys)."""
    found = {}
    for policy in world.policies:
        meta = policy.get("metadata") or {}
        found[f"{meta.get('namespace')}/{meta.get('name')}"] = policy.get("spec")
    return found


def changed_namespaces(
    base: NetworkWorld, head: NetworkWorld, specs: tuple[Mapping[str, Any], Mapping[str, Any]] | None = None
) -> tuple[str, ...]:
    """The namespaces whose pods, policies, labels or tenant differ between the two worlds."""
    old_specs, new_specs = specs or (_policy_specs(base), _policy_specs(head))
    old, new = _fingerprints(base, old_specs), _fingerprints(head, new_specs)
    return tuple(sorted(ns for ns in set(old) | set(new) if old.get(ns) != new.get(ns)))


def _namespace(workload: str) -> str:
    return workload.partition("/")[0]


class _Rules:
    """The rules allowing a workload pair in one world."""

    def __init__(self, analysis: NetworkAnalysis) -> None:
        self._analysis = analysis
        self._pods: dict[str, list[PodInfo]] | None = None

    def pods(self, workload: str) -> list[PodInfo]:
        if self._pods is None:
            self._pods = self._analysis.workloads()
        return self._pods.get(workload, [])

    def between(self, source: str, destination: str) -> tuple[tuple[RuleRef, ...], bool]:
        analysis = self._analysis
        sources = {id(c): (c, p) for p in self.pods(source) for c in (analysis.class_of(p),)}
        destinations = {id(c): (c, p) for p in self.pods(destination) for c in (analysis.class_of(p),)}
        rules: set[RuleRef] = set()
        looked = 0
        for s, _ in sources.values():
            for d, _ in destinations.values():
                if looked >= MAX_CLASS_PAIRS:
                    break
                looked += 1
                verdict = analysis.model.verdict(s, d)
                rules.update(verdict.ingress_rules, verdict.egress_rules)
        src, dst = self.pods(source), self.pods(destination)
        if source == destination and len(src) < 2:
            return tuple(sorted(rules)), False
        via_node = _share(_nodes(src, hosts=True), _nodes(dst)) or _share(_nodes(src), _nodes(dst, hosts=True))
        return tuple(sorted(rules)), via_node


def _nodes(pods: Iterable[PodInfo], *, hosts: bool = False) -> set[str]:
    return {p.node for p in pods if p.node and (p.host_network or not hosts)}


def _share(one: set[str], other: set[str]) -> bool:
    """Whether a pod on one of these nodes may share a node with a pod on one of those (`nodes.share_node`)."""
    return bool(one and other) and (bool(one & other) or ANY_NODE in one or ANY_NODE in other)


def _connections(
    more: Mapping[tuple[str, str], PortSet],
    less: Mapping[tuple[str, str], PortSet],
    world: NetworkWorld,
    analysis: NetworkAnalysis,
    changed_policies: frozenset[str],
    gone: Mapping[str, list[str]],
) -> tuple[Connection, ...]:
    """The pairs where `more` opens ports `less` does not, explained in `more`'s world."""
    rules = _Rules(analysis)
    found: list[Connection] = []
    for (src, dst), ports in sorted(more.items()):
        added = ports.difference(less.get((src, dst), NOTHING))
        if not added:
            continue
        opening, via_node = rules.between(src, dst)
        changed = tuple(r for r in opening if r.policy in changed_policies)
        lifted = () if opening else tuple(sorted({*gone.get(_namespace(src), ()), *gone.get(_namespace(dst), ())}))
        found.append(
            Connection(
                source=src,
                destination=dst,
                source_tenant=world.tenant_of.get(_namespace(src)),
                destination_tenant=world.tenant_of.get(_namespace(dst)),
                ports=added.describe(),
                rules=opening,
                changed=changed,
                lifted=lifted,
                via_node=via_node,
            )
        )
    return tuple(found)


def _tenants_changed(
    connections: Iterable[Connection], other: NetworkWorld, analysis: NetworkAnalysis
) -> tuple[tuple[str, str], ...]:
    """The tenant pairs of these cross-tenant connections that the other world does not connect at all."""
    pairs = {(c.source_tenant or "", c.destination_tenant or "") for c in connections if c.cross_tenant}
    found = []
    for src, dst in sorted(pairs):
        sources = [ns for ns, owner in other.tenant_of.items() if owner == src]
        destinations = [ns for ns, owner in other.tenant_of.items() if owner == dst]
        if not analysis.connects(sources, destinations):
            found.append((src, dst))
    return tuple(found)


def _exposure_keys(found: Iterable[Exposed]) -> dict[tuple[str, str, str, str], Exposed]:
    return {(e.kind, e.namespace, e.name, e.how): e for e in found if not e.gateway}


def _new_exposures(head: Mapping[Any, Exposed], base: Mapping[Any, Exposed]) -> tuple[Exposed, ...]:
    out = []
    for key, entry in sorted(head.items()):
        known = base.get(key)
        if known is None or not {*entry.ports, *entry.workloads} <= {*known.ports, *known.workloads}:
            out.append(entry)
    return tuple(out)


def diff(base: NetworkWorld, head: NetworkWorld) -> ReachabilityDiff:
    old_specs, new_specs = _policy_specs(base), _policy_specs(head)
    changed = changed_namespaces(base, head, (old_specs, new_specs))
    before, after = base.analyze(), head.analyze()
    old, new = before.workload_pairs(changed), after.workload_pairs(changed)
    edited = frozenset(key for key, spec in new_specs.items() if old_specs.get(key) != spec)
    removed = frozenset(key for key, spec in old_specs.items() if new_specs.get(key) != spec)
    gone_by_ns: dict[str, list[str]] = {}
    for key in removed - set(new_specs):
        gone_by_ns.setdefault(key.partition("/")[0], []).append(key)
    opened = _connections(new, old, head, after, edited, gone_by_ns)
    closed = _connections(old, new, base, before, removed, {})
    base_exposed, head_exposed = _exposure_keys(exposures(base, before)), _exposure_keys(exposures(head, after))
    return ReachabilityDiff(
        changed_namespaces=changed,
        opened=opened,
        closed=closed,
        tenants_opened=_tenants_changed(opened, base, before),
        tenants_closed=_tenants_changed(closed, head, after),
        exposed=_new_exposures(head_exposed, base_exposed),
        unexposed=_new_exposures(base_exposed, head_exposed),
    )
