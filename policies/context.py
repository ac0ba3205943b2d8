"""What a rule may know besides the object: settings, tenants, and a read-only view of cluster state.

The view is empty in lint, filled from the webhook's watch cache and from the audit's scan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from tenantguard.policies.model import Obj
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings
from tenantguard.policies.tenancy import EMPTY_INDEX, Tenant, TenantIndex


class ClusterView(Protocol):
    def gpu_usage(self, tenant: str, *, exclude: tuple[str, str, str] | None = None) -> int:
        """GPU-class devices held by the tenant's existing pods, except those owned by `exclude`
        (kind, namespace, name) — the object being replaced by an update."""
        ...

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None: ...


class EmptyView:
    """Lint's view: nothing exists yet."""

    def gpu_usage(self, tenant: str, *, exclude: tuple[str, str, str] | None = None) -> int:
        return 0

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        return None


EMPTY_VIEW = EmptyView()


def _utcnow() -> datetime:
    now = datetime.now(UTC)  # naive UTC; the constructor is 3x cheaper than .replace(tzinfo=None)
    return datetime(now.year, now.month, now.day, now.hour, now.minute, now.second, now.microsecond)


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    settings: Settings = DEFAULT_SETTINGS
    tenants: TenantIndex = EMPTY_INDEX
    tenant: Tenant | None = None
    view: ClusterView = EMPTY_VIEW
    operation: str = "CREATE"
    old: Obj | None = None
    now: datetime = field(default_factory=_utcnow)

    @property
    def label(self) -> str:
        return self.settings.tenant_label
