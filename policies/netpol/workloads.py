"""Reachable class pairs folded into workload pairs: which workload's pods can open connections to which.

A workload is a pod's outermost owner (`PodInfo.owner`: `acme-prod/vllm[Deployment]`, or the pod itself).
Pods of one class can belong to several workloads, so a class pair stands for every pair of their workloads;
within one class, a workload reaches itself only when two of its pods are there (a pod reaching itself does not
count). `wanted` limits the work to pairs with an end in some namespaces — the ones a change touched: every
change to a namespace's pods, policies or labels can only alter connections that have an end in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from tenantguard.policies.netpol.classes import PodClass
from tenantguard.policies.netpol.pods import PodInfo
from tenantguard.policies.netpol.ports import EVERYTHING, PortSet
from tenantguard.policies.netpol.reachability import Reach

WorkloadPairs = dict[tuple[str, str], PortSet]  # (src workload, dst workload) -> ports


class _Owners:
    def __init__(self) -> None:
        self._of: dict[int, tuple[str, ...]] = {}
        self._within: dict[int, list[tuple[str, str]]] = {}

    def of(self, cls: PodClass) -> tuple[str, ...]:
        found = self._of.get(id(cls))
        if found is None:
            found = self._of[id(cls)] = tuple(sorted({pod.owner for pod in cls.members}))
        return found

    def within(self, cls: PodClass) -> list[tuple[str, str]]:
        """Workload pairs between distinct pods of one class."""
        found = self._within.get(id(cls))
        if found is None:
            counts = Counter(pod.owner for pod in cls.members)
            found = [(a, b) for a in counts for b in counts if a != b or counts[a] > 1]
            self._within[id(cls)] = found
        return found


def _add(pairs: WorkloadPairs, key: tuple[str, str], ports: PortSet) -> None:
    known = pairs.get(key)
    pairs[key] = ports if known is None else known.union(ports)


def _class_pair(pairs: WorkloadPairs, owners: _Owners, s: PodClass, d: PodClass, ports: PortSet) -> None:
    if s is d:
        for key in owners.within(d):
            _add(pairs, key, ports)
        return
    for src in owners.of(s):
        for dst in owners.of(d):
            _add(pairs, (src, dst), ports)


def workload_pairs(
    reach: Iterable[Reach],
    node_pairs: Iterator[tuple[PodInfo, PodInfo]],
    wanted: frozenset[str] | None,
    left_out: frozenset[str] = frozenset(),
) -> WorkloadPairs:
    """Every reachable (src workload, dst workload) with an end in `wanted` (None: all), leaving out the
    namespaces of hypothetical pods."""
    pairs: WorkloadPairs = {}
    owners = _Owners()
    for item in reach:
        d = item.destination
        if d.namespace in left_out:
            continue
        everywhere = wanted is None or d.namespace in wanted
        for s, ports in item.exact:
            if s.namespace not in left_out and (everywhere or (wanted is not None and s.namespace in wanted)):
                _class_pair(pairs, owners, s, d, ports)
        for side, ports in item.sides:
            if everywhere:
                sources: Iterable[PodClass] = side.classes
            else:
                sources = (c for ns in wanted or () for c in side.by_namespace.get(ns, ()))
            for s in sources:
                if s.namespace not in left_out and (s is not d or len(d.members) > 1):
                    _class_pair(pairs, owners, s, d, ports)
    for src, dst in node_pairs:
        if src.namespace in left_out or dst.namespace in left_out:
            continue
        if wanted is None or src.namespace in wanted or dst.namespace in wanted:
            _add(pairs, (src.owner, dst.owner), EVERYTHING)
    return pairs
