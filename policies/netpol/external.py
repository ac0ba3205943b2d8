"""Egress to addresses outside the pod matrices: per CIDR as written in the policy ("*": any address).

An ipBlock peer, or an egress rule without `to`, opens its ports to addresses no pod has. They are reported apart
from the pod matrices, per CIDR as written ("10.0.0.0/8 except 10.1.0.0/16"); named ports never match an
external address, which has no container ports. An end no policy isolates for egress (a hostNetwork pod among
them) reaches any address on anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenantguard.policies.netpol.classes import Model
from tenantguard.policies.netpol.ports import EVERYTHING, NOTHING, PortSet

ANY_ADDRESS = "*"
Opened = dict[str, tuple[PortSet, frozenset[str]]]  # CIDR -> ports, the policies opening them


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalPath:
    """Egress to addresses outside the pod matrices: a CIDR as written ("10.0.0.0/8 except 10.1.0.0/16"), or
    "*" for any address; the ports; the policies opening it (empty when the pod is not isolated for egress)."""

    cidr: str
    ports: tuple[str, ...]
    policies: tuple[str, ...] = ()


class ExternalEgress:
    """What the policies isolating an end for egress open to external addresses, per set of policies."""

    def __init__(self, model: Model) -> None:
        self._model = model
        self._found: dict[tuple[int, ...], Opened] = {}

    def of(self, policies: tuple[int, ...]) -> Opened:
        found = self._found.get(policies)
        if found is not None:
            return found
        if not policies:
            found = {ANY_ADDRESS: (EVERYTHING, frozenset())}
        else:
            found = {}
            blocks = self._model.blocks
            for index in policies:
                policy = self._model.policies[index]
                for rule in policy.egress or ():
                    if not rule.ports.numeric:
                        continue
                    targets = [ANY_ADDRESS] if rule.peers is None else [
                        blocks[p.block].describe() for p in rule.peers if p.block >= 0 and blocks[p.block].version
                    ]  # fmt: skip
                    for target in targets:
                        ports, keys = found.get(target, (NOTHING, frozenset()))
                        found[target] = (ports.union(rule.ports.numeric), keys | {policy.key})
        self._found[policies] = found
        return found

    def paths(self, policies: tuple[int, ...]) -> tuple[ExternalPath, ...]:
        return tuple(
            ExternalPath(cidr=target, ports=ports.describe(), policies=tuple(sorted(keys)))
            for target, (ports, keys) in sorted(self.of(policies).items())
        )
