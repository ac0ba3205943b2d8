"""The usage report's arithmetic: GPU devices now, GPU-hours over a window, quotas, model endpoints.

Devices are counted as the scheduler counts them (`policies.gpu.pod_gpu_devices`), and weighed in the unit
of the Tenant's GPU caps (`policies.gpu.device_weight`: a full GPU 1, a MIG slice g/7) — the same function
GPU005/GPU006 and the webhook's ledger use. GPU-hours are a pod's GPU-equivalents times the hours it ran inside
the window; `allocatedGpuEquivalents` is what GPU006 compares with `spec.gpu.maxTotal`. A pod runs from
`status.startTime` until the latest `containerStatuses[].state.terminated.finishedAt` once Succeeded or
Failed, else until the window's end; a finished pod that records no finish time is not counted (it cannot be
told how long it ran).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from tenantguard.policies import cel, dra
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
    return PodUsage(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        phase=phase,
        devices=tuple(sorted(devices.items())),
        start=parse_time(status.get("startTime")),
        end=max(ends) if ends and phase in TERMINAL else None,
    )


def gpu_hours(usage: PodUsage, window: Window) -> dict[str, float]:
    """Full-GPU-equivalent hours per resource that the pod held inside the window."""
    if usage.start is None or (usage.phase in TERMINAL and usage.end is None):
        return {}
    end = usage.end if usage.phase in TERMINAL and usage.end is not None else window.end
    seconds = (min(end, window.end) - max(usage.start, window.start)).total_seconds()
    if seconds <= 0:
        return {}
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
    cap: GpuAllowance | None = None  # the Tenant's spec.gpu: GPU006's tenant-wide cap, GPU005's per-pod cap
    allocated: dict[str, int] = field(default_factory=dict)
    running: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    hours: dict[str, float] = field(default_factory=dict)
    quota: list[dict[str, Any]] = field(default_factory=list)
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    claims: ClaimTotals = field(default_factory=lambda: ClaimTotals())

    def add_pod(self, usage: PodUsage, window: Window) -> None:
        if usage.phase in ("Running", "Pending"):
            now = self.running if usage.phase == "Running" else self.pending
            for name, n in usage.devices:
                _add(self.allocated, name, n)
                _add(now, name, n)
        for name, h in gpu_hours(usage, window).items():
            _add(self.hours, name, h)

    def as_dict(self, metrics: Mapping[str, Any] | None) -> dict[str, Any]:
        return {
            "gpu": {
                "allocated": dict(sorted(self.allocated.items())),
                "allocatedGpuEquivalents": round(float(gpu_equivalents(self.allocated) + self.claims.equivalents), 3),
                "running": dict(sorted(self.running.items())),
                "pending": dict(sorted(self.pending.items())),
                "gpuHours": round(sum(self.hours.values()) + sum(self.claims.hours.values()), 3),
                "gpuHoursByResource": {k: round(v, 3) for k, v in sorted(self.hours.items())},
                "cap": None
                if self.cap is None
                else {
                    "maxTotal": self.cap.max_total,
                    "maxPerPod": self.cap.max_per_pod,
                    "allowedResources": sorted(self.cap.allowed_resources),
                    "deviceClasses": device_class_caps(self.cap),
                },
                "dra": self.claims.as_dict(),
            },
            "quota": sorted(self.quota, key=lambda r: (r["namespace"], r["name"], not r["gpu"], r["resource"])),
            "endpoints": sorted(self.endpoints, key=lambda e: (e["namespace"], e["kind"], e["name"])),
            "metrics": dict(metrics) if metrics is not None else None,
        }


# DRA: devices the scheduler allocated to ResourceClaims (status.allocation), device by device.


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocatedDevice:
    device_class: str
    driver: str
    pool: str
    device: str
    request: str
    sevenths: int  # its weight: the device's own profile from its ResourceSlice, else the request's worst case
    profile: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimUsage:
    """One allocated ResourceClaim, compact: what the usage report keeps of it."""

    namespace: str
    name: str
    devices: tuple[AllocatedDevice, ...]
    reserved_for: tuple[str, ...]  # the pods it is reserved for (status.reservedFor)
    pod: str  # the pod it was made for (controller), if any


@dataclass(frozen=True, slots=True, kw_only=True)
class PodClaimUse:
    """A pod that uses claims: when it ran, and which claims (by name) it uses."""

    namespace: str
    name: str
    phase: str
    start: datetime | None
    end: datetime | None
    claims: tuple[str, ...]
    counted: frozenset[str]  # requests of its extended-resource claim that map to GPU resources (counted as those)


DeviceKey = tuple[str, str, str]  # driver, pool, device


def slice_devices(resource_slice: Mapping[str, Any]) -> dict[DeviceKey, tuple[str, str]]:
    """(driver, pool, device) -> (type, MIG profile) of every device a ResourceSlice publishes (NVIDIA's
    attributes `type` and `profile`, unqualified in the slice)."""
    spec = resource_slice.get("spec") or {}
    driver, pool = str(spec.get("driver") or ""), str((spec.get("pool") or {}).get("name") or "")
    out: dict[DeviceKey, tuple[str, str]] = {}
    for device in spec.get("devices") or ():
        if isinstance(device, dict):
            attributes = device.get("attributes") or {}
            found = (_attribute(attributes, driver, "type"), _attribute(attributes, driver, "profile"))
            out[(driver, pool, str(device.get("name") or ""))] = found
    return out


def _attribute(attributes: Mapping[str, Any], driver: str, name: str) -> str:
    """A string attribute, unqualified or qualified with the driver's domain (`gpu.nvidia.com/profile`)."""
    value = attributes.get(name) or attributes.get(f"{driver}/{name}") or {}
    return str(value.get("string") or "") if isinstance(value, dict) else ""


def claim_usage(
    claim: Mapping[str, Any], classes: dra.Classes, devices: Mapping[DeviceKey, tuple[str, str]]
) -> ClaimUsage | None:
    """The devices allocated to a claim, each weighed by its own profile where its ResourceSlice says (a MIG
    device g/7, a GPU 1), else at its request's worst case; admin-access allocations hold no device. None for a
    claim that is not allocated."""
    results = (((claim.get("status") or {}).get("allocation") or {}).get("devices") or {}).get("results") or ()
    spec = dra.claim_spec({**claim, "kind": dra.CLAIM})
    if not results or spec is None:
        return None
    choices = {c.name: c for c in spec.choices()}
    found = []
    for r in results:
        if not isinstance(r, dict) or r.get("adminAccess") is True:
            continue
        key = (str(r.get("driver") or ""), str(r.get("pool") or ""), str(r.get("device") or ""))
        choice = choices.get(str(r.get("request") or ""))
        kind, profile = devices.get(key, ("", ""))
        if kind == "gpu":
            weight = dra.FULL
        elif profile:
            weight = dra.sevenths(cel.Facts(profile=frozenset({profile})))
        else:
            weight = dra.sevenths(dra.facts_of(choice, classes)) if choice is not None else dra.FULL
        found.append(
            AllocatedDevice(
                device_class=choice.device_class if choice is not None else "",
                driver=key[0],
                pool=key[1],
                device=key[2],
                request=str(r.get("request") or ""),
                sevenths=weight,
                profile=profile,
            )
        )
    meta = claim.get("metadata") or {}
    controller = next(
        (o for o in meta.get("ownerReferences") or () if isinstance(o, dict) and o.get("controller") is True), {}
    )
    reserved = (claim.get("status") or {}).get("reservedFor") or ()
    return ClaimUsage(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        devices=tuple(found),
        reserved_for=tuple(
            str(x.get("name") or "") for x in reserved if isinstance(x, dict) and x.get("resource") == "pods"
        ),
        pod=str(controller.get("name") or "") if controller.get("kind") == "Pod" else "",
    )


def pod_claim_use(pod: Mapping[str, Any]) -> PodClaimUse | None:
    """The claims a pod uses (named, made from its templates, made by the scheduler for its DeviceClass
    resources) and when it ran; None for a pod that uses none."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    names = [e.get("resourceClaimName") for e in spec.get("resourceClaims") or () if isinstance(e, dict)]
    names += [s.get("resourceClaimName") for s in status.get("resourceClaimStatuses") or () if isinstance(s, dict)]
    extended = status.get("extendedResourceClaimStatus") or {}
    names.append(extended.get("resourceClaimName"))
    claims = tuple(n for n in names if isinstance(n, str) and n)
    if not claims:
        return None
    counted = frozenset(
        str(m.get("requestName") or "")
        for m in extended.get("requestMappings") or ()
        if isinstance(m, dict) and is_gpu_resource(m.get("resourceName"))
    )
    meta = pod.get("metadata") or {}
    phase = str(status.get("phase") or "Pending")
    start = parse_time(status.get("startTime"))
    ends = [
        t
        for s in status.get("containerStatuses") or ()
        if isinstance(s, dict)
        and (t := parse_time(((s.get("state") or {}).get("terminated") or {}).get("finishedAt"))) is not None
    ]
    return PodClaimUse(
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        phase=phase,
        start=start,
        end=max(ends) if ends and phase in TERMINAL else None,
        claims=claims,
        counted=counted,
    )


def claim_users(pods: Iterable[PodClaimUse]) -> dict[tuple[str, str], list[PodClaimUse]]:
    """(namespace, claim) -> the pods that use it."""
    out: dict[tuple[str, str], list[PodClaimUse]] = {}
    for p in pods:
        for name in p.claims:
            out.setdefault((p.namespace, name), []).append(p)
    return out


def _intervals(pods: Iterable[PodClaimUse], window: Window) -> float:
    """Hours inside the window during which at least one of the pods ran (a shared claim is held once)."""
    spans = []
    for p in pods:
        if p.start is None or (p.phase in TERMINAL and p.end is None):
            continue
        end = p.end if p.phase in TERMINAL and p.end is not None else window.end
        lo, hi = max(p.start, window.start), min(end, window.end)
        if hi > lo:
            spans.append((lo, hi))
    total, reach = 0.0, None
    for lo, hi in sorted(spans):
        if reach is not None and lo < reach:
            lo = reach
        if hi > lo:
            total += (hi - lo).total_seconds()
        reach = hi if reach is None else max(reach, hi)
    return total / 3600


@dataclass(slots=True)
class ClaimTotals:
    """A tenant's DRA devices: allocated now (per DeviceClass, as running or pending by their pods) and GPU-hours."""

    allocated: dict[str, int] = field(default_factory=dict)
    running: dict[str, int] = field(default_factory=dict)
    pending: dict[str, int] = field(default_factory=dict)
    sevenths: int = 0
    hours: dict[str, float] = field(default_factory=dict)
    claims: list[dict[str, Any]] = field(default_factory=list)

    @property
    def equivalents(self) -> Fraction:
        return Fraction(self.sevenths, 7)

    def add(self, claim: ClaimUsage, pods: list[PodClaimUse], window: Window) -> None:
        """One allocated claim and the pods that use it."""
        counted = set().union(*(p.counted for p in pods)) if pods else set()
        devices = [d for d in claim.devices if d.request not in counted]
        if not devices:
            return
        live = [p for p in pods if p.phase not in TERMINAL]
        now = self.running if any(p.phase == "Running" for p in live) else self.pending
        hours = _intervals(pods, window)
        for d in devices:
            _add(self.allocated, d.device_class, 1)
            _add(now, d.device_class, 1)
            self.sevenths += d.sevenths
            _add(self.hours, d.device_class, hours * d.sevenths / 7)
        self.claims.append(
            {
                "namespace": claim.namespace,
                "name": claim.name,
                "pods": sorted(p.name for p in pods),
                "devices": [
                    {
                        "deviceClass": d.device_class,
                        "device": f"{d.driver}/{d.pool}/{d.device}",
                        "profile": d.profile or None,
                        "gpuEquivalents": round(d.sevenths / 7, 3),
                    }
                    for d in devices
                ],
            }
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "allocated": dict(sorted(self.allocated.items())),
            "allocatedGpuEquivalents": round(float(self.equivalents), 3),
            "running": dict(sorted(self.running.items())),
            "pending": dict(sorted(self.pending.items())),
            "gpuHours": round(sum(self.hours.values()), 3),
            "gpuHoursByDeviceClass": {k: round(v, 3) for k, v in sorted(self.hours.items())},
            "claims": sorted(self.claims, key=lambda c: (c["namespace"], c["name"])),
        }


def device_class_caps(cap: GpuAllowance) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "maxDevices": c.max_devices,
            "migProfiles": sorted(c.mig_profiles) if c.mig_profiles is not None else None,
            "productNames": sorted(c.product_names) if c.product_names is not None else None,
        }
        for _, c in sorted(cap.device_classes.items())
    ]
