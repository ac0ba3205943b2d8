"""The labels of a tenant namespace: the tenant label, its mTLS mode, and Pod Security Admission's at the
Tenant's level.

The reconciler sets them on every namespace a Tenant lists, first of all (the namespaced webhooks select
namespaces by the tenant label, so nothing created before it would be labelled, mutated or judged), and keeps
them current without waiting for a write of the namespace — what the mutations TEN004-M and PSS020-M do at
admission, for namespaces that existed before their Tenant or whose Tenant changed. The mTLS mode label
(`tenantguard.io/mtls-mode`) is read by the mutating webhook's entries only, to skip pods that no mutator
would change (`policies.mutation_cel`); it is not set at admission (a namespace without it is always sent).

The same decisions as PSS020-M: the labels of the `pod-security` category's mode (`enforce`, `warn` or
`audit`) at the Tenant's level and version; a stricter level already set is kept; a namespace covered by an
exception for PSS020 keeps the labels it has.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from tenantguard.policies.model import Category, Mode
from tenantguard.policies.mutation_cel import MODE_LABEL
from tenantguard.policies.podsecurity import Level, policy_for
from tenantguard.policies.rules.podsecurity.pss020_namespace_pod_security_labels import ID as PSS020
from tenantguard.policies.rules.podsecurity.pss020_namespace_pod_security_labels import labels_for
from tenantguard.policies.settings import Settings
from tenantguard.policies.tenancy import Tenant

_LEVELS = frozenset(level.value for level in Level)


def pod_security_waived(namespace: str, settings: Settings, now: datetime) -> bool:
    waiver = settings.waiver_for(PSS020, (("Namespace", "", namespace),), now)
    return waiver is not None and not waiver.expired


def namespace_labels(
    tenant: Tenant, namespace: str, settings: Settings, current: Mapping[str, str], *, now: datetime
) -> dict[str, str]:
    """The labels the reconciler owns on `namespace`, given the labels it carries now."""
    labels = {settings.tenant_label: tenant.name, MODE_LABEL: tenant.mtls_mode}
    policy = policy_for(tenant, settings)
    if policy is None or pod_security_waived(namespace, settings, now):
        return labels
    mode = settings.enforcement.get(Category.POD_SECURITY, Mode.ENFORCE)
    for key, want in labels_for(policy, mode).items():
        have = current.get(key)
        stricter = not key.endswith("-version") and have in _LEVELS and Level(str(have)).includes(policy.level)
        labels[key] = str(have) if stricter else want
    return labels
