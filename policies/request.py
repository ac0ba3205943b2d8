"""This request: what is being done to the object, by whom, and when — the facts a rule may judge besides
the object and the cluster.

Admission fills every field from the AdmissionReview. Lint judges a manifest that a tenant is about to apply
(no requester is known, so it is judged as a tenant's). The audit judges objects that already exist: their
author is unknown, and what they would look like after mutation is not what the cluster holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from tenantguard.policies.model import Obj
from tenantguard.policies.ownership import OwnerKey


class Operation(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"
    CONNECT = "CONNECT"


# Subresource requests that carry the whole object and can change what rules judge: the pod-spec ones
# (ephemeral containers, in-place resize) and the ones through which metadata — labels, ownerReferences — can
# be rewritten without the main resource's update (status and, for namespaces, finalize). They are judged as an
# UPDATE of the object. `scale` carries a Scale, which the webhook turns into its workload with the new replica
# count (webhook.related); only the rules that judge replica counts run on it (Rule.scale). Every other
# subresource (binding, eviction, exec, log, proxy, token…) carries another object or none.
JUDGED_SUBRESOURCES = frozenset({"ephemeralcontainers", "resize", "status", "finalize", "scale"})


class Origin(StrEnum):
    """Where the object under judgement comes from."""

    ADMISSION = "admission"  # an API request through the webhook
    MANIFEST = "manifest"  # lint: a file about to be applied, as a tenant would apply it
    EXISTING = "existing"  # audit: an object the cluster already stores


@dataclass(frozen=True, slots=True, kw_only=True)
class Requester:
    username: str
    groups: tuple[str, ...] = ()


def utcnow() -> datetime:
    """Naive UTC (every time the engine compares is naive UTC); the constructor is cheaper than .replace()."""
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, now.hour, now.minute, now.second, now.microsecond)


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    operation: Operation = Operation.CREATE
    origin: Origin = Origin.MANIFEST
    requester: Requester | None = None
    old: Obj | None = None  # the stored object an UPDATE replaces (DELETE judges the stored object itself)
    subresource: str = ""  # "scale": the object is the workload with the Scale's replicas (webhook.scale)
    dry_run: bool = False
    now: datetime = field(default_factory=utcnow)
    # Objects the request refers to, read by the adapter at request time (kind, namespace, name) -> object: at
    # admission, an autoscaler's scale target. Lint and the audit find them in the cluster view instead.
    related: Mapping[OwnerKey, Obj] = field(default_factory=dict)

    @property
    def judged(self) -> bool:
        """False for a subresource whose request carries nothing the rules judge."""
        return not self.subresource or self.subresource in JUDGED_SUBRESOURCES

    @classmethod
    def existing(cls, now: datetime | None = None) -> Request:
        """The audit's request: judge an object as the cluster stores it."""
        return cls(origin=Origin.EXISTING, now=now or utcnow())
