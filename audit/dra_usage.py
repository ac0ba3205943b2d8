"""The usage report's DRA figures: devices the scheduler allocated to ResourceClaims (`status.allocation`), device
by device, and their GPU-hours — beside `audit.usage`, which counts pods' extended resources.

A device weighs what its own ResourceSlice entry says (NVIDIA's `profile` attribute: a MIG device g/7; `type: gpu`:
1), else its request's worst case (`policies.dra`); an admin-access allocation holds no device. A claim is running
when a pod it is reserved for runs; its GPU-hours are the time inside the window during which at least one of the
pods that use it ran, so a shared claim is billed once. A claim the scheduler made for a pod's extended-resource
request (`status.extendedResourceClaimStatus`) is billed with the pod where the request names a GPU resource
(`audit.usage` counts it), and here where it names a DeviceClass resource. `merge` folds a tenant's figures into
its usage entry: `gpu.dra`, and the totals `allocatedGpuEquivalents` and `gpuHours` of both paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

from tenantguard.audit.usage import TERMINAL, Window, parse_time
from tenantguard.policies import cel, dra
from tenantguard.policies.gpu import is_gpu_resource
from tenantguard.policies.tenancy import GpuAllowance


def _add(into: dict[str, Any], name: str, n: float) -> None:
    into[name] = into.get(name, 0) + n


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


def merge(gpu: dict[str, Any], totals: ClaimTotals, cap: GpuAllowance | None) -> None:
    """Fold a tenant's DRA figures into its `usage.tenants[].gpu` entry (as `audit.usage` renders it)."""
    gpu["dra"] = totals.as_dict()
    gpu["allocatedGpuEquivalents"] = round(gpu["allocatedGpuEquivalents"] + float(totals.equivalents), 3)
    hours = sum(totals.hours.values())
    if hours:  # keep the extended resources' figure as it was rendered (4 decimals) when no claim ran
        gpu["gpuHours"] = round(gpu["gpuHours"] + hours, 4)
    if gpu.get("cap") is not None and cap is not None:
        gpu["cap"]["deviceClasses"] = device_class_caps(cap)
