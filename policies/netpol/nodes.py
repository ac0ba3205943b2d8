"""Traffic between a pod and its own node, which no NetworkPolicy blocks — and hostNetwork pods, which are nodes.

The Kubernetes documentation (Network Policies): a pod isolated for ingress still accepts "connections ... from
the pod's node", and "traffic to and from the node where a Pod is running is always allowed, regardless of the
IP address of the Pod or the node". Most network plugins cannot tell a hostNetwork pod's traffic from its
node's ("NetworkPolicy and hostNetwork pods": the most common implementation), so a hostNetwork pod reaches
every pod on its node, and every pod there reaches it, on every port, whatever the policies say. A
DaemonSet of hostNetwork pods therefore reaches every pod on the nodes it runs on.

Which node: `PodInfo.node` (spec.nodeName). A pod without one (not scheduled yet) shares no node; a pod from a
manifest (`ANY_NODE`) may be scheduled anywhere, so it is taken to share a node with every scheduled pod.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from tenantguard.policies.netpol.pods import ANY_NODE, PodInfo

PodPairs = dict[tuple[str, str], tuple[set[PodInfo], set[PodInfo]]]  # (src ns, dst ns) -> (sources, destinations)


def share_node(a: PodInfo, b: PodInfo) -> bool:
    """Whether two pods are (or may be) on the same node."""
    return bool(a.node) and bool(b.node) and (a.node == b.node or ANY_NODE in (a.node, b.node))


def node_local(src: PodInfo, dst: PodInfo) -> bool:
    """Whether src reaches dst as node traffic: one of them is hostNetwork and they share a node."""
    return (src.host_network or dst.host_network) and share_node(src, dst) and src != dst


class NodeLocal:
    """Every ordered pair of distinct pods connected as node traffic."""

    def __init__(self, pods: Iterable[PodInfo]) -> None:
        self._hosts: dict[str, list[PodInfo]] = {}  # node -> its hostNetwork pods
        self._pods: dict[str, list[PodInfo]] = {}  # node -> all its pods
        for pod in pods:
            if pod.node:
                self._pods.setdefault(pod.node, []).append(pod)
                if pod.host_network:
                    self._hosts.setdefault(pod.node, []).append(pod)
        self._pairs: PodPairs | None = None

    def __bool__(self) -> bool:
        return bool(self._hosts)

    def _edges(self) -> Iterator[tuple[PodInfo, PodInfo]]:
        """(hostNetwork pod, pod sharing its node), possibly more than once."""
        anywhere = self._pods.get(ANY_NODE, [])
        scheduled = [pod for node, pods in self._pods.items() if node != ANY_NODE for pod in pods]
        for node, hosts in self._hosts.items():
            others = [*scheduled, *anywhere] if node == ANY_NODE else [*self._pods[node], *anywhere]
            for host in hosts:
                for pod in others:
                    if pod != host:
                        yield host, pod

    def pairs(self) -> PodPairs:
        """(src namespace, dst namespace) -> the source pods and destination pods of node-local pairs."""
        if self._pairs is None:
            found: PodPairs = {}
            for host, pod in self._edges():
                for src, dst in ((host, pod), (pod, host)):
                    entry = found.get((src.namespace, dst.namespace))
                    if entry is None:
                        entry = found[src.namespace, dst.namespace] = (set(), set())
                    entry[0].add(src)
                    entry[1].add(dst)
            self._pairs = found
        return self._pairs

    def ordered(self) -> Iterator[tuple[PodInfo, PodInfo]]:
        """Every ordered pair (src, dst), once."""
        seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
        for host, pod in self._edges():
            for src, dst in ((host, pod), (pod, host)):
                key = ((src.namespace, src.name), (dst.namespace, dst.name))
                if key not in seen:
                    seen.add(key)
                    yield src, dst
