"""What bindings grant: every subject's rules, where they apply and which binding they come through.

- A RoleBinding grants in its own namespace; its roleRef is a Role of that namespace or a ClusterRole. Rules
  that name only nonResourceURLs grant nothing there.
- A ClusterRoleBinding grants cluster-wide (namespace `*`); its roleRef must be a ClusterRole.
- A binding whose role does not exist grants nothing; a ClusterRole's rules are its aggregated ones
  (policies/rbac/aggregation.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.rbac.aggregation import aggregate
from tenantguard.policies.rbac.rules import ALL, PolicyRule, parse_rules
from tenantguard.policies.rbac.subjects import normalize, subjects
from tenantguard.policies.tenancy import RbacSubject


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    namespace: str  # "*": cluster-wide
    rule: PolicyRule
    via: str  # "RoleBinding acme-dev/devs -> ClusterRole edit"

    def sort_key(self) -> tuple[Any, ...]:
        r = self.rule
        return self.namespace, self.via, r.api_groups, r.resources, r.verbs, r.resource_names, r.non_resource_urls


def effective_grants(
    objects: Iterable[dict[str, Any]], wanted: Callable[[RbacSubject], bool]
) -> dict[RbacSubject, set[Grant]]:
    """The grants of every subject `wanted` accepts, from the Roles, ClusterRoles and bindings in `objects`."""
    roles: dict[tuple[str, str], tuple[PolicyRule, ...]] = {}
    cluster_roles: dict[str, dict[str, Any]] = {}
    bindings: list[tuple[str, str, str, dict[str, Any]]] = []  # kind, namespace, name, object
    for obj in objects:
        kind = obj.get("kind") if isinstance(obj, dict) else None
        meta = obj.get("metadata") if isinstance(obj, dict) else None
        if not isinstance(meta, dict):
            continue
        name, ns = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        if kind == "Role":
            roles[ns, name] = parse_rules(obj.get("rules"))
        elif kind == "ClusterRole":
            cluster_roles[name] = obj
        elif kind == "ClusterRoleBinding" or (kind == "RoleBinding" and ns):
            bindings.append((kind, ns if kind == "RoleBinding" else "", name, obj))
    aggregated = aggregate(cluster_roles)

    granted: dict[RbacSubject, set[Grant]] = defaultdict(set)
    for kind, ns, name, obj in bindings:
        ref = obj.get("roleRef")
        if not isinstance(ref, dict):
            continue
        ref_kind, ref_name = str(ref.get("kind") or ""), str(ref.get("name") or "")
        if ref_kind == "ClusterRole":
            rules = aggregated.get(ref_name, ())
        elif ref_kind == "Role" and kind == "RoleBinding":
            rules = roles.get((ns, ref_name), ())
        else:
            continue
        if kind == "RoleBinding":
            scope, via = ns, f"RoleBinding {ns}/{name} -> {ref_kind} {ref_name}"
            rules = tuple(r for r in rules if r.resources)
        else:
            scope, via = ALL, f"ClusterRoleBinding {name} -> ClusterRole {ref_name}"
        grants = [Grant(namespace=scope, rule=r, via=via) for r in rules]
        for s in subjects(obj, ns) if grants else ():
            subject = normalize(s.kind, s.name, s.namespace)
            if subject is not None and wanted(subject):
                granted[subject].update(grants)
    return granted
