"""mtls: every serving pod speaks mTLS — native sidecar or istio mesh — with no opt-out."""

from tenantguard.policies.rule import Mutator, Rule
from tenantguard.policies.rules.mtls import injection, mtls001_mtls_sidecar_present, mtls002_mtls_sidecar_unmodified

RULES: tuple[Rule, ...] = (
    mtls001_mtls_sidecar_present.RULE,
    mtls002_mtls_sidecar_unmodified.RULE,
)
MUTATORS: tuple[Mutator, ...] = (injection.MUTATOR,)
