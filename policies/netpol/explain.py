"""Why one connection is allowed or denied: every policy and rule of both ends, judged against it.

A connection from src to dst on a port is allowed when src's egress AND dst's ingress allow it (or src is dst,
or the two share a node and one is hostNetwork: `nodes`). For each end the explanation names the policies that
isolate it in that direction and, for each of their rules, whether its peers (`from` / `to`) select the other
end and whether its ports hold the port — so a denial names what to change, and an allowed path names the rule
that opens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenantguard.policies.netpol.classes import Model, PodClass
from tenantguard.policies.netpol.nodes import node_local
from tenantguard.policies.netpol.pods import PodInfo
from tenantguard.policies.netpol.policy import RuleRef


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleCheck:
    rule: RuleRef
    peers: bool  # its from/to selects the other end (or it has none)
    ports: bool  # its ports hold the port (or it has none)

    @property
    def allows(self) -> bool:
        return self.peers and self.ports

    def describe(self, direction: str) -> str:
        field = "from" if direction == "ingress" else "to"
        if self.allows:
            return f"allows: {self.rule} ({field} and ports match)"
        misses = [f"{field} does not select the other end"] if not self.peers else []
        misses += ["its ports do not hold the port"] if not self.ports else []
        return f"does not match: {self.rule} ({' and '.join(misses)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class EndCheck:
    """One end: the source's egress or the destination's ingress."""

    direction: str  # "egress" | "ingress"
    pod: str  # "namespace/name"
    isolated: bool
    policies: tuple[str, ...]  # the policies isolating it in this direction
    rules: tuple[RuleCheck, ...]
    host_network: bool = False

    @property
    def allows(self) -> bool:
        return not self.isolated or any(r.allows for r in self.rules)

    def lines(self) -> list[str]:
        head = f"{self.direction} of {self.pod}: "
        if self.host_network:
            return [head + "allowed — a hostNetwork pod's traffic is its node's; no NetworkPolicy selects it"]
        if not self.isolated:
            return [head + f"allowed — no NetworkPolicy isolates it for {self.direction}"]
        verdict = "allowed" if self.allows else "denied"
        out = [head + f"{verdict} — isolated by {', '.join(self.policies)}"]
        ruled = {check.rule.policy for check in self.rules}
        out += [f"  {check.describe(self.direction)}" for check in self.rules]
        out += [f"  {p} has no {self.direction} rules: it only isolates" for p in self.policies if p not in ruled]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "pod": self.pod,
            "hostNetwork": self.host_network,
            "isolated": self.isolated,
            "allows": self.allows,
            "policies": list(self.policies),
            "rules": [
                {"policy": c.rule.policy, "rule": c.rule.rule, "peers": c.peers, "ports": c.ports, "allows": c.allows}
                for c in self.rules
            ],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    source: str
    destination: str
    port: int
    protocol: str
    allowed: bool
    reason: str  # "self" | "node" | "policies"
    egress: EndCheck
    ingress: EndCheck

    @property
    def opening(self) -> tuple[RuleRef, ...]:
        """The rules that allow it (empty when an end is not isolated, or when it is denied)."""
        if not self.allowed:
            return ()
        return tuple(c.rule for end in (self.egress, self.ingress) for c in end.rules if c.allows)

    def lines(self) -> list[str]:
        head = f"{self.source} -> {self.destination} {self.protocol}/{self.port}: "
        if self.reason == "self":
            return [head + "allowed — a pod cannot block access to itself"]
        if self.reason == "node":
            return [
                head + "allowed — the two share a node and one is hostNetwork: traffic between a pod and its node "
                "is always allowed, whatever the policies say",
                *self.egress.lines(),
                *self.ingress.lines(),
            ]
        return [head + ("allowed" if self.allowed else "denied"), *self.egress.lines(), *self.ingress.lines()]

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "destination": self.destination,
            "port": self.port,
            "protocol": self.protocol,
            "allowed": self.allowed,
            "reason": self.reason,
            "egress": self.egress.as_dict(),
            "ingress": self.ingress.as_dict(),
        }


def _end(
    model: Model,
    cls: PodClass,
    pod: PodInfo,
    direction: str,
    other: PodClass,
    port: int,
    protocol: str,
    destination: PodClass,
) -> EndCheck:
    isolating = cls.egress if direction == "egress" else cls.ingress
    checks: list[RuleCheck] = []
    for index in isolating:
        policy = model.policies[index]
        for rule in policy.rules(direction) or ():
            peers = rule.peers is None or any(model.peer_matches(p, policy.namespace, other) for p in rule.peers)
            opened = rule.ports.resolve(destination.ports).contains(port, protocol)
            checks.append(RuleCheck(rule=rule.ref, peers=peers, ports=opened))
    return EndCheck(
        direction=direction,
        pod=f"{pod.namespace}/{pod.name}",
        isolated=bool(isolating),
        policies=tuple(model.policies[i].key for i in isolating),
        rules=tuple(checks),
        host_network=cls.host,
    )


def explain(
    model: Model, src: PodInfo, dst: PodInfo, src_cls: PodClass, dst_cls: PodClass, port: int, protocol: str
) -> Explanation:
    egress = _end(model, src_cls, src, "egress", dst_cls, port, protocol, dst_cls)
    ingress = _end(model, dst_cls, dst, "ingress", src_cls, port, protocol, dst_cls)
    if (src.namespace, src.name) == (dst.namespace, dst.name):
        allowed, reason = True, "self"
    elif node_local(src, dst):
        allowed, reason = True, "node"
    else:
        allowed, reason = egress.allows and ingress.allows, "policies"
    return Explanation(
        source=f"{src.namespace}/{src.name}",
        destination=f"{dst.namespace}/{dst.name}",
        port=port,
        protocol=protocol,
        allowed=allowed,
        reason=reason,
        egress=egress,
        ingress=ingress,
    )
