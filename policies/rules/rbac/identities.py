"""Which tenant an RBAC subject belongs to — shared by the RBAC rules.

A subject (`{kind, name, namespace}` in a RoleBinding or ClusterRoleBinding) belongs to a tenant when it is
one of the Tenant's owners or members (same kind and name), a ServiceAccount in one of the tenant's
namespaces (an empty namespace in a RoleBinding means the binding's own), the user name Kubernetes gives
such a ServiceAccount (`system:serviceaccount:<ns>:<name>`), or the group of all ServiceAccounts of a
tenant namespace (`system:serviceaccounts:<ns>`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.tenancy import TenantIndex

SA_USER = "system:serviceaccount:"
SA_GROUP = "system:serviceaccounts:"
# Groups every tenant's users or service accounts are in.
EVERYONE = frozenset({"system:authenticated", "system:serviceaccounts"})


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectRef:
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
    def account_namespace(self) -> str | None:
        """The namespace whose ServiceAccount(s) this subject names, if it names any."""
        if self.kind == "ServiceAccount":
            return self.namespace or None
        if self.kind == "User" and self.name.startswith(SA_USER):
            return self.name[len(SA_USER) :].partition(":")[0] or None
        if self.kind == "Group" and self.name.startswith(SA_GROUP):
            return self.name[len(SA_GROUP) :] or None
        return None


def subjects(binding: dict[str, Any], namespace: str = "") -> Iterator[SubjectRef]:
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


def tenants_of(subject: SubjectRef, tenants: TenantIndex) -> tuple[str, ...]:
    """Every tenant the subject belongs to (a group may be listed by several), sorted."""
    found = {
        t.name for t in tenants.by_name.values() if any(_same(s.kind, s.name, s.namespace, subject) for s in t.subjects)
    }
    ns = subject.account_namespace
    if ns is not None and ns in tenants.owner_of:
        found.add(tenants.owner_of[ns])
    return tuple(sorted(found))


def _same(kind: str, name: str, namespace: str, subject: SubjectRef) -> bool:
    if kind != subject.kind or name != subject.name:
        return False
    return kind != "ServiceAccount" or namespace == subject.namespace
