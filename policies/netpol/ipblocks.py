"""IPBlock peers: a CIDR minus its `except` CIDRs, matched against pod IPs and described for external egress.

An address matches when it lies inside `cidr` and inside none of the `except` entries (IPv4 and IPv6 alike; an
address never matches a block of the other family). A block with an unparsable CIDR matches nothing. A pod
that has no address yet (one built from a manifest) has ranges it will get one from: a block matches it when
some address of those ranges could match (`IpIndex.overlapping`), which never hides a connection it could
make. `IpBlock.outside` says whether a block admits addresses beyond some ranges (the cluster's own).
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Span = tuple[int, int]  # first and last address, as integers


def _span(cidr: str) -> tuple[int, Span] | None:
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    return network.version, (int(network.network_address), int(network.broadcast_address))


@lru_cache(maxsize=1 << 16)  # a diff reads every pod's address twice, once per side
def address(ip: str) -> tuple[int, int] | None:
    """(IP version, integer value) of an address, or None when it is not one."""
    octets = ip.split(".")
    if len(octets) == 4 and all(o.isdigit() and len(o) <= 3 for o in octets):  # the common case, without ipaddress
        a, b, c, d = (int(o) for o in octets)
        if max(a, b, c, d) <= 255:
            return 4, (a << 24) | (b << 16) | (c << 8) | d
    try:
        parsed = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    return parsed.version, int(parsed)


@dataclass(frozen=True, slots=True)
class IpBlock:
    cidr: str
    excepts: tuple[str, ...] = ()
    version: int = 0  # 0: invalid, matches nothing
    span: Span = (0, -1)
    holes: tuple[Span, ...] = ()

    def contains(self, ip: str) -> bool:
        parsed = address(ip)
        if parsed is None or parsed[0] != self.version:
            return False
        value = parsed[1]
        return self.span[0] <= value <= self.span[1] and not any(low <= value <= high for low, high in self.holes)

    def describe(self) -> str:
        return f"{self.cidr} except {', '.join(self.excepts)}" if self.excepts else self.cidr

    def outside(self, ranges: Iterable[str]) -> bool:
        """Whether the block holds an address that none of the CIDRs `ranges` holds."""
        if not self.version:
            return False
        covered = [span for version, span in spans(ranges) if version == self.version]
        return bool(_subtract([self.span], [*covered, *self.holes]))


def _subtract(spans: list[Span], removed: Iterable[Span]) -> list[Span]:
    """What remains of `spans` once every span of `removed` is taken out."""
    remaining = spans
    for low, high in removed:
        kept: list[Span] = []
        for first, last in remaining:
            if high < first or low > last:
                kept.append((first, last))
                continue
            if first < low:
                kept.append((first, low - 1))
            if last > high:
                kept.append((high + 1, last))
        remaining = kept
    return remaining


def spans(cidrs: Iterable[str]) -> list[tuple[int, Span]]:
    """(IP version, span) of each parsable CIDR."""
    return [parsed for parsed in map(_span, cidrs) if parsed is not None]


def ip_block(value: Any) -> IpBlock:
    """An IPBlock from its JSON form ({"cidr": ..., "except": [...]})."""
    data = value if isinstance(value, dict) else {}
    cidr = data.get("cidr")
    raw_excepts = data.get("except")
    excepts = tuple(e for e in raw_excepts if isinstance(e, str)) if isinstance(raw_excepts, list) else ()
    if not isinstance(cidr, str) or (parsed := _span(cidr)) is None:
        return IpBlock(cidr=str(cidr), excepts=excepts)
    version, span = parsed
    holes = tuple(hole[1] for hole in (_span(e) for e in excepts) if hole is not None and hole[0] == version)
    return IpBlock(cidr=cidr, excepts=excepts, version=version, span=span, holes=holes)


class IpIndex:
    """Which of many blocks contain an address: a sweep over the blocks' boundaries, then one bisect per address."""

    def __init__(self, blocks: Sequence[IpBlock]) -> None:
        self._tables: dict[int, tuple[list[int], list[frozenset[int]]]] = {}
        for version in {block.version for block in blocks if block.version}:
            self._tables[version] = self._sweep((i, b) for i, b in enumerate(blocks) if b.version == version)

    @staticmethod
    def _sweep(blocks: Iterable[tuple[int, IpBlock]]) -> tuple[list[int], list[frozenset[int]]]:
        # At each boundary a block enters/leaves its CIDR (inside) or an except range (holes): count both.
        events: dict[int, list[tuple[int, int, int]]] = {}
        for index, block in blocks:
            events.setdefault(block.span[0], []).append((index, 1, 0))
            events.setdefault(block.span[1] + 1, []).append((index, -1, 0))
            for low, high in block.holes:
                events.setdefault(low, []).append((index, 0, 1))
                events.setdefault(high + 1, []).append((index, 0, -1))
        inside: dict[int, int] = {}
        holes: dict[int, int] = {}
        starts: list[int] = []
        signatures: list[frozenset[int]] = []
        for point in sorted(events):
            for index, enter, hole in events[point]:
                inside[index] = inside.get(index, 0) + enter
                holes[index] = holes.get(index, 0) + hole
                if not inside[index] and not holes[index]:
                    del inside[index], holes[index]
            starts.append(point)
            signatures.append(frozenset(i for i, n in inside.items() if n > 0 and holes.get(i, 0) <= 0))
        return starts, signatures

    def matching(self, ip: str) -> frozenset[int]:
        """Indexes of the blocks that contain this address (empty for no address)."""
        parsed = address(ip) if ip else None
        if parsed is None or (table := self._tables.get(parsed[0])) is None:
            return frozenset()
        starts, signatures = table
        position = bisect_right(starts, parsed[1]) - 1
        return signatures[position] if position >= 0 else frozenset()

    def overlapping(self, cidrs: Iterable[str]) -> frozenset[int]:
        """Indexes of the blocks that contain some address of the CIDRs (a pod's ranges before it has an IP)."""
        found: set[int] = set()
        for version, (low, high) in spans(cidrs):
            table = self._tables.get(version)
            if table is None:
                continue
            starts, signatures = table
            first = max(bisect_right(starts, low) - 1, 0)
            last = bisect_right(starts, high) - 1
            for position in range(first, last + 1):
                found.update(signatures[position])
        return frozenset(found)
