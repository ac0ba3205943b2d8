"""What a rule receives besides the object: the cluster it lands in, this request, and its tenant.

`Context.cluster` is what is known about the cluster and tenants (`policies.cluster.ClusterState`);
`Context.request` is this request (`policies.request.Request`); `tenant` is the Tenant that owns the
object's namespace, resolved once by the engine. The properties are shorthands rules use often.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.model import Obj
from tenantguard.policies.request import Operation, Origin, Request
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings
from tenantguard.policies.tenancy import Tenant, TenantIndex


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    cluster: ClusterState = field(default_factory=ClusterState)
    request: Request = field(default_factory=Request)
    tenant: Tenant | None = None

    @classmethod
    def bare(cls, settings: Settings = DEFAULT_SETTINGS) -> Context:
        """No tenants, no cluster: for helpers that only need the settings."""
        return cls(cluster=ClusterState(settings))

    @property
    def settings(self) -> Settings:
        return self.cluster.settings

    @property
    def tenants(self) -> TenantIndex:
        return self.cluster.tenants

    @property
    def label(self) -> str:
        return self.cluster.settings.tenant_label

    @property
    def operation(self) -> Operation:
        return self.request.operation

    @property
    def old(self) -> Obj | None:
        return self.request.old

    @property
    def now(self) -> datetime:
        return self.request.now

    @property
    def by_platform(self) -> bool:
        """A platform identity sends this request (admission only: lint and the audit know no requester)."""
        user = self.request.requester
        return user is not None and self.cluster.settings.is_platform(user.username, user.groups)

    def platform_owns(self, labels: Mapping[str, str]) -> bool:
        """The object under judgement is the platform's own: a platform identity writes it, or (in the audit,
        which cannot know who wrote a stored object) it carries the managed label set to "true", as the
        reconciler's objects do. Rules that guard managed objects judge everything else."""
        if self.by_platform:
            return True
        return self.request.origin is Origin.EXISTING and labels.get(self.settings.managed_label) == "true"
