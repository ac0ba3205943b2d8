"""network: the managed baseline stays intact and tenant NetworkPolicies open no traffic between tenants."""

from tenantguard.policies.rule import Mutator, Rule
from tenantguard.policies.rules.network import (
    net001_managed_policy_protected,
    net002_no_all_namespaces_peer,
    net003_peers_stay_in_tenant,
    net004_ipblock_within_egress_cidrs,
    net005_baseline_policies_present,
)

RULES: tuple[Rule, ...] = (
    net001_managed_policy_protected.RULE,
    net002_no_all_namespaces_peer.RULE,
    net003_peers_stay_in_tenant.RULE,
    net004_ipblock_within_egress_cidrs.RULE,
    net005_baseline_policies_present.RULE,
)
MUTATORS: tuple[Mutator, ...] = ()
