"""Which RBAC grants are risky: the Risk slugs of the audit report and the rules that grant them.

A tenant subject that can read secrets, exec into pods, escalate or bind roles, impersonate, request tokens
or proxy to nodes can step out of its tenant even without a cross-tenant binding, so these are reported
apart from plain access. Some risks depend on the binding's scope (nodes and most impersonation targets are
cluster-scoped), hence `cluster_wide`.
"""

from __future__ import annotations

from enum import StrEnum

from tenantguard.policies.rbac.powers import BY_NAME, held
from tenantguard.policies.rbac.rules import ALL, PolicyRule

RBAC_GROUP = "rbac.authorization.k8s.io"
AUTHENTICATION_GROUP = "authentication.k8s.io"
IMPERSONATE = BY_NAME["impersonate"]


class Risk(StrEnum):
    SECRETS_READ = "secrets-read"
    PODS_EXEC = "pods-exec"
    ESCALATE = "escalate"
    BIND = "bind"
    IMPERSONATE = "impersonate"
    WILDCARD = "wildcard"
    NODES_PROXY = "nodes-proxy"
    TOKEN_REQUEST = "token-request"


def classify(rule: PolicyRule, *, cluster_wide: bool) -> tuple[Risk, ...]:
    """The risks a rule grants; `cluster_wide`: bound by a ClusterRoleBinding."""
    found = []
    if any(rule.allows(v, "", "secrets") for v in ("get", "list", "watch")):
        found.append(Risk.SECRETS_READ)
    if any(rule.allows(v, "", r) for v in ("create", "get") for r in ("pods/exec", "pods/attach")):
        found.append(Risk.PODS_EXEC)
    for risk, verb in ((Risk.ESCALATE, "escalate"), (Risk.BIND, "bind")):
        if any(rule.allows(verb, RBAC_GROUP, r) for r in ("roles", "clusterroles")):
            found.append(risk)
    if _impersonates(rule, cluster_wide=cluster_wide):
        found.append(Risk.IMPERSONATE)
    if ALL in rule.verbs or ALL in rule.resources:
        found.append(Risk.WILDCARD)
    # Nodes are cluster-scoped: a RoleBinding cannot grant them.
    if cluster_wide and any(rule.allows(v, "", "nodes/proxy") for v in ("get", "create", "update", "patch", "delete")):
        found.append(Risk.NODES_PROXY)
    if rule.allows("create", "", "serviceaccounts/token"):
        found.append(Risk.TOKEN_REQUEST)
    return tuple(found)


def _impersonates(rule: PolicyRule, *, cluster_wide: bool) -> bool:
    # A ServiceAccount is impersonated in its namespace (legacy or constrained impersonation); users, groups,
    # uids, extras and nodes cluster-wide — those are the forbidden power of policies/rbac/powers.py.
    if rule.allows("impersonate", "", "serviceaccounts"):
        return True
    if rule.allows("impersonate:serviceaccount", AUTHENTICATION_GROUP, "serviceaccounts"):
        return True
    return cluster_wide and any(h.power is IMPERSONATE for h in held(rule))
