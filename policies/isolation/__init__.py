"""Isolation checks over a whole cluster: the catalogue, the findings, and what a new pod would reach.

Purely computational, no I/O: plain data in the audit report's shapes in, IsolationFinding out. The audit
(`audit.isolation`) feeds it; docs/rules.md lists the catalogue.
"""

from tenantguard.policies.isolation.catalogue import BY_ID, CATEGORY, CHECKS, IsolationCheck
from tenantguard.policies.isolation.findings import IsolationFinding, by_impact, impact
from tenantguard.policies.isolation.reach import REPRESENTATIVE, empty_namespace_entries, representative

__all__ = [
    "BY_ID",
    "CATEGORY",
    "CHECKS",
    "REPRESENTATIVE",
    "IsolationCheck",
    "IsolationFinding",
    "by_impact",
    "empty_namespace_entries",
    "impact",
    "representative",
]
