"""Who can reach whom under a set of NetworkPolicies: pairs, namespace and tenant matrices, external egress.

A connection from pod src to pod dst on a port needs both ends to allow it: src's egress (src is not isolated for
egress, or an egress rule of a policy selecting src matches dst and the port) AND dst's ingress (likewise). A pod
can always reach itself (the documentation: "a pod cannot block access to itself"); `allowed` and `path` say so,
and the matrices leave such self-traffic out — they describe what pods can open to *other* pods.

hostNetwork pods are modelled as most network plugins treat them (the documentation's "most common
implementation"): their traffic is their node's. No selector matches them and no policy isolates them, so they
accept every connection and may open any; a policy admits them only through a rule without peers or an ipBlock
holding the node's address (their `status.podIP`). Traffic between a pod and its own node is always allowed
(`nodes`), so a hostNetwork pod reaches every pod on its node and is reached by each. The other reading the
documentation allows (a plugin that applies policies to hostNetwork pods like to any pod) can only add verdicts
that both readings share to these; a pair reachable under both is never reported unreachable
(tests/unit/test_netpol_host_network.py checks it against both readings).

Hypothetical pods stand for namespaces that have no pods yet ("what would a pod started there reach, and what
would reach it?"): each is alone in its namespace, so it changes no verdict between real pods. The matrices, paths,
`uncovered` and the external matrix leave their namespaces out; `hypothetical_reach` reports them apart.

External egress (an ipBlock peer, or an egress rule without `to`) is reported apart from the pod matrices
(`external`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.netpol.classes import ClassKey, Model, PodClass, Verdict
from tenantguard.policies.netpol.explain import Explanation, explain
from tenantguard.policies.netpol.external import ExternalEgress, ExternalPath
from tenantguard.policies.netpol.ipblocks import IpBlock
from tenantguard.policies.netpol.nodes import NodeLocal, node_local
from tenantguard.policies.netpol.pods import PodInfo
from tenantguard.policies.netpol.policy import Rule, RuleRef, compile_policy
from tenantguard.policies.netpol.ports import EVERYTHING, NOTHING, PortSet
from tenantguard.policies.netpol.reachability import Reach, Reachability
from tenantguard.policies.netpol.reports import cross_tenant_paths, merge_node_local, namespace_ports
from tenantguard.policies.netpol.workloads import WorkloadPairs, workload_pairs


@dataclass(frozen=True, slots=True, kw_only=True)
class Path:
    """What src can open to dst: ports ("TCP/8443", "TCP/8000-8080", "TCP/*", "*") and the policies opening them
    at each end (empty for an end that is not isolated); `via_node`: the two share a node and one of them is
    hostNetwork, so every port is open whatever the policies say."""

    ports: tuple[str, ...]
    ingress_policies: tuple[str, ...] = ()
    egress_policies: tuple[str, ...] = ()
    ingress_rules: tuple[RuleRef, ...] = ()
    egress_rules: tuple[RuleRef, ...] = ()
    via_node: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Exposure:
    """What a hypothetical pod would have: namespace -> ports ("TCP/8443", "*", …) in both directions."""

    reachable_from: Mapping[str, tuple[str, ...]]  # namespaces whose pods could open connections to it
    reaches: Mapping[str, tuple[str, ...]]  # namespaces whose pods it could open connections to


class NetworkAnalysis:
    def __init__(self, model: Model, pods: Iterable[PodInfo], hypothetical: Iterable[PodInfo] = ()) -> None:
        self._model = model
        self._classes: dict[ClassKey, PodClass] = {}
        self._by_pod: dict[tuple[str, str], tuple[PodInfo, PodClass]] = {}
        pods = list(pods)
        real = {pod.namespace for pod in pods}
        imagined = list(hypothetical)
        self._hypothetical = frozenset(pod.namespace for pod in imagined)
        if len(self._hypothetical) != len(imagined) or self._hypothetical & real:
            raise ValueError("a hypothetical pod must be the only pod of its namespace")
        for pod in [*pods, *imagined]:
            key = model.key(pod)
            cls = self._classes.get(key)
            if cls is None:
                cls = self._classes[key] = model.new_class(key, len(self._classes))
            cls.members.append(pod)
            self._by_pod[pod.namespace, pod.name] = (pod, cls)
        self._nodes = NodeLocal([*pods, *imagined])
        self._reachability: Reachability | None = None
        self._reach: list[Reach] | None = None
        self._namespace_ports: dict[str, dict[str, PortSet]] | None = None
        self._visible: dict[str, dict[str, PortSet]] | None = None
        self._egress = ExternalEgress(model)

    @property
    def host_network_pods(self) -> tuple[PodInfo, ...]:
        """The hostNetwork pods: no policy selects or isolates them (their traffic is their node's)."""
        hosts = (pod for pod, _ in self._by_pod.values() if pod.host_network)
        return tuple(sorted(hosts, key=lambda pod: (pod.namespace, pod.name)))

    @property
    def class_count(self) -> int:
        return len(self._classes)

    @property
    def model(self) -> Model:
        return self._model

    def class_of(self, pod: PodInfo) -> PodClass:
        """The class of a pod, given to analyze() or not (then classified on the spot)."""
        known = self._by_pod.get((pod.namespace, pod.name))
        if known is not None and (known[0] is pod or known[0] == pod):
            return known[1]
        key = self._model.key(pod)
        return self._classes.get(key) or self._model.new_class(key, -1)

    def _verdict(self, src: PodInfo, dst: PodInfo) -> tuple[Verdict, bool]:
        if (src.namespace, src.name) == (dst.namespace, dst.name):
            return Verdict(ports=EVERYTHING), False
        if node_local(src, dst):
            return Verdict(ports=EVERYTHING), True
        return self._model.verdict(self.class_of(src), self.class_of(dst)), False

    def allowed(self, src: PodInfo, dst: PodInfo, port: int, protocol: str = "TCP") -> bool:
        """Whether src can open a connection to dst on port/protocol."""
        return self._verdict(src, dst)[0].ports.contains(port, protocol)

    def path(self, src: PodInfo, dst: PodInfo) -> Path | None:
        """The ports src can open to dst with the policies and rules opening them; None when nothing can."""
        verdict, via_node = self._verdict(src, dst)
        if not verdict.ports:
            return None
        return Path(
            ports=verdict.ports.describe(),
            ingress_policies=verdict.ingress_policies,
            egress_policies=verdict.egress_policies,
            ingress_rules=verdict.ingress_rules,
            egress_rules=verdict.egress_rules,
            via_node=via_node,
        )

    def explain(self, src: PodInfo, dst: PodInfo, port: int, protocol: str = "TCP") -> Explanation:
        """Why src can or cannot open a connection to dst on port/protocol: every policy and rule of both ends."""
        return explain(self._model, src, dst, self.class_of(src), self.class_of(dst), port, protocol)

    def _reachable(self) -> tuple[Reachability, list[Reach]]:
        if self._reachability is None:
            self._reachability = Reachability(self._model, list(self._classes.values()))
        if self._reach is None:
            self._reach = self._reachability.reach()
        return self._reachability, self._reach

    def _all_pairs(self) -> dict[str, dict[str, PortSet]]:
        """Every reachable namespace pair, the hypothetical pods' namespaces included."""
        if self._namespace_ports is None:
            matrix = namespace_ports(self._reachable()[1])
            for src, dst in self._nodes.pairs():
                row = matrix.setdefault(src, {})
                row[dst] = EVERYTHING
            if self._nodes:
                matrix = {src: dict(sorted(matrix[src].items())) for src in sorted(matrix)}
            self._namespace_ports = matrix
        return self._namespace_ports

    def _matrix(self) -> dict[str, dict[str, PortSet]]:
        """The reachable pairs of real pods' namespaces."""
        if self._visible is None:
            matrix, left_out = self._all_pairs(), self._hypothetical
            kept = {
                src: {dst: ports for dst, ports in row.items() if dst not in left_out}
                for src, row in matrix.items()
                if src not in left_out
            }
            self._visible = {src: row for src, row in kept.items() if row} if left_out else matrix
        return self._visible

    def hypothetical_reach(self) -> dict[str, Exposure]:
        """For each hypothetical pod's namespace: who could reach the pod, and whom it could reach."""
        matrix = self._all_pairs()
        inbound: dict[str, dict[str, tuple[str, ...]]] = {ns: {} for ns in self._hypothetical}
        for src, row in matrix.items():
            for dst, ports in row.items():
                if dst in inbound:
                    inbound[dst][src] = ports.describe()
        return {
            ns: Exposure(
                reachable_from=dict(sorted(inbound[ns].items())),
                reaches={dst: ports.describe() for dst, ports in matrix.get(ns, {}).items()},
            )
            for ns in sorted(self._hypothetical)
        }

    def missing_isolation(self, pod: PodInfo) -> tuple[str, ...]:
        """The directions ("ingress", "egress") in which no policy isolates `pod` — given to analyze() or not.
        A hostNetwork pod is isolated in neither: no policy can select it."""
        cls = self.class_of(pod)
        return tuple(side for side, isolating in (("ingress", cls.ingress), ("egress", cls.egress)) if not isolating)

    def namespace_matrix(self) -> dict[str, dict[str, list[str]]]:
        """src namespace -> dst namespace -> ports, for the pairs where some pod reaches some other pod.

        Identical port lists are one shared list: treat them as read-only."""
        described: dict[PortSet, list[str]] = {}
        return {
            src: {
                dst: described.get(ports) or described.setdefault(ports, list(ports.describe()))
                for dst, ports in row.items()
            }
            for src, row in self._matrix().items()
        }

    def tenant_matrix(self, namespace_tenant: Mapping[str, str]) -> dict[str, dict[str, bool]]:
        """Every tenant x every tenant: whether some pod of the first reaches some pod of the second."""
        tenants = sorted(set(namespace_tenant.values()))
        matrix = {src: dict.fromkeys(tenants, False) for src in tenants}
        for src, row in self._matrix().items():
            src_tenant = namespace_tenant.get(src)
            if src_tenant is None:
                continue
            for dst in row:
                dst_tenant = namespace_tenant.get(dst)
                if dst_tenant is not None:
                    matrix[src_tenant][dst_tenant] = True
        return matrix

    def cross_tenant_paths(self, namespace_tenant: Mapping[str, str]) -> list[dict[str, Any]]:
        """Reachable pairs across tenants per (src namespace, dst namespace), as in the audit report (lists of
        identical pods or ports are shared between entries: treat them as read-only)."""
        reachability, reach = self._reachable()
        if self._hypothetical:
            namespace_tenant = {ns: t for ns, t in namespace_tenant.items() if ns not in self._hypothetical}
        paths = cross_tenant_paths(reach, reachability, namespace_tenant, self._model.verdict)
        return merge_node_local(paths, self._nodes.pairs(), namespace_tenant) if self._nodes else paths

    def workload_pairs(self, namespaces: Iterable[str] | None = None) -> WorkloadPairs:
        """(src workload, dst workload) -> ports, for the pairs with an end in `namespaces` (None: every pair).
        With namespaces, only the pairs touching them are enumerated (a diff's changed namespaces)."""
        if namespaces is None:
            return workload_pairs(self._reachable()[1], self._nodes.ordered(), None, self._hypothetical)
        wanted = frozenset(namespaces)
        reach = self._reach
        if reach is None:  # the full enumeration is not there to reuse: enumerate only what touches them
            if self._reachability is None:
                self._reachability = Reachability(self._model, list(self._classes.values()))
            reach = self._reachability.reach(touching=wanted)
        return workload_pairs(reach, self._nodes.ordered(), wanted, self._hypothetical)

    def connects(self, sources: Iterable[str], destinations: Iterable[str]) -> bool:
        """Whether some pod of the `sources` namespaces reaches some other pod of the `destinations` ones
        (enumerating only the pairs with a source there, unless every pair is known already)."""
        src = frozenset(sources) - self._hypothetical
        dst = frozenset(destinations) - self._hypothetical
        if any(a in src and b in dst for a, b in self._nodes.pairs()):
            return True
        reach = self._reach
        if reach is None:
            if self._reachability is None:
                self._reachability = Reachability(self._model, list(self._classes.values()))
            reach = self._reachability.reach(touching=src)
        for item in reach:
            d = item.destination
            if d.namespace not in dst:
                continue
            if any(s.namespace in src for s, _ in item.exact):
                return True
            for side, _ in item.sides:
                for ns in src & side.by_namespace.keys():
                    if any(c is not d or len(d.members) > 1 for c in side.by_namespace[ns]):
                        return True
        return False

    def workloads(self) -> dict[str, list[PodInfo]]:
        """The pods given to analyze(), by workload (`PodInfo.owner`)."""
        found: dict[str, list[PodInfo]] = {}
        for pod, _ in self._by_pod.values():
            found.setdefault(pod.owner, []).append(pod)
        return found

    def ingress_blocks(self) -> Iterator[tuple[Rule, IpBlock, list[PodInfo]]]:
        """Every ipBlock peer of every ingress rule, with the (real) pods whose ingress the rule governs."""
        selected: dict[int, list[PodInfo]] = {}
        for cls in self._classes.values():
            if cls.namespace not in self._hypothetical:
                for index in cls.ingress:
                    selected.setdefault(index, []).extend(cls.members)
        for index, pods in sorted(selected.items()):
            for rule in self._model.policies[index].ingress or ():
                for peer in rule.peers or ():
                    if peer.block >= 0:
                        yield rule, self._model.blocks[peer.block], pods

    def uncovered(self) -> list[tuple[PodInfo, tuple[str, ...]]]:
        """Pod-network pods not isolated for ingress and/or egress, i.e. not covered by a default deny in that
        direction (hostNetwork pods are not listed: no policy can cover them)."""
        out: list[tuple[PodInfo, tuple[str, ...]]] = []
        for cls in self._classes.values():
            if cls.namespace in self._hypothetical or cls.host:
                continue
            missing = tuple(
                side for side, isolating in (("ingress", cls.ingress), ("egress", cls.egress)) if not isolating
            )
            if missing:
                out.extend((pod, missing) for pod in cls.members)
        return sorted(out, key=lambda item: (item[0].namespace, item[0].name))

    def external(self, src: PodInfo) -> tuple[ExternalPath, ...]:
        """Where outside the pod matrices src can open connections to (anywhere, for a hostNetwork pod)."""
        return self._egress.paths(self.class_of(src).egress)

    def external_matrix(self) -> dict[str, dict[str, list[str]]]:
        """src namespace -> CIDR ("*": any address) -> ports, over the namespace's pods."""
        merged: dict[str, dict[str, PortSet]] = {}
        for cls in self._classes.values():
            if cls.namespace in self._hypothetical:
                continue
            row = merged.setdefault(cls.namespace, {})
            for target, (ports, _) in self._egress.of(cls.egress).items():
                row[target] = row.get(target, NOTHING).union(ports)
        return {
            ns: {target: list(ports.describe()) for target, ports in sorted(row.items())}
            for ns, row in sorted(merged.items())
            if row
        }


def analyze(
    namespaces: Mapping[str, Mapping[str, str]],
    pods: Iterable[PodInfo],
    policies: Iterable[dict[str, Any]],
    *,
    hypothetical: Iterable[PodInfo] = (),
) -> NetworkAnalysis:
    """Analyse NetworkPolicy objects over pods; namespaces maps each namespace name to its labels.

    `hypothetical`: at most one pod per namespace without pods, analysed apart (`hypothetical_reach`)."""
    blocks: dict[IpBlock, int] = {}
    compiled = [compile_policy(policy, blocks) for policy in policies if isinstance(policy, dict)]
    return NetworkAnalysis(Model(namespaces, compiled, list(blocks)), pods, hypothetical)
