"""tenancy: who owns which namespace, and every object labelled for its owner."""

from tenantguard.policies.rule import Mutator, Rule
from tenantguard.policies.rules.tenancy import (
    ten001_namespace_tenant_label,
    ten002_namespace_single_owner,
    ten003_tenant_label_immutable,
    ten004_object_tenant_label,
    ten005_managed_objects_protected,
    ten006_hostnames_single_owner,
    ten007_no_system_priority,
)

RULES: tuple[Rule, ...] = (
    ten001_namespace_tenant_label.RULE,
    ten002_namespace_single_owner.RULE,
    ten003_tenant_label_immutable.RULE,
    ten004_object_tenant_label.RULE,
    ten005_managed_objects_protected.RULE,
    ten006_hostnames_single_owner.RULE,
    ten007_no_system_priority.RULE,
)
MUTATORS: tuple[Mutator, ...] = (ten004_object_tenant_label.MUTATOR,)
