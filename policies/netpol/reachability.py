"""Every reachable pair of classes, without looking at every pair.

Each class has an ingress side (what the policies isolating it for ingress open) and an egress side; classes with
the same isolating policies share one side (hostNetwork classes get sides of their own). A side opens ports to
every class ("wild": a rule without peers, or peers matching every class), to every pod-network class
("wild_pods": a selector peer matching every pod — selectors never match hostNetwork pods), or to specific
classes. For a destination d, the sources needing a look of their own are the classes its ingress side names,
plus the classes whose egress side names d; every other source reaches d exactly with (its egress wild ports)
∩ (d's ingress wild ports), evaluated once per egress side. The cost is the number of specific (class, class)
entries plus destinations x egress sides, not classes squared.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tenantguard.policies.netpol.classes import Model, PodClass
from tenantguard.policies.netpol.pods import ContainerPort
from tenantguard.policies.netpol.policy import Peer, RuleRef
from tenantguard.policies.netpol.ports import ALL_PORTS, NO_PORTS, NOTHING, PortSet, PortSpec
from tenantguard.policies.netpol.selectors import Selector

Specific = dict[int, PortSpec]  # class index -> ports
WildRule = tuple[RuleRef, PortSpec, bool]  # a rule opening to every class (False) or every pod-network class (True)
ALL_PODS: tuple[int, ...] = (-1,)  # _match: every class that is not hostNetwork


@dataclass(frozen=True, slots=True)
class Share:
    """What one policy's rules of one direction open."""

    wild: PortSpec
    wild_pods: PortSpec
    specific: Specific
    wild_rules: tuple[WildRule, ...]


@dataclass(slots=True, eq=False)
class Side:
    policies: tuple[int, ...]  # the isolating policies (empty: not isolated)
    wild: PortSpec
    specific: Specific
    host: bool = False  # the side of hostNetwork classes
    wild_pods: PortSpec = NO_PORTS
    classes: list[PodClass] = field(default_factory=list)
    by_namespace: dict[str, list[PodClass]] = field(default_factory=dict)
    pods: dict[str, int] = field(default_factory=dict)  # namespace -> pods with this side
    to_pods: PortSpec = NO_PORTS  # wild | wild_pods: what it opens to (or accepts from) any pod-network class

    def __post_init__(self) -> None:
        self.to_pods = self.wild.union(self.wild_pods)

    def toward(self, other_host: bool) -> PortSpec:
        """The wild ports towards (egress) or from (ingress) a class of the other end's kind."""
        return self.wild if other_host else self.to_pods

    def add(self, cls: PodClass) -> None:
        self.classes.append(cls)
        self.by_namespace.setdefault(cls.namespace, []).append(cls)
        self.pods[cls.namespace] = self.pods.get(cls.namespace, 0) + len(cls.members)


@dataclass(slots=True)
class Reach:
    """The sources of one destination class: exact ones, and whole egress sides with the ports they get."""

    destination: PodClass
    inbound: Side  # the destination's ingress side
    destination_egress: Side  # the destination's own egress side (it is also a source)
    exact: list[tuple[PodClass, PortSet]]
    sides: list[tuple[Side, PortSet]]


class Reachability:
    def __init__(self, model: Model, classes: Sequence[PodClass]) -> None:
        self._model = model
        self._classes = classes
        self._by_namespace: dict[str, list[PodClass]] = {}  # pod-network classes, which selectors can match
        self._by_block: dict[int, list[PodClass]] = {}
        self._pod_classes = 0
        for cls in classes:
            if not cls.host:
                self._by_namespace.setdefault(cls.namespace, []).append(cls)
                self._pod_classes += 1
            for block in cls.blocks:
                self._by_block.setdefault(block, []).append(cls)
        self._namespaces: dict[Selector, list[str]] = {}
        self._namespace_index: dict[tuple[str, str], set[str]] | None = None
        self._matched: dict[tuple[Peer, str], tuple[int, ...] | None] = {}
        self._shares: dict[tuple[int, str], Share] = {}
        self._resolved: dict[tuple[PortSpec, tuple[ContainerPort, ...]], PortSet] = {}
        self.ingress = self._sides("ingress")
        self.egress = self._sides("egress")

    def _select_namespaces(self, selector: Selector) -> list[str]:
        """The namespaces (with pods) whose labels a namespaceSelector matches."""
        found = self._namespaces.get(selector)
        if found is None:
            candidates: Iterable[str] = self._by_namespace
            if selector.labels:  # only the namespaces carrying every matchLabels pair
                index = self._label_index()
                candidates = set.intersection(*(index.get(pair, set()) for pair in selector.labels))
            labels_of = self._model.labels_of
            found = self._namespaces[selector] = sorted(ns for ns in candidates if selector.matches(labels_of(ns)))
        return found

    def _label_index(self) -> dict[tuple[str, str], set[str]]:
        """(label, value) -> the namespaces with pods carrying it."""
        if self._namespace_index is None:
            self._namespace_index = {}
            for ns in self._by_namespace:
                for pair in self._model.labels_of(ns).items():
                    self._namespace_index.setdefault(pair, set()).add(ns)
        return self._namespace_index

    def _match(self, peer: Peer, namespace: str) -> tuple[int, ...] | None:
        """Indexes of the classes a peer of a policy in `namespace` selects; None: every class; ALL_PODS: every
        pod-network class."""
        key = (peer, namespace if peer.block < 0 and peer.namespace_selector is None else "")
        if key in self._matched:
            return self._matched[key]
        result: tuple[int, ...] | None
        if peer.block >= 0:
            found = self._by_block.get(peer.block, [])
            result = None if len(found) == len(self._classes) else tuple(c.index for c in found)
        else:
            if peer.namespace_selector is None:
                selector = peer.pod_selector
                found = [c for c in self._by_namespace.get(namespace, ()) if selector and selector.matches(c.labels)]
            else:
                pods = peer.pod_selector
                found = [
                    c
                    for ns in self._select_namespaces(peer.namespace_selector)
                    for c in self._by_namespace[ns]
                    if pods is None or pods.matches(c.labels)
                ]
            if len(found) < self._pod_classes:
                result = tuple(c.index for c in found)
            else:
                result = None if self._pod_classes == len(self._classes) else ALL_PODS
        self._matched[key] = result
        return result

    def _share(self, index: int, direction: str) -> Share:
        """What one policy's rules of one direction open: to every class, every pod, and specific classes."""
        key = (index, direction)
        cached = self._shares.get(key)
        if cached is not None:
            return cached
        policy = self._model.policies[index]
        wild = wild_pods = NO_PORTS
        specific: Specific = {}
        wild_rules: list[WildRule] = []
        for rule in policy.rules(direction) or ():
            matched: set[int] = set()
            every_pod = False
            for peer in rule.peers if rule.peers is not None else (None,):
                found = None if peer is None else self._match(peer, policy.namespace)
                if found is None:
                    wild = wild.union(rule.ports)
                    wild_rules.append((rule.ref, rule.ports, False))
                    break
                if found is ALL_PODS:
                    every_pod = True
                else:
                    matched.update(found)
            else:
                if every_pod:
                    wild_pods = wild_pods.union(rule.ports)
                    wild_rules.append((rule.ref, rule.ports, True))
                for cls in matched:
                    known = specific.get(cls)
                    specific[cls] = rule.ports if known is None else known.union(rule.ports)
        share = self._shares[key] = Share(wild, wild_pods, specific, tuple(wild_rules))
        return share

    def _sides(self, direction: str) -> dict[int, Side]:
        """The side of every class (by class index) in one direction."""
        shared: dict[tuple[tuple[int, ...], bool], Side] = {}
        of_class: dict[int, Side] = {}
        for cls in self._classes:
            policies = cls.ingress if direction == "ingress" else cls.egress
            side = shared.get((policies, cls.host))
            if side is None:
                side = shared[policies, cls.host] = self._side(policies, direction, cls.host)
            side.add(cls)
            of_class[cls.index] = side
        return of_class

    def _side(self, policies: tuple[int, ...], direction: str, host: bool) -> Side:
        if not policies:
            return Side(policies=policies, wild=ALL_PORTS, specific={}, host=host)
        if len(policies) == 1:
            only = self._share(policies[0], direction)
            return Side(policies=policies, wild=only.wild, specific=only.specific, host=host, wild_pods=only.wild_pods)
        wild = wild_pods = NO_PORTS
        specific: Specific = {}
        for index in policies:
            share = self._share(index, direction)
            wild = wild.union(share.wild)
            wild_pods = wild_pods.union(share.wild_pods)
            for cls, ports in share.specific.items():
                known = specific.get(cls)
                specific[cls] = ports if known is None else known.union(ports)
        return Side(policies=policies, wild=wild, specific=specific, host=host, wild_pods=wild_pods)

    def _resolve(self, spec: PortSpec, ports: tuple[ContainerPort, ...]) -> PortSet:
        if not spec.named:
            return spec.numeric
        key = (spec, ports)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = spec.resolve(ports)
        return found

    def wild_opening(
        self, side: Side, direction: str, ports: tuple[ContainerPort, ...], opened: PortSet, *, other_host: bool
    ) -> set[RuleRef]:
        """The rules of a side that open part of `opened` to every class of the other end's kind (on a
        destination's ports)."""
        found: set[RuleRef] = set()
        for index in side.policies:
            for ref, spec, pods_only in self._share(index, direction).wild_rules:
                if not (pods_only and other_host) and self._resolve(spec, ports).intersection(opened):
                    found.add(ref)
        return found

    def reach(self, *, touching: frozenset[str] | None = None) -> list[Reach]:
        """For every destination class, who reaches it and on which ports (a pod reaching itself left out).

        `touching`: only the pairs with an end in these namespaces — every destination there, and elsewhere
        only the sources there (exact ones, and sides with classes there)."""
        reverse: dict[int, list[Side]] = {}
        egress_sides = {id(side): side for side in self.egress.values()}.values()
        for side in egress_sides:
            for target in side.specific:
                reverse.setdefault(target, []).append(side)
        wild_sides = [side for side in egress_sides if side.to_pods]
        inside = touching or frozenset()
        near = [side for side in wild_sides if not inside.isdisjoint(side.by_namespace)]
        out: list[Reach] = []
        for d in self._classes:
            everywhere = touching is None or d.namespace in touching
            inbound = self.ingress[d.index]
            candidates = set(inbound.specific)
            for side in reverse.get(d.index, ()):
                candidates.update(c.index for c in side.classes)
            exact: list[tuple[PodClass, PortSet]] = []
            for index in candidates:
                s = self._classes[index]
                if (s is d and len(d.members) == 1) or not (everywhere or s.namespace in inside):
                    continue
                outbound = self.egress[index]
                out_spec = outbound.toward(d.host).union(outbound.specific.get(d.index, NO_PORTS))
                opened = self._resolve(out_spec, d.ports)
                if opened:
                    in_spec = inbound.toward(s.host).union(inbound.specific.get(index, NO_PORTS))
                    opened = opened.intersection(self._resolve(in_spec, d.ports))
                    if opened:
                        exact.append((s, opened))
            sides: list[tuple[Side, PortSet]] = []
            if inbound.to_pods:
                from_pods = self._resolve(inbound.to_pods, d.ports)
                from_hosts = self._resolve(inbound.wild, d.ports) if inbound.wild else NOTHING
                for side in wild_sides if everywhere else near:
                    accepted = from_hosts if side.host else from_pods
                    offered = side.toward(d.host)
                    if not accepted or not offered:
                        continue
                    opened = self._resolve(offered, d.ports).intersection(accepted)
                    if opened:
                        sides.append((side, opened))
            if exact or sides:
                out.append(Reach(d, inbound, self.egress[d.index], exact, sides))
        return out
