"""ClusterRole aggregation as kube-controller-manager's clusterrole-aggregation controller does it.

A ClusterRole with `aggregationRule.clusterRoleSelectors` holds the rules of every ClusterRole one of its
selectors matches. On a live cluster the controller has already written them into its `rules`; a snapshot or
a manifest may hold only the selectors, so the result is its own rules plus, transitively, those of every
ClusterRole its selectors reach. Selectors are LabelSelectors (policies/netpol/selectors.py, shared with
NetworkPolicies): an empty one matches every ClusterRole, an invalid one none; cycles are fine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.policies.netpol.selectors import INVALID, Selector, selector
from tenantguard.policies.rbac.rules import PolicyRule, parse_rules


def aggregate(cluster_roles: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[PolicyRule, ...]]:
    """Each ClusterRole's rules: its own plus those of every ClusterRole its selectors reach, transitively."""
    own = {name: parse_rules(obj.get("rules")) for name, obj in cluster_roles.items()}
    labels = {name: _labels(obj) for name, obj in cluster_roles.items()}
    edges: dict[str, list[str]] = {}
    for name, obj in cluster_roles.items():
        rule = obj.get("aggregationRule")
        raw = rule.get("clusterRoleSelectors") if isinstance(rule, dict) else None
        if isinstance(raw, list):
            selectors = [_selector(s) for s in raw]
            edges[name] = [o for o in sorted(own) if o != name and any(s.matches(labels[o]) for s in selectors)]
    result = dict(own)
    for name in edges:
        seen, stack, rules = {name}, [name], dict.fromkeys(own[name])
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
                    rules.update(dict.fromkeys(own[nxt]))
        result[name] = tuple(rules)
    return result


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _selector(raw: Any) -> Selector:
    # A list entry that is no object is invalid (the API server rejects it); it selects nothing.
    return selector(raw) if isinstance(raw, dict) else INVALID
