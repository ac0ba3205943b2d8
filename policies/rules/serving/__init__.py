"""serving: traffic enters through the gateway, images and models come only from the tenant's own sources."""

from tenantguard.policies.rule import Mutator, Rule
from tenantguard.policies.rules.serving import (
    srv001_no_external_services,
    srv002_allowed_registries,
    srv003_allowed_model_sources,
    srv005_routes_stay_in_tenant,
    srv006_ingress_tls,
    srv007_claims_bind_own_volumes,
    srv008_model_source_determined,
    srv009_external_names_stay_in_tenant,
    srv010_reference_grants_stay_in_tenant,
    srv011_endpoints_within_egress_cidrs,
    srv012_no_ingress_snippets,
    srv013_hostnames_in_tenant,
    srv014_ingress_annotations_stay_in_tenant,
)

RULES: tuple[Rule, ...] = (
    srv001_no_external_services.RULE,
    srv002_allowed_registries.RULE,
    srv003_allowed_model_sources.RULE,
    srv005_routes_stay_in_tenant.RULE,
    srv006_ingress_tls.RULE,
    srv007_claims_bind_own_volumes.RULE,
    srv008_model_source_determined.RULE,
    srv009_external_names_stay_in_tenant.RULE,
    srv010_reference_grants_stay_in_tenant.RULE,
    srv011_endpoints_within_egress_cidrs.RULE,
    srv012_no_ingress_snippets.RULE,
    srv013_hostnames_in_tenant.RULE,
    srv014_ingress_annotations_stay_in_tenant.RULE,
)
MUTATORS: tuple[Mutator, ...] = ()
