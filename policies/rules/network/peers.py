"""The rules and peers of a NetworkPolicy, each with its field path — shared by the NET rules.

Kubernetes semantics (networking.k8s.io/v1 NetworkPolicyPeer): peers in one `from`/`to` list are ORed;
inside one peer, `namespaceSelector` and `podSelector` are ANDed; a `podSelector` alone selects pods in
the policy's own namespace; an empty `namespaceSelector: {}` selects every namespace; `ipBlock` excludes
the other two fields. A rule whose `from`/`to` is missing or empty matches every source/destination.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tenantguard.policies.fields import mapping
from tenantguard.policies.model import Obj
from tenantguard.policies.paths import Path

# (spec field, peer list field) per direction
DIRECTIONS = (("ingress", "from"), ("egress", "to"))


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleRef:
    direction: str  # ingress | egress
    path: Path  # ("spec", "ingress", 0)
    rule: Obj

    @property
    def peers_field(self) -> str:
        return "from" if self.direction == "ingress" else "to"


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerRef:
    rule: RuleRef
    path: Path  # ("spec", "ingress", 0, "from", 2)
    peer: Obj

    @property
    def direction(self) -> str:
        return self.rule.direction


def policy_rules(policy: Obj) -> Iterator[RuleRef]:
    spec = mapping(policy.get("spec"))
    for direction, _ in DIRECTIONS:
        items = spec.get(direction)
        if isinstance(items, list):
            for i, rule in enumerate(items):
                if isinstance(rule, dict):
                    yield RuleRef(direction=direction, path=("spec", direction, i), rule=rule)


def peers(policy: Obj) -> Iterator[PeerRef]:
    for rule in policy_rules(policy):
        items = rule.rule.get(rule.peers_field)
        if isinstance(items, list):
            for j, peer in enumerate(items):
                if isinstance(peer, dict):
                    yield PeerRef(rule=rule, path=(*rule.path, rule.peers_field, j), peer=peer)


def is_empty_selector(selector: Obj) -> bool:
    """A present selector with no requirements: it selects everything."""
    return not selector.get("matchLabels") and not selector.get("matchExpressions")
