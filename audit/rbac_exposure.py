"""RBAC exposure: what each tenant's subjects may do where — and which of it crosses tenants or is risky.

The audit's adaptation of tenantguard.policies.rbac (the authorizer's matching, ClusterRole aggregation,
bindings, subject identity, risks) into the report's `isolation.rbac`: `analyze(...).to_json()`, whose shape is
the contract of docs/audit-report.md. Purely computational over plain object dicts (no I/O).

- Tenant subjects: the Tenant's owners and members, ServiceAccounts of its namespaces (also as the user
  `system:serviceaccount:<ns>:<name>`, reported as the ServiceAccount), and the groups
  `system:serviceaccounts:<ns>`. A subject listed by several tenants is reported under each.
- The broad groups `system:authenticated` and `system:serviceaccounts` contain every tenant's users or
  ServiceAccounts: their grants are reported under every tenant with `"broad": true` — only those that reach
  namespaced resources or are risky, which leaves out the discovery and self-review grants Kubernetes gives
  everyone.

crossTenantAccess: one entry per subject, namespace owned by another tenant and binding, with the verbs and
resources of the binding's rules that reach namespaced objects (built-in cluster-scoped resources are left out).
A subject the namespace's own tenant also lists is not reported. A cluster-wide grant is reported against the
other tenants' namespaces in name order, at most CROSS_TENANT_NAMESPACES per grant; one more entry with
namespace and namespaceTenant "*" stands for the rest.

riskyGrants: one entry per subject, namespace, risk and binding — Risk's slugs: get/list/watch on secrets,
create or get on pods/exec or pods/attach, escalate or bind on roles/clusterroles, impersonate, `*` verbs or
resources, nodes/proxy (only cluster-wide: nodes are cluster-scoped), create on serviceaccounts/token.
Every entry (subjects, crossTenantAccess, riskyGrants) also carries `broad`, an addition to the contract.
The records are frozen and hashable, so duplicates collapse in sets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.rbac.bindings import Grant, effective_grants
from tenantguard.policies.rbac.risks import Risk, classify
from tenantguard.policies.rbac.rules import ALL, PolicyRule
from tenantguard.policies.rbac.subjects import Members, is_broad
from tenantguard.policies.tenancy import RbacSubject, TenantIndex

CROSS_TENANT_NAMESPACES = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class RbacExposure:
    subjects: tuple[SubjectGrants, ...]
    cross_tenant_access: tuple[CrossTenantAccess, ...]
    risky_grants: tuple[RiskyGrant, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "subjects": [s.to_json() for s in self.subjects],
            "crossTenantAccess": [c.to_json() for c in self.cross_tenant_access],
            "riskyGrants": [r.to_json() for r in self.risky_grants],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SubjectGrants:
    tenant: str
    subject: RbacSubject
    broad: bool
    grants: tuple[Grant, ...]

    def to_json(self) -> dict[str, Any]:
        s = self.subject
        return {
            "tenant": self.tenant,
            "kind": s.kind,
            "name": s.name,
            "namespace": s.namespace,
            "broad": self.broad,
            "grants": [_grant_json(g) for g in self.grants],
        }


def _grant_json(grant: Grant) -> dict[str, Any]:
    rule = grant.rule
    out: dict[str, Any] = {
        "namespace": grant.namespace,
        "verbs": list(rule.verbs),
        "resources": list(rule.resources),
        "apiGroups": list(rule.api_groups),
    }
    if rule.resource_names:
        out["resourceNames"] = list(rule.resource_names)
    if rule.non_resource_urls:
        out["nonResourceURLs"] = list(rule.non_resource_urls)
    out["via"] = grant.via
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CrossTenantAccess:
    subject: str
    subject_tenant: str
    namespace: str
    namespace_tenant: str
    verbs: tuple[str, ...]
    resources: tuple[str, ...]
    via: str
    broad: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "subjectTenant": self.subject_tenant,
            "namespace": self.namespace,
            "namespaceTenant": self.namespace_tenant,
            "verbs": list(self.verbs),
            "resources": list(self.resources),
            "via": self.via,
            "broad": self.broad,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskyGrant:
    subject: str
    tenant: str
    namespace: str
    risk: Risk
    via: str
    broad: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "tenant": self.tenant,
            "namespace": self.namespace,
            "risk": str(self.risk),
            "via": self.via,
            "broad": self.broad,
        }


def display(subject: RbacSubject) -> str:
    if subject.kind == "ServiceAccount":
        return f"ServiceAccount/{subject.namespace}/{subject.name}"
    return f"{subject.kind}/{subject.name}"


def analyze(objects: Iterable[dict[str, Any]], tenants: TenantIndex, *, namespaces: Iterable[str] = ()) -> RbacExposure:
    """Effective grants of every tenant subject; `namespaces` (when given) limits cluster-wide grants' expansion."""
    members = Members(tenants)
    granted = effective_grants(objects, lambda s: is_broad(s) or bool(members.tenants_of(s)))
    return _Report(tenants, members, namespaces).build(granted)


class _Report:
    def __init__(self, tenants: TenantIndex, members: Members, namespaces: Iterable[str]) -> None:
        self.tenants, self.members = tenants, members
        known = set(namespaces)
        self.owner_of = tenants.owner_of
        self.tenant_namespaces = sorted(ns for ns in self.owner_of if not known or ns in known)
        self.namespace_count: dict[str, int] = defaultdict(int)
        for ns in self.tenant_namespaces:
            self.namespace_count[self.owner_of[ns]] += 1
        self.risks: dict[tuple[PolicyRule, bool], tuple[Risk, ...]] = {}
        self.reaches: dict[tuple[PolicyRule, bool], bool] = {}
        self.entries: list[SubjectGrants] = []
        self.cross: list[CrossTenantAccess] = []
        self.risky: set[RiskyGrant] = set()

    def build(self, granted: Mapping[RbacSubject, set[Grant]]) -> RbacExposure:
        for subject, grants in granted.items():
            if is_broad(subject):
                relevant = sorted((g for g in grants if self._reaches(g) or self._risks(g)), key=Grant.sort_key)
                for tenant in sorted(self.tenants.by_name):
                    self._add(tenant, subject, relevant, shared=(), broad=True)
            else:
                owners = self.members.tenants_of(subject)
                for tenant in owners:
                    self._add(tenant, subject, grants, shared=owners, broad=False)
        return RbacExposure(
            subjects=tuple(
                sorted(self.entries, key=lambda e: (e.tenant, e.subject.kind, e.subject.namespace, e.subject.name))
            ),
            cross_tenant_access=tuple(
                sorted(self.cross, key=lambda c: (c.subject_tenant, c.subject, c.namespace == ALL, c.namespace, c.via))
            ),
            risky_grants=tuple(sorted(self.risky, key=lambda r: (r.tenant, r.subject, r.namespace, r.risk, r.via))),
        )

    def _risks(self, grant: Grant) -> tuple[Risk, ...]:
        key = grant.rule, grant.namespace == ALL
        if key not in self.risks:
            self.risks[key] = classify(grant.rule, cluster_wide=key[1])
        return self.risks[key]

    def _reaches(self, grant: Grant) -> bool:
        key = grant.rule, grant.namespace == ALL
        if key not in self.reaches:
            self.reaches[key] = grant.rule.reaches_namespaces(cluster_wide=key[1])
        return self.reaches[key]

    def _add(
        self, tenant: str, subject: RbacSubject, grants: Iterable[Grant], *, shared: tuple[str, ...], broad: bool
    ) -> None:
        ordered = tuple(sorted(grants, key=Grant.sort_key))
        if not ordered:
            return
        self.entries.append(SubjectGrants(tenant=tenant, subject=subject, broad=broad, grants=ordered))
        name = display(subject)
        reach: dict[tuple[str, str], tuple[set[str], set[str]]] = {}  # (namespace, via) -> verbs, resources
        for g in ordered:
            for risk in self._risks(g):
                self.risky.add(
                    RiskyGrant(subject=name, tenant=tenant, namespace=g.namespace, risk=risk, via=g.via, broad=broad)
                )
            if self._reaches(g):
                reached_verbs, reached_resources = reach.setdefault((g.namespace, g.via), (set(), set()))
                reached_verbs.update(g.rule.verbs)
                reached_resources.update(g.rule.resources)
        excluded = {tenant, *shared}
        for (ns, via), (verb_set, resource_set) in reach.items():
            verbs, resources = tuple(sorted(verb_set)), tuple(sorted(resource_set))
            self.cross.extend(
                CrossTenantAccess(
                    subject=name,
                    subject_tenant=tenant,
                    namespace=target,
                    namespace_tenant=owner,
                    verbs=verbs,
                    resources=resources,
                    via=via,
                    broad=broad,
                )
                for target, owner in self._targets(ns, excluded)
            )

    def _targets(self, namespace: str, excluded: set[str]) -> Iterator[tuple[str, str]]:
        """(namespace, owner) of the other tenants' namespaces a grant in `namespace` reaches."""
        if namespace != ALL:
            owner = self.owner_of.get(namespace)
            if owner is not None and owner not in excluded:
                yield namespace, owner
            return
        total = len(self.tenant_namespaces) - sum(self.namespace_count[t] for t in excluded)
        listed = 0
        for ns in self.tenant_namespaces:
            if listed == min(total, CROSS_TENANT_NAMESPACES):
                break
            if self.owner_of[ns] not in excluded:
                listed += 1
                yield ns, self.owner_of[ns]
        if total > listed:
            yield ALL, ALL
