"""rbac: tenants bind only their own subjects; no tenant subject gains escalation or cluster-wide power."""

from tenantguard.policies.rule import Mutator, Rule
from tenantguard.policies.rules.rbac import (
    rbac001_rolebinding_tenant_subjects,
    rbac002_no_privileged_roles,
    rbac003_no_clusterrolebinding_for_tenant_subjects,
    rbac004_no_escalation_in_aggregated_roles,
)

RULES: tuple[Rule, ...] = (
    rbac001_rolebinding_tenant_subjects.RULE,
    rbac002_no_privileged_roles.RULE,
    rbac003_no_clusterrolebinding_for_tenant_subjects.RULE,
    rbac004_no_escalation_in_aggregated_roles.RULE,
)
MUTATORS: tuple[Mutator, ...] = ()
