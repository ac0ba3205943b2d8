"""Exact port sets: per protocol a list of disjoint port intervals, or everything.

NetworkPolicyPort (networking.k8s.io/v1): `protocol` is TCP, UDP or SCTP and defaults to TCP; a missing `port`
matches every port of that protocol; a numeric `port` with `endPort` is the inclusive range port..endPort; a string
`port` is a named port, matched against the container ports of the destination pod by name AND protocol. A rule
with no `ports` (missing or empty) matches every port of every protocol, rendered "*".
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.netpol.pods import ContainerPort

MIN_PORT = 1
MAX_PORT = 65535
_PROTOCOL_ORDER = {"TCP": 0, "UDP": 1, "SCTP": 2}

Interval = tuple[int, int]
Ranges = tuple[tuple[str, tuple[Interval, ...]], ...]


def _protocol_key(protocol: str) -> tuple[int, str]:
    return _PROTOCOL_ORDER.get(protocol, len(_PROTOCOL_ORDER)), protocol


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    merged: list[Interval] = []
    for low, high in sorted(intervals):
        if merged and low <= merged[-1][1] + 1:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return tuple(merged)


def _intersect(left: tuple[Interval, ...], right: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        low = max(left[i][0], right[j][0])
        high = min(left[i][1], right[j][1])
        if low <= high:
            out.append((low, high))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PortSet:
    """Ports as exact intervals per protocol; `everything` also covers protocols other than TCP/UDP/SCTP."""

    everything: bool = False
    ranges: Ranges = ()

    @classmethod
    def of(cls, by_protocol: Mapping[str, Iterable[Interval]]) -> PortSet:
        items = ((protocol, _merge(intervals)) for protocol, intervals in by_protocol.items())
        return cls(ranges=tuple(sorted(((p, i) for p, i in items if i), key=lambda item: _protocol_key(item[0]))))

    def __bool__(self) -> bool:
        return self.everything or bool(self.ranges)

    def union(self, other: PortSet) -> PortSet:
        if self.everything or not other:
            return self
        if other.everything or not self:
            return other
        combined: dict[str, list[Interval]] = {}
        for protocol, intervals in (*self.ranges, *other.ranges):
            combined.setdefault(protocol, []).extend(intervals)
        return PortSet.of(combined)

    def intersection(self, other: PortSet) -> PortSet:
        if self.everything:
            return other
        if other.everything:
            return self
        theirs = dict(other.ranges)
        common = {protocol: _intersect(mine, theirs[protocol]) for protocol, mine in self.ranges if protocol in theirs}
        return PortSet.of(common)

    def difference(self, other: PortSet) -> PortSet:
        """The ports of self that other lacks. "Everything" counts as every port of TCP, UDP and SCTP here: what
        it holds of other protocols cannot be told apart in a difference."""
        if other.everything or not self:
            return NOTHING
        if not other:
            return self
        mine = dict(FULL.ranges) if self.everything else dict(self.ranges)
        theirs = dict(other.ranges)
        remaining: dict[str, list[Interval]] = {}
        for protocol, intervals in mine.items():
            kept = list(intervals)
            for low, high in theirs.get(protocol, ()):
                kept = [piece for first, last in kept for piece in _cut(first, last, low, high)]
            remaining[protocol] = kept
        return PortSet.of(remaining)

    def contains(self, port: int, protocol: str = "TCP") -> bool:
        if self.everything:
            return True
        for candidate, intervals in self.ranges:
            if candidate == protocol:
                index = bisect_right(intervals, (port, MAX_PORT + 1)) - 1
                return index >= 0 and intervals[index][0] <= port <= intervals[index][1]
        return False

    def describe(self) -> tuple[str, ...]:
        """Everything: "*"; else "TCP/*" (any TCP port), "TCP/8443", "TCP/8000-8080" in TCP, UDP, SCTP order."""
        if self.everything:
            return ("*",)
        out: list[str] = []
        for protocol, intervals in self.ranges:
            if intervals == ((MIN_PORT, MAX_PORT),):
                out.append(f"{protocol}/*")
                continue
            out.extend(f"{protocol}/{low}" if low == high else f"{protocol}/{low}-{high}" for low, high in intervals)
        return tuple(out)


EVERYTHING = PortSet(everything=True)
NOTHING = PortSet()
FULL = PortSet.of({protocol: [(MIN_PORT, MAX_PORT)] for protocol in _PROTOCOL_ORDER})


def _cut(first: int, last: int, low: int, high: int) -> list[Interval]:
    """[first, last] without [low, high]."""
    if high < first or low > last:
        return [(first, last)]
    return [piece for piece in ((first, low - 1), (high + 1, last)) if piece[0] <= piece[1]]


@dataclass(frozen=True, slots=True)
class PortSpec:
    """A rule's ports before named ports are resolved: numeric ports, and named ports as (protocol, name)."""

    numeric: PortSet = NOTHING
    named: frozenset[tuple[str, str]] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.numeric) or bool(self.named)

    def union(self, other: PortSpec) -> PortSpec:
        if not other or self.numeric.everything:
            return self
        if not self:
            return other
        return PortSpec(numeric=self.numeric.union(other.numeric), named=self.named | other.named)

    def resolve(self, ports: tuple[ContainerPort, ...]) -> PortSet:
        """The ports this spec opens on a destination pod with these container ports."""
        if not self.named:
            return self.numeric
        found: dict[str, list[Interval]] = {}
        for port in ports:
            if (port.protocol, port.name) in self.named:
                found.setdefault(port.protocol, []).append((port.port, port.port))
        return self.numeric.union(PortSet.of(found)) if found else self.numeric


ALL_PORTS = PortSpec(numeric=EVERYTHING)
NO_PORTS = PortSpec()


def rule_ports(items: Any) -> PortSpec:
    """The `ports` list of an ingress or egress rule; missing or empty: every port of every protocol."""
    if not isinstance(items, list) or not items:
        return ALL_PORTS
    numeric: dict[str, list[Interval]] = {}
    named: set[tuple[str, str]] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        raw_protocol = item.get("protocol")
        protocol = raw_protocol if isinstance(raw_protocol, str) and raw_protocol else "TCP"
        port = item.get("port")
        if port is None:
            numeric.setdefault(protocol, []).append((MIN_PORT, MAX_PORT))
        elif isinstance(port, str):
            named.add((protocol, port))  # endPort is not allowed with a named port
        elif isinstance(port, int) and not isinstance(port, bool):
            end = item.get("endPort")
            high = end if isinstance(end, int) and not isinstance(end, bool) else port
            low, high = max(port, MIN_PORT), min(high, MAX_PORT)
            if low <= high:  # endPort < port is rejected by the apiserver: it opens nothing
                numeric.setdefault(protocol, []).append((low, high))
    return PortSpec(numeric=PortSet.of(numeric), named=frozenset(named))
