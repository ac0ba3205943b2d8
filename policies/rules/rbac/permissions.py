"""Permissions no tenant role may grant — shared by RBAC002 (Roles) and RBAC004 (aggregated ClusterRoles).

Kubernetes' RBAC (privilege-escalation prevention): `escalate` on roles lets a subject write rules it does
not hold; `bind` on roles lets it bind roles it does not hold; `impersonate` on users, groups or
serviceaccounts lets it act as them. The `*` verb includes all three. Requests on a Namespace object carry
that namespace's name as their namespace, so a Role in `acme-prod` that may update `namespaces` may rewrite
the Namespace `acme-prod` itself — its tenant and Pod Security labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.paths import dotted

ESCALATION_VERBS = ("bind", "escalate", "impersonate")
# Resources on which the `*` verb includes escalate, bind or impersonate.
ESCALATION_RESOURCES = frozenset({"roles", "clusterroles", "users", "groups", "serviceaccounts", "uids", "userextras"})
WRITE_VERBS = frozenset({"*", "create", "update", "patch", "delete", "deletecollection"})


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _base(resource: str) -> str:
    return resource.partition("/")[0]


def rule_problems(rules: Any) -> Iterator[tuple[str, str]]:
    """(path, message) for every grant in `rules` that escalates, impersonates or reaches nodes/namespaces."""
    if not isinstance(rules, list):
        return
    for i, rule in enumerate(rules):
        if not isinstance(rule, dict):
            continue
        verbs, resources = set(_strings(rule.get("verbs"))), set(_strings(rule.get("resources")))
        verbs_path, resources_path = dotted(("rules", i, "verbs")), dotted(("rules", i, "resources"))
        named = [v for v in ESCALATION_VERBS if v in verbs]
        if named:
            yield verbs_path, f"grants {', '.join(named)}: the holder could gain permissions it does not have"
        if "*" in verbs and "*" in resources:
            yield verbs_path, "grants '*' verbs on '*' resources: full control, including escalate and bind"
        elif "*" in verbs:
            hit = sorted(r for r in resources if _base(r) in ESCALATION_RESOURCES)
            if hit:
                yield verbs_path, f"'*' verbs on {', '.join(hit)} include escalate, bind or impersonate"
        nodes = sorted(r for r in resources if _base(r) == "nodes")
        if nodes:
            yield resources_path, f"grants {', '.join(nodes)}: node access (kubelet API) is for the platform"
        writes = ", ".join(sorted(verbs & WRITE_VERBS))
        everything = "*" in verbs and "*" in resources  # reported above
        if ("namespaces" in resources or "*" in resources) and writes and not everything:
            yield resources_path, f"{writes} on namespaces lets it rewrite its own Namespace's labels"
