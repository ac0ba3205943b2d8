"""The records of the RBAC exposure analysis — a grant and the report's entries — each with its report JSON.

They cross from the analysis into audit/report.py through `RbacExposure.to_json()`, whose shape is the
documented contract of `isolation.rbac` (docs/audit-report.md); keeping the field-to-key mapping beside each
field is what keeps that contract easy to check. Frozen and hashable, so duplicates collapse in sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenantguard.audit.rbac_risks import Risk
from tenantguard.audit.rbac_rules import PolicyRule
from tenantguard.policies.tenancy import RbacSubject


@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    namespace: str  # "*": cluster-wide
    rule: PolicyRule
    via: str

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "namespace": self.namespace,
            "verbs": list(self.rule.verbs),
            "resources": list(self.rule.resources),
            "apiGroups": list(self.rule.api_groups),
        }
        if self.rule.resource_names:
            out["resourceNames"] = list(self.rule.resource_names)
        if self.rule.non_resource_urls:
            out["nonResourceURLs"] = list(self.rule.non_resource_urls)
        out["via"] = self.via
        return out

    def sort_key(self) -> tuple[Any, ...]:
        r = self.rule
        return self.namespace, self.via, r.api_groups, r.resources, r.verbs, r.resource_names, r.non_resource_urls


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
            "grants": [g.to_json() for g in self.grants],
        }


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
