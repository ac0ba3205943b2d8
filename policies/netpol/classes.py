"""Pods grouped into equivalence classes, and the exact verdict for one pair of classes.

Two pods behave the same under every policy — as source and as destination — when they share a namespace, the
values of every label key some selector looks at, the container ports some named policy port names, and the set
of ipBlocks their IP falls in. A class is such a group; everything is computed per class, never per pod.

hostNetwork pods form classes of their own (`PodClass.host`): their traffic is their node's, so no selector
matches them (neither `spec.podSelector` nor a peer's), no policy isolates them, and only ipBlocks holding their
address (the node's) or rules without peers admit them. Their labels and container ports therefore play no part.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tenantguard.policies.netpol.ipblocks import IpBlock, IpIndex
from tenantguard.policies.netpol.pods import ContainerPort, PodInfo
from tenantguard.policies.netpol.policy import Peer, Policy, RuleRef
from tenantguard.policies.netpol.ports import ALL_PORTS, NOTHING, PortSet, PortSpec

NAME_LABEL = "kubernetes.io/metadata.name"

ClassKey = tuple[str, tuple[tuple[str, str], ...], tuple[ContainerPort, ...], frozenset[int], bool]
Share = tuple[RuleRef | None, PortSpec]  # one rule's opening (None: the end is not isolated)
OPEN: list[Share] = [(None, ALL_PORTS)]  # the side of an end that is not isolated


@dataclass(slots=True, eq=False)
class PodClass:
    index: int  # -1: a pod the analysis was not built with
    namespace: str
    labels: dict[str, str]  # only the keys selectors look at
    ports: tuple[ContainerPort, ...]  # only the ports named by some policy
    blocks: frozenset[int]  # the ipBlocks its pods' IP falls in
    ingress: tuple[int, ...]  # the policies isolating it for ingress (empty: not isolated)
    egress: tuple[int, ...]
    host: bool = False  # hostNetwork pods: node traffic, never selected, never isolated
    members: list[PodInfo] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Verdict:
    ports: PortSet
    ingress_rules: tuple[RuleRef, ...] = ()
    egress_rules: tuple[RuleRef, ...] = ()

    @property
    def ingress_policies(self) -> tuple[str, ...]:
        return tuple(sorted({ref.policy for ref in self.ingress_rules}))

    @property
    def egress_policies(self) -> tuple[str, ...]:
        return tuple(sorted({ref.policy for ref in self.egress_rules}))


class Model:
    """Compiled policies and namespace labels; classifies pods and decides class pairs by scanning the policies."""

    def __init__(
        self, namespaces: Mapping[str, Mapping[str, str]], policies: list[Policy], blocks: list[IpBlock]
    ) -> None:
        self.policies = policies
        self.blocks = blocks
        self.namespace_labels = {name: {NAME_LABEL: name, **labels} for name, labels in namespaces.items()}
        self.by_namespace: dict[str, list[int]] = {}
        for index, policy in enumerate(policies):
            self.by_namespace.setdefault(policy.namespace, []).append(index)
        self.label_keys = frozenset().union(*(policy.label_keys for policy in policies))
        self.port_names = frozenset().union(*(policy.port_names for policy in policies))
        self.ip_index = IpIndex(blocks)

    def labels_of(self, namespace: str) -> Mapping[str, str]:
        labels = self.namespace_labels.get(namespace)
        if labels is None:
            labels = self.namespace_labels[namespace] = {NAME_LABEL: namespace}
        return labels

    def _blocks(self, pod: PodInfo) -> frozenset[int]:
        if not self.blocks:
            return frozenset()
        return self.ip_index.matching(pod.ip) if pod.ip else self.ip_index.overlapping(pod.addresses)

    def key(self, pod: PodInfo) -> ClassKey:
        if pod.host_network:
            return pod.namespace, (), (), self._blocks(pod), True
        keys = self.label_keys
        labels = pod.labels
        if len(labels) <= len(keys):
            projected = tuple(sorted((k, v) for k, v in labels.items() if k in keys))
        else:
            projected = tuple(sorted((k, labels[k]) for k in keys if k in labels))
        ports: tuple[ContainerPort, ...] = ()
        if self.port_names and pod.ports:
            named = (p for p in pod.ports if (p.protocol, p.name) in self.port_names)
            ports = tuple(sorted(named, key=lambda p: (p.name, p.protocol, p.port)))
        return pod.namespace, projected, ports, self._blocks(pod), False

    def new_class(self, key: ClassKey, index: int) -> PodClass:
        namespace, projected, ports, blocks, host = key
        labels = dict(projected)
        ingress: list[int] = []
        egress: list[int] = []
        for i in () if host else self.by_namespace.get(namespace, ()):
            policy = self.policies[i]
            if policy.pod_selector.matches(labels):
                if policy.ingress is not None:
                    ingress.append(i)
                if policy.egress is not None:
                    egress.append(i)
        return PodClass(
            index=index, namespace=namespace, labels=labels, ports=ports, blocks=blocks,
            ingress=tuple(ingress), egress=tuple(egress), host=host,
        )  # fmt: skip

    def peer_matches(self, peer: Peer, namespace: str, other: PodClass) -> bool:
        """Whether a peer of a policy in `namespace` selects the pods of `other`."""
        if peer.block >= 0:
            return peer.block in other.blocks
        if other.host:
            return False
        if peer.namespace_selector is None:
            selector = peer.pod_selector
            return other.namespace == namespace and selector is not None and selector.matches(other.labels)
        if not peer.namespace_selector.matches(self.labels_of(other.namespace)):
            return False
        return peer.pod_selector is None or peer.pod_selector.matches(other.labels)

    def side(self, policies: Iterable[int], direction: str, other: PodClass) -> list[Share]:
        """Per rule of the policies, the ports it opens towards (egress) or from (ingress) `other`."""
        shares: list[Share] = []
        for index in policies:
            policy = self.policies[index]
            for rule in policy.rules(direction) or ():
                if not rule.ports:
                    continue
                if rule.peers is None or any(self.peer_matches(p, policy.namespace, other) for p in rule.peers):
                    shares.append((rule.ref, rule.ports))
        return shares

    def verdict(self, source: PodClass, destination: PodClass) -> Verdict:
        """Exactly what source can open to destination: egress of the source AND ingress of the destination."""
        egress = self.side(source.egress, "egress", destination) if source.egress else OPEN
        ingress = self.side(destination.ingress, "ingress", source) if destination.ingress else OPEN
        out_ports = _resolved_union(egress, destination.ports)
        ports = out_ports.intersection(_resolved_union(ingress, destination.ports)) if out_ports else NOTHING
        if not ports:
            return Verdict(ports=NOTHING)
        return Verdict(
            ports=ports,
            ingress_rules=_opening(ingress, destination.ports, ports),
            egress_rules=_opening(egress, destination.ports, ports),
        )


def _resolved_union(shares: list[Share], ports: tuple[ContainerPort, ...]) -> PortSet:
    total = NOTHING
    for _, spec in shares:
        total = total.union(spec.resolve(ports))
    return total


def _opening(shares: list[Share], ports: tuple[ContainerPort, ...], opened: PortSet) -> tuple[RuleRef, ...]:
    return tuple(sorted({ref for ref, spec in shares if ref and spec.resolve(ports).intersection(opened)}))
