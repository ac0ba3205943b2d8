"""Who a binding's subject is, and which tenants it belongs to.

One identity has several spellings: the user `system:serviceaccount:<ns>:<name>` is that ServiceAccount, and
a ServiceAccount subject without a namespace in a RoleBinding is in the binding's own. A subject belongs to a
tenant when the Tenant lists it among its owners or members (compared once normalised), when it is a
ServiceAccount of one of the tenant's namespaces, or when it is the group `system:serviceaccounts:<ns>` of
one. The groups `system:authenticated` and `system:serviceaccounts` contain every tenant's users or
ServiceAccounts (broad). Members indexes membership once, so a cluster with thousands of bindings and tenants
is no loop over tenants per subject.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.tenancy import RbacSubject, TenantIndex

SA_USER = "system:serviceaccount:"
SA_GROUP = "system:serviceaccounts:"
# Groups every tenant's users or service accounts are in.
EVERYONE = frozenset({"system:authenticated", "system:serviceaccounts"})


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectRef:
    """One entry of a binding's `subjects`, as written."""

    index: int
    kind: str
    name: str
    namespace: str  # ServiceAccounts: resolved against the binding's namespace

    @property
    def path(self) -> str:
        return f"subjects[{self.index}]"

    @property
    def display(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name!r}"

    @property
    def identity(self) -> RbacSubject | None:
        return normalize(self.kind, self.name, self.namespace)


def subjects(binding: dict[str, Any], namespace: str = "") -> Iterator[SubjectRef]:
    """The subjects of a RoleBinding (in `namespace`) or ClusterRoleBinding; malformed entries are skipped."""
    items = binding.get("subjects")
    if not isinstance(items, list):
        return
    for i, s in enumerate(items):
        if isinstance(s, dict):
            yield SubjectRef(
                index=i,
                kind=str(s.get("kind") or ""),
                name=str(s.get("name") or ""),
                namespace=str(s.get("namespace") or namespace),
            )


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


class Members:
    """Which tenants a (normalised) subject belongs to, indexed once."""

    def __init__(self, tenants: TenantIndex) -> None:
        self._owner_of = tenants.owner_of
        self._listed: dict[RbacSubject, set[str]] = defaultdict(set)
        for tenant in tenants.by_name.values():
            for s in tenant.subjects:
                subject = normalize(s.kind, s.name, s.namespace)
                if subject is not None:
                    self._listed[subject].add(tenant.name)
        self._cache: dict[RbacSubject, tuple[str, ...]] = {}

    def tenants_of(self, subject: RbacSubject | None) -> tuple[str, ...]:
        """Every tenant the subject belongs to (a group may be listed by several), sorted."""
        if subject is None:
            return ()
        found = self._cache.get(subject)
        if found is None:
            names = set(self._listed.get(subject, ()))
            if subject.kind == "ServiceAccount":
                account_ns = subject.namespace
            elif subject.kind == "Group" and subject.name.startswith(SA_GROUP):
                account_ns = subject.name.removeprefix(SA_GROUP)
            else:
                account_ns = ""
            if account_ns in self._owner_of:
                names.add(self._owner_of[account_ns])
            found = self._cache[subject] = tuple(sorted(names))
        return found


_last: tuple[TenantIndex, Members] | None = None


def members(tenants: TenantIndex) -> Members:
    """Members for `tenants`, built once per TenantIndex: the webhook judges every RoleBinding against the same
    index until a Tenant changes, and building it is what costs (milliseconds for a thousand tenants)."""
    global _last
    last = _last
    if last is not None and last[0] is tenants:
        return last[1]
    built = Members(tenants)
    _last = (tenants, built)
    return built
