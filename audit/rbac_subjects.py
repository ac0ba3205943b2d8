"""Who a binding's subject is and which tenants it belongs to.

The same identity appears in several spellings (the user `system:serviceaccount:<ns>:<name>` is that
ServiceAccount) and under several tenants, and the groups `system:authenticated` and `system:serviceaccounts`
stand for everyone; normalizing once and indexing tenant membership once is what keeps the analysis correct
and fast on clusters with thousands of bindings and tenants.
"""

from __future__ import annotations

from collections import defaultdict

from tenantguard.policies.rules.rbac.identities import EVERYONE, SA_GROUP, SA_USER
from tenantguard.policies.tenancy import RbacSubject, TenantIndex


class Members:
    """Which tenants a (normalized) subject belongs to, indexed once: no loop over tenants per subject."""

    def __init__(self, tenants: TenantIndex) -> None:
        self._owner_of = tenants.owner_of
        self._listed: dict[RbacSubject, set[str]] = defaultdict(set)
        for tenant in tenants.by_name.values():
            for s in tenant.subjects:
                subject = normalize(s.kind, s.name, s.namespace)
                if subject is not None:
                    self._listed[subject].add(tenant.name)
        self._cache: dict[RbacSubject, tuple[str, ...]] = {}

    def tenants_of(self, subject: RbacSubject) -> tuple[str, ...]:
        found = self._cache.get(subject)
        if found is None:
            names = set(self._listed.get(subject, ()))
            if subject.kind == "ServiceAccount":
                account_ns = subject.namespace
            else:
                account_ns = subject.name.removeprefix(SA_GROUP) if subject.name.startswith(SA_GROUP) else ""
            if account_ns in self._owner_of:
                names.add(self._owner_of[account_ns])
            found = self._cache[subject] = tuple(sorted(names))
        return found


def normalize(kind: str, name: str, namespace: str) -> RbacSubject | None:
    """One identity, one key: the user `system:serviceaccount:ns:name` is that ServiceAccount."""
    if kind == "User" and name.startswith(SA_USER):
        account_ns, _, account = name.removeprefix(SA_USER).partition(":")
        if account_ns and account:
            return RbacSubject(kind="ServiceAccount", name=account, namespace=account_ns)
    if kind == "ServiceAccount":
        return RbacSubject(kind=kind, name=name, namespace=namespace)
    if kind in ("User", "Group"):
        return RbacSubject(kind=kind, name=name)
    return None


def is_broad(subject: RbacSubject) -> bool:
    return subject.kind == "Group" and subject.name in EVERYONE


def display(subject: RbacSubject) -> str:
    if subject.kind == "ServiceAccount":
        return f"ServiceAccount/{subject.namespace}/{subject.name}"
    return f"{subject.kind}/{subject.name}"
