"""The usage report's view of the pods that exist now: GPU devices, when each ran, quotas, model endpoints.

Devices are counted as the scheduler counts them (`policies.gpu.pod_gpu_devices`), and weighed in the unit
of the Tenant's GPU caps (`policies.gpu.device_weight`: a full GPU 1, a MIG slice g/7) — the same function
GPU005/GPU006 and the webhook's ledger use; `allocatedGpuEquivalents` is what GPU006 compares with
`spec.gpu.maxTotal`. A pod runs from `status.startTime` until the latest
`containerStatuses[].state.terminated.finishedAt` once Succeeded or Failed, else until the window's end; a
finished pod that records no finish time is not counted (it cannot be told how long it ran). These intervals
are the GPU-hours of last resort (`audit.showback.pod_rows`): a lower bound, blind to pods deleted in the
window — Prometheus history (`audit.history`) is the complete account.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import device_weight, gpu_equivalents, is_gpu_resource, pod_gpu_devices
from tenantguard.policies.quantity import QuantityError, quantity_of
from tenantguard.policies.rules.serving.model_sources import Source, sources
from tenantguard.policies.subjects import Subject, pod_templates
from tenantguard.policies.tenancy import GpuAllowance

TERMINAL = frozenset({"Succeeded", "Failed"})
ENDPOINT_KINDS = frozenset({"InferenceService", "LLMInferenceService", "LeaderWorkerSet", "RayService"})
# Labels by which serving controllers mark the pods they create.
SERVING_POD_LABELS = (
    "serving.kserve.io/inferenceservice",
    "leaderworkerset.sigs.k8s.io/name",
    "ray.io/cluster",
    "app.kubernetes.io/component=predictor",
)
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """`24h`, `7d`, `1h30m`, `90m`; ValueError otherwise."""
    text = text.strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r} (use e.g. 24h, 7d, 90m)")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    return timedelta(seconds=seconds)


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime; None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_quantity(value: Any) -> float | None:
    """A Kubernetes quantity (`500m`, `2`, `16Gi`, `1e3`) as a number (`policies.quantity`); None when it is
    not one."""
    try:
        return float(quantity_of(value))
    except QuantityError:
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    start: datetime
    end: datetime

    @classmethod
    def ending(cls, end: datetime, length: timedelta) -> Window:
        return cls(start=end - length, end=end)

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def as_dict(self) -> dict[str, Any]:
        return {"start": isoformat(self.start), "end": isoformat(self.end), "hours": round(self.hours, 3)}

    def days(self) -> tuple[Day, ...]:
        """The window cut at each UTC midnight: the buckets of GPU-hours per day (the first and last partial)."""
        out: list[Day] = []
        start = self.start
        while start < self.end:
            midnight = datetime.combine(start.astimezone(UTC).date(), datetime.min.time(), UTC) + timedelta(days=1)
            end = min(midnight, self.end)
            out.append(Day(label=start.astimezone(UTC).strftime("%Y-%m-%d"), start=start, end=end))
            start = end
        return tuple(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Day:
    label: str  # YYYY-MM-DD (UTC)
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def isoformat(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True, kw_only=True)
class PodUsage:
    """What one GPU pod holds, compact: a few of these per GPU pod is all the usage report keeps."""

    namespace: str
    name: str
    phase: str
    devices: tuple[tuple[str, int], ...]
    start: datetime | None
    end: datetime | None  # the latest container finish, for Succeeded/Failed pods
    node: str = ""  # spec.nodeName: its GPU product prices the pod's hours


def pod_usage(pod: Mapping[str, Any]) -> PodUsage | None:
    templates = list(pod_templates(dict(pod)))
    devices = pod_gpu_devices(templates[0]) if templates else {}
    if not devices:
        return None
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    phase = str(status.get("phase") or "Pending")
    finished = [
        parse_time(((s.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        for s in status.get("containerStatuses") or ()
        if isinstance(s, dict)
    ]
    ends = [t for t in finished if t is not None]
    node = (pod.get("spec") or {}).get("nodeName")
    return PodUsage(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        phase=phase,
        devices=tuple(sorted(devices.items())),
        start=parse_time(status.get("startTime")),
        end=max(ends) if ends and phase in TERMINAL else None,
        node=node if isinstance(node, str) else "",
    )


def ran(usage: PodUsage, window: Window) -> tuple[datetime, datetime] | None:
    """When the pod ran inside the window; None when it did not, or when that cannot be told."""
    if usage.start is None or (usage.phase in TERMINAL and usage.end is None):
        return None
    end = usage.end if usage.phase in TERMINAL and usage.end is not None else window.end
    start, end = max(usage.start, window.start), min(end, window.end)
    return (start, end) if end > start else None


def gpu_hours(usage: PodUsage, window: Window) -> dict[str, float]:
    """Full-GPU-equivalent hours per resource that the pod held inside the window."""
    interval = ran(usage, window)
    if interval is None:
        return {}
    seconds = (interval[1] - interval[0]).total_seconds()
    return {name: float(n * device_weight(name)) * seconds / 3600 for name, n in usage.devices}


def _add(into: dict[str, Any], name: str, n: float) -> None:
    into[name] = into.get(name, 0) + n


def quota_rows(quota: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per resource of a ResourceQuota's hard limits, GPU-class resources first."""
    meta = quota.get("metadata") or {}
    status = quota.get("status") or {}
    hard = (quota.get("spec") or {}).get("hard") or status.get("hard") or {}
    used = status.get("used") or {}

    def is_gpu(resource: str) -> bool:
        return is_gpu_resource(resource.removeprefix("requests.").removeprefix("limits."))

    rows = []
    for resource in sorted(hard, key=lambda r: (not is_gpu(r), r)):
        h, u = parse_quantity(hard[resource]), parse_quantity(used.get(resource, "0"))
        rows.append(
            {
                "namespace": meta.get("namespace", ""),
                "name": meta.get("name", ""),
                "resource": resource,
                "hard": str(hard[resource]),
                "used": str(used.get(resource, "0")),
                "gpu": is_gpu(resource),
                "percent": round(100 * u / h, 1) if h and u is not None else None,
            }
        )
    return rows


def model_of(obj: dict[str, Any], ctx: Context) -> str | None:
    """The model an object loads where it is visible (storageUri, `--model` args, …); bucket volumes last."""
    found = [f for f in sources(Subject.of(obj), ctx) if isinstance(f, Source)]
    named = [f.source for f in found if not f.via.startswith("CSI volume")] or [f.source for f in found]
    return named[0] if named else None


def serving_pod(pod: Mapping[str, Any], ctx: Context) -> tuple[dict[str, str], str | None] | None:
    """(labels, model) for a pod that serves a model: one that names a model or a serving controller made."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    model = model_of(dict(pod), ctx)
    marked = any(
        labels.get(key) == value if eq else key in labels
        for key, eq, value in (item.partition("=") for item in SERVING_POD_LABELS)
    )
    return (dict(labels), model) if model is not None or marked else None


def endpoint(obj: dict[str, Any], ctx: Context) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    return {
        "kind": obj.get("kind", ""),
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "model": model_of(obj, ctx),
    }


def service_endpoint(
    service: Mapping[str, Any], pods: Iterable[tuple[dict[str, str], str | None]]
) -> dict[str, Any] | None:
    """The Service as an endpoint when its selector picks a serving pod of its namespace."""
    selector = (service.get("spec") or {}).get("selector") or {}
    if not selector:
        return None
    matched = [model for labels, model in pods if all(labels.get(k) == v for k, v in selector.items())]
    if not matched:
        return None
    meta = service.get("metadata") or {}
    models = [m for m in matched if m]
    return {
        "kind": "Service",
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "model": models[0] if models else None,
    }


@dataclass(slots=True)
class TenantUsage:
    """What a tenant holds now (devices, quotas, endpoints); its GPU-hours and costs are `audit.showback`'s."""

    cap: GpuAllowance | None = None  # the Tenant's spec.gpu: GPU006's tenant-wide cap, GPU005's per-pod cap
    allocated: dict[str, int] = field(default_factory=dict)
    running: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    quota: list[dict[str, Any]] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    current: bool = True  # False: a tenant known only from history (deleted within the window)

    def add_pod(self, usage: PodUsage) -> None:
        if usage.phase in ("Running", "Pending"):
            now = self.running if usage.phase == "Running" else self.pending
            for name, n in usage.devices:
                _add(self.allocated, name, n)
                _add(now, name, n)

    def as_dict(self, showback: Mapping[str, Any], metrics: Mapping[str, Any] | None) -> dict[str, Any]:
        """`showback`: `audit.showback.tenant_showback`'s figures (GPU-hours, per day, lines, cost)."""
        hours = {k: v for k, v in showback.items() if k not in ("lines", "cost")}
        return {
            "current": self.current,
            "gpu": {
                "allocated": dict(sorted(self.allocated.items())),
                "allocatedGpuEquivalents": round(float(gpu_equivalents(self.allocated)), 3),
                "running": dict(sorted(self.running.items())),
                "pending": dict(sorted(self.pending.items())),
                **hours,
                "cap": None
                if self.cap is None
                else {
                    "maxTotal": self.cap.max_total,
                    "maxPerPod": self.cap.max_per_pod,
                    "allowedResources": sorted(self.cap.allowed_resources),
                },
            },
            "lines": showback.get("lines", []),
            "cost": showback.get("cost"),
            "quota": sorted(self.quota, key=lambda r: (r["namespace"], r["name"], not r["gpu"], r["resource"])),
            "endpoints": sorted(self.endpoints, key=lambda e: (e["namespace"], e["kind"], e["name"])),
            "metrics": dict(metrics) if metrics is not None else None,
        }
