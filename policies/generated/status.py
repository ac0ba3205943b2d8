"""The Tenant's `status`: what the reconciler observed, in the shape the CRD declares and `kubectl get` shows.

- `namespaces`: how many of the listed namespaces have everything generated (`summary` "2/2"), and why the
  others do not;
- `gpu`: GPU-equivalents the tenant's running pods hold against `maxTotal` (`summary` "3/8"), and per resource
  the devices used against the tenant-wide cap the quotas hold;
- `mtls`: the mode, and in native mode when the tenant CA and the first workload or gateway certificate expire;
- `conditions` (Kubernetes' convention): `Ready` — every namespace has its generated objects; `Degraded` — the
  platform cannot keep a guarantee (a write failed, the mesh API is missing, a namespace is claimed twice).
  `lastTransitionTime` changes only when a condition's status does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

from tenantguard.policies.fields import mapping, sequence
from tenantguard.policies.gpu import format_gpus
from tenantguard.policies.tenancy import Tenant


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    reason: str  # CamelCase, as Kubernetes conditions name reasons
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    namespaces: Mapping[str, tuple[Problem, ...]]  # every namespace the Tenant lists -> why it is not ready
    degraded: tuple[Problem, ...] = ()
    equivalents: Fraction = Fraction(0)  # held by the tenant's running pods
    devices_used: Mapping[str, int] | None = None  # per resource, tenant-wide
    device_caps: Mapping[str, int] | None = None
    ca_not_after: datetime | None = None
    certificate_not_after: datetime | None = None  # the earliest of the tenant's workload and gateway certificates


def timestamp(value: datetime) -> str:
    """RFC 3339 in UTC, seconds precision (naive datetimes are UTC)."""
    return value.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def _condition(kind: str, holds: bool, reason: str, message: str, previous: Mapping[str, Any], generation: int,
               now: datetime) -> dict[str, Any]:  # fmt: skip
    status = "True" if holds else "False"
    before = next((mapping(c) for c in sequence(previous.get("conditions")) if mapping(c).get("type") == kind), {})
    since = before.get("lastTransitionTime") if before.get("status") == status else None
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since if isinstance(since, str) else timestamp(now),
        "observedGeneration": generation,
    }


def _gpu(tenant: Tenant, obs: Observation) -> dict[str, Any]:
    cap = tenant.gpu.max_total if tenant.gpu is not None else 0
    used, caps = obs.devices_used or {}, obs.device_caps or {}
    devices = [
        {"resource": r, "used": used.get(r, 0), "cap": caps.get(r, 0)}
        for r in sorted({*used, *caps})
        if used.get(r, 0) or caps.get(r, 0)
    ]
    return {"used": format_gpus(obs.equivalents), "max": cap, "summary": f"{format_gpus(obs.equivalents)}/{cap}",
            "devices": devices}  # fmt: skip


def _mtls(tenant: Tenant, obs: Observation) -> dict[str, Any]:
    found: dict[str, Any] = {"mode": tenant.mtls_mode}
    if obs.ca_not_after is not None:
        found["caNotAfter"] = timestamp(obs.ca_not_after)
    if obs.certificate_not_after is not None:
        found["certificateNotAfter"] = timestamp(obs.certificate_not_after)
    return found


def tenant_status(
    tenant: Tenant, obs: Observation, *, generation: int, previous: Mapping[str, Any] | None, now: datetime
) -> dict[str, Any]:
    previous = previous or {}
    not_ready = {ns: problems for ns, problems in sorted(obs.namespaces.items()) if problems}
    total = len(obs.namespaces)
    ready = total - len(not_ready)
    if not_ready:
        first = next(iter(not_ready.values()))[0]
        reason = first.reason
        message = "; ".join(f"{ns}: {p.message}" for ns, problems in not_ready.items() for p in problems)
    else:
        reason, message = "Reconciled", f"every generated object exists in {total} namespace(s)"
    if obs.degraded:
        why, detail = obs.degraded[0].reason, "; ".join(p.message for p in obs.degraded)
    else:
        why, detail = "AsExpected", "the platform holds every guarantee for this tenant"
    return {
        "observedGeneration": generation,
        "namespaces": {
            "ready": ready,
            "total": total,
            "summary": f"{ready}/{total}",
            "notReady": [
                {"name": ns, "reason": problems[0].reason, "message": "; ".join(p.message for p in problems)}
                for ns, problems in not_ready.items()
            ],
        },
        "gpu": _gpu(tenant, obs),
        "mtls": _mtls(tenant, obs),
        "conditions": [
            _condition("Ready", not not_ready, reason, message, previous, generation, now),
            _condition("Degraded", bool(obs.degraded), why, detail, previous, generation, now),
        ],
    }
