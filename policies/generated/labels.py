"""What marks a generated object: the managed label, the tenant label and the reserved `tenantguard-` names.

Every object the reconciler writes carries `<managedLabel>: "true"` and `<tenantLabel>: <tenant>`; TEN005 and
NET001 deny tenants every write and delete of objects with the managed label, and NET001 reserves the name
prefix for NetworkPolicies. The label set is also how the reconciler finds its objects again (a watch with a
label selector) and how it tells whose they are when the Tenant is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.policies.fields import mapping
from tenantguard.policies.settings import Settings

PREFIX = "tenantguard-"
QUOTA_NAME = f"{PREFIX}gpu"
DENIED_QUOTA_NAME = f"{PREFIX}gpu-denied"
PEER_AUTHENTICATION_NAME = f"{PREFIX}mtls"


def managed_labels(tenant: str, settings: Settings) -> dict[str, str]:
    return {settings.managed_label: "true", settings.tenant_label: tenant}


def managed_selector(settings: Settings) -> str:
    """The label selector of every generated object (for list and watch)."""
    return f"{settings.managed_label}=true"


def is_managed(obj: Mapping[str, Any], settings: Settings) -> bool:
    labels = mapping(mapping(obj.get("metadata")).get("labels"))
    return labels.get(settings.managed_label) == "true"


def tenant_of(obj: Mapping[str, Any], settings: Settings) -> str | None:
    """The tenant a generated object was written for (its tenant label)."""
    value = mapping(mapping(obj.get("metadata")).get("labels")).get(settings.tenant_label)
    return value if isinstance(value, str) and value else None


def ca_secret_name(tenant: str) -> str:
    return f"{PREFIX}ca-{tenant}"


def gateway_secret_name(tenant: str) -> str:
    return f"{PREFIX}gateway-{tenant}"
