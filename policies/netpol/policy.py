"""A NetworkPolicy object compiled once into selectors, rules, peers and port specs.

The documented semantics (networking.k8s.io/v1), each applied here:
- `spec.podSelector` selects the pods of the policy's namespace it applies to; empty (or absent): all of them.
- `policyTypes`, when absent or empty, is Ingress, plus Egress when the policy has any egress rules.
- a policy with Ingress (Egress) in its types isolates its pods for ingress (egress); its `ingress` (`egress`) rules
  are allow rules, ORed across rules and policies; no rules at all: nothing is allowed in that direction.
- a rule with no `from` (`to`), missing or empty, matches every source (destination); no `ports`: every port.
- peers in one `from`/`to` list are ORed. A peer with `podSelector` alone selects pods of the policy's namespace;
  `namespaceSelector` alone, every pod of the matching namespaces (`{}`: all namespaces); both in ONE peer: the
  matching pods in the matching namespaces (AND). `ipBlock` excludes the two others (if a malformed peer sets both,
  only the ipBlock counts); a peer with none of the three (rejected by the apiserver) matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from tenantguard.policies.fields import mapping
from tenantguard.policies.netpol.ipblocks import IpBlock, ip_block
from tenantguard.policies.netpol.ports import PortSpec, rule_ports
from tenantguard.policies.netpol.selectors import Selector, selector


@dataclass(frozen=True, slots=True)
class Peer:
    namespace_selector: Selector | None = None
    pod_selector: Selector | None = None
    block: int = -1  # index of an ipBlock peer's block in the analysis' block list; -1: a selector peer


class RuleRef(NamedTuple):
    """One rule of one policy: `("globex-prod/allow-acme", "spec.ingress[0]")`."""

    policy: str  # "namespace/name"
    rule: str  # its field path: "spec.ingress[0]", "spec.egress[2]"

    def __str__(self) -> str:
        return f"{self.policy} {self.rule}"


NO_RULE = RuleRef("", "")


@dataclass(frozen=True, slots=True)
class Rule:
    peers: tuple[Peer, ...] | None  # None: every source (ingress) or destination (egress)
    ports: PortSpec
    ref: RuleRef = NO_RULE


@dataclass(frozen=True, slots=True)
class Policy:
    key: str  # "namespace/name"
    namespace: str
    pod_selector: Selector
    ingress: tuple[Rule, ...] | None  # None: the policy does not apply to ingress
    egress: tuple[Rule, ...] | None

    def rules(self, direction: str) -> tuple[Rule, ...] | None:
        return self.ingress if direction == "ingress" else self.egress

    @property
    def label_keys(self) -> frozenset[str]:
        """Every pod label key a selector of this policy looks at."""
        keys = set(self.pod_selector.keys)
        for rules in (self.ingress or (), self.egress or ()):
            for rule in rules:
                for peer in rule.peers or ():
                    if peer.pod_selector is not None:
                        keys |= peer.pod_selector.keys
        return frozenset(keys)

    @property
    def port_names(self) -> frozenset[tuple[str, str]]:
        """Every (protocol, name) of a named port in its rules."""
        return frozenset(n for rules in (self.ingress or (), self.egress or ()) for r in rules for n in r.ports.named)


def _peer(value: Any, blocks: dict[IpBlock, int]) -> Peer | None:
    if not isinstance(value, dict):
        return None
    if value.get("ipBlock") is not None:
        block = ip_block(value["ipBlock"])
        return Peer(block=blocks.setdefault(block, len(blocks)))
    namespaces, pods = value.get("namespaceSelector"), value.get("podSelector")
    if namespaces is None and pods is None:
        return None
    return Peer(
        namespace_selector=None if namespaces is None else selector(namespaces),
        pod_selector=None if pods is None else selector(pods),
    )


def _rules(items: Any, direction: str, key: str, blocks: dict[IpBlock, int]) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    peers_field = "from" if direction == "ingress" else "to"
    for index, item in enumerate(items if isinstance(items, list) else ()):
        if not isinstance(item, dict):
            continue
        raw_peers = item.get(peers_field)
        peers: tuple[Peer, ...] | None = None
        if isinstance(raw_peers, list) and raw_peers:
            peers = tuple(peer for peer in (_peer(p, blocks) for p in raw_peers) if peer is not None)
        ref = RuleRef(key, f"spec.{direction}[{index}]")
        rules.append(Rule(peers=peers, ports=rule_ports(item.get("ports")), ref=ref))
    return tuple(rules)


def compile_policy(obj: dict[str, Any], blocks: dict[IpBlock, int]) -> Policy:
    """Compile a NetworkPolicy; ipBlocks are registered in `blocks` (block -> index) so peers refer to them."""
    metadata = mapping(obj.get("metadata"))
    spec = mapping(obj.get("spec"))
    namespace = metadata.get("namespace")
    namespace = namespace if isinstance(namespace, str) and namespace else "default"
    types = spec.get("policyTypes")
    if isinstance(types, list) and types:
        ingress_on, egress_on = "Ingress" in types, "Egress" in types
    else:
        egress_rules = spec.get("egress")
        ingress_on, egress_on = True, isinstance(egress_rules, list) and bool(egress_rules)
    key = f"{namespace}/{metadata.get('name') or ''}"
    return Policy(
        key=key,
        namespace=namespace,
        pod_selector=selector(spec.get("podSelector")),
        ingress=_rules(spec.get("ingress"), "ingress", key, blocks) if ingress_on else None,
        egress=_rules(spec.get("egress"), "egress", key, blocks) if egress_on else None,
    )
