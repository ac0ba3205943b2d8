"""Showback: GPU-hours per tenant, per resource and per day, and what they cost, whichever source counted them.

Every source hands over UsageRows — device-hours of one resource on one GPU product in one namespace on one UTC
day, for one tenant:
- `pod_rows`: the pods that exist now, from their start and finish times — a lower bound, since pods deleted in
  the window are not there to count;
- `audit.history`: Prometheus, from kube-state-metrics' pod series or tenantguard's own allocation gauge.

One arithmetic (`tenant_showback`) turns rows into the report's figures. GPU-hours are device-hours times the
resource's weight in GPU-equivalents (`policies.gpu.device_weight`: a full GPU 1, a MIG slice g/7 — the unit of
every GPU cap). A line per (resource, GPU product) carries its device-hours and GPU-hours and, with settings
`pricing`, its unit price and cost (`policies.pricing`); unpriced lines cost None and are counted apart, never as
zero. The idle share is 1 - the tenant's mean DCGM utilisation, applied to its full GPUs (MIG slices report no
utilisation); the cost per million tokens divides the tenant's whole cost by its vLLM prompt and generation
tokens. A new kind of device (DRA claims) adds rows: `unit_of` and `device_weight` say how it is counted and
what it weighs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tenantguard.audit.usage import PodUsage, Window, ran
from tenantguard.policies.gpu import FULL_GPU, device_weight, is_gpu_resource, is_mig_resource
from tenantguard.policies.pricing import CPU, MEMORY, Pricing

DIGITS = 4  # hours and money in the report and the CSV


@dataclass(frozen=True, slots=True, kw_only=True)
class UsageRow:
    tenant: str
    namespace: str
    resource: str  # nvidia.com/gpu, nvidia.com/mig-3g.40gb, …; cpu (core-hours), memory (GiB-hours)
    product: str  # the node's nvidia.com/gpu.product; "" when unknown
    day: str  # YYYY-MM-DD (UTC)
    hours: float  # device-hours: hours of a full GPU, of a MIG slice, of a CPU core, of a GiB of memory


def unit_of(resource: str) -> str:
    if resource == CPU:
        return "core-hour"
    if resource == MEMORY:
        return "GiB-hour"
    return "slice-hour" if is_mig_resource(resource) else "GPU-hour"


def gpu_weight(resource: str) -> float:
    """GPU-equivalents one device-hour of `resource` is worth (0 for CPU and memory)."""
    return float(device_weight(resource))


def pod_rows(usage: PodUsage, window: Window, *, tenant: str, product: str) -> Iterator[UsageRow]:
    """A pod that exists now: its devices times the hours it ran on each day of the window."""
    interval = ran(usage, window)
    if interval is None:
        return
    for day in window.days():
        start, end = max(interval[0], day.start), min(interval[1], day.end)
        if end <= start:
            continue
        hours = (end - start).total_seconds() / 3600
        for resource, n in usage.devices:
            yield UsageRow(
                tenant=tenant, namespace=usage.namespace, resource=resource, product=product, day=day.label,
                hours=n * hours,
            )  # fmt: skip


def _add(into: dict[Any, float], key: Any, value: float) -> None:
    into[key] = into.get(key, 0.0) + value


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _order(resource: str) -> tuple[int, str]:
    return (0 if is_gpu_resource(resource) else 1 if resource == CPU else 2, resource)


def lines(rows: Iterable[UsageRow], pricing: Pricing | None) -> list[dict[str, Any]]:
    """One line per (resource, GPU product): device-hours, GPU-hours, unit price and cost (None: unpriced)."""
    hours: dict[tuple[str, str], float] = {}
    for r in rows:
        _add(hours, (r.resource, r.product), r.hours)
    out = []
    for (resource, product), quantity in sorted(hours.items(), key=lambda i: (_order(i[0][0]), i[0][1])):
        price = pricing.unit_price(resource, product or None) if pricing is not None else None
        out.append(
            {
                "resource": resource,
                "product": product,
                "unit": unit_of(resource),
                "quantity": round(quantity, DIGITS),
                "gpuHours": round(quantity * gpu_weight(resource), DIGITS),
                "unitPrice": price,
                "cost": None if price is None else round(quantity * price, DIGITS),
                "_quantity": quantity,  # unrounded, for the totals; dropped before the report
            }
        )
    return out


def _tokens(metrics: Mapping[str, Any] | None) -> float | None:
    if not metrics:
        return None
    found = [v for v in (metrics.get("promptTokens"), metrics.get("generationTokens")) if v is not None]
    return float(sum(found)) if found else None


def idle_share(metrics: Mapping[str, Any] | None) -> float | None:
    """1 - the mean DCGM utilisation of the tenant's GPUs in the window; None where DCGM says nothing."""
    util = metrics.get("gpuUtilizationPercent") if metrics else None
    return None if util is None else min(max(1.0 - float(util) / 100, 0.0), 1.0)


def cost(
    priced: Sequence[Mapping[str, Any]],
    pricing: Pricing,
    idle: float | None,
    tokens: float | None,
    *,
    cpu_memory: bool = True,
) -> dict[str, Any]:
    """The tenant's cost; `cpu_memory` False when its source cannot count CPU and memory (None there, not 0)."""

    def total(kinds: Iterable[str] | None = None) -> float:
        return sum(
            float(line["_quantity"] * line["unitPrice"])
            for line in priced
            if line["unitPrice"] is not None and (kinds is None or _kind(line["resource"]) in kinds)
        )

    by_resource: dict[str, float] = {}
    for line in priced:
        if line["unitPrice"] is not None:
            _add(by_resource, line["resource"], line["_quantity"] * line["unitPrice"])
    full = sum(
        line["_quantity"] * line["unitPrice"]
        for line in priced
        if line["resource"] == FULL_GPU and line["unitPrice"] is not None
    )
    everything = total()
    return {
        "currency": pricing.currency,
        "total": round(everything, DIGITS),
        "gpu": round(total(("gpu",)), DIGITS),
        "cpu": round(total(("cpu",)), DIGITS) if cpu_memory and pricing.cpu_core_hour is not None else None,
        "memory": round(total(("memory",)), DIGITS) if cpu_memory and pricing.memory_gib_hour is not None else None,
        "byResource": {k: round(v, DIGITS) for k, v in sorted(by_resource.items(), key=lambda i: _order(i[0]))},
        "unpricedGpuHours": round(
            sum(line["_quantity"] * gpu_weight(line["resource"]) for line in priced if line["unitPrice"] is None),
            DIGITS,
        ),
        "idle": None if idle is None else round(full * idle, DIGITS),
        "perMillionTokens": round(everything / tokens * 1e6, DIGITS) if tokens else None,
    }


def _kind(resource: str) -> str:
    return "cpu" if resource == CPU else "memory" if resource == MEMORY else "gpu"


def tenant_showback(
    rows: Iterable[UsageRow],
    *,
    days: Sequence[str],
    pricing: Pricing | None,
    metrics: Mapping[str, Any] | None,
    cpu_memory: bool = False,
) -> dict[str, Any]:
    """One tenant's GPU-hours (by resource, by day), idle share, lines and cost, from its rows; `cpu_memory`:
    the rows' source counts CPU and memory (kube-state-metrics' history)."""
    rows = list(rows)
    gpu_rows = [r for r in rows if is_gpu_resource(r.resource)]
    by_resource: dict[str, float] = {}
    devices: dict[str, float] = {}
    by_day: dict[str, float] = dict.fromkeys(days, 0.0)
    for r in gpu_rows:
        weighed = r.hours * gpu_weight(r.resource)
        _add(by_resource, r.resource, weighed)
        _add(devices, r.resource, r.hours)
        _add(by_day, r.day, weighed)
    idle = idle_share(metrics)
    full_gpu_hours = sum(r.hours for r in gpu_rows if r.resource == FULL_GPU)
    priced = lines(rows, pricing)
    return {
        "gpuHours": round(sum(by_resource.values()), DIGITS),
        "gpuHoursByResource": {k: round(v, DIGITS) for k, v in sorted(by_resource.items())},
        "deviceHoursByResource": {k: round(v, DIGITS) for k, v in sorted(devices.items())},
        "gpuHoursByDay": {k: round(v, DIGITS) for k, v in sorted(by_day.items())},
        "idleShare": _round(idle),
        "idleGpuHours": None if idle is None else round(full_gpu_hours * idle, DIGITS),
        "lines": [{k: v for k, v in line.items() if not k.startswith("_")} for line in priced],
        "cost": None if pricing is None else cost(priced, pricing, idle, _tokens(metrics), cpu_memory=cpu_memory),
    }
