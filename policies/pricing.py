"""Prices for showback: what an hour of a GPU, a MIG slice, a CPU core or a GiB of memory costs.

Settings `pricing` (docs/settings.md#pricing); absent, nothing is priced. A price is per device-hour:

- a full GPU (`nvidia.com/gpu`, and a time-sliced `.shared` device, which counts whole as in every GPU cap):
  the first `gpuHour` entry whose regular expression the GPU product contains (the node label
  `nvidia.com/gpu.product`, e.g. `NVIDIA-H100-80GB-HBM3`), else `defaultGpuHour`, else unpriced;
- a MIG slice `<g>g.<mem>gb`: with `mig: computeShare` (the default) g/7 of its GPU's price, the same weight
  as GPU-equivalents (`policies.gpu.device_weight`); with `mig: slice` its profile's `migSliceHour`, else unpriced;
- CPU and memory (optional): per core-hour and per GiB-hour of requests.

Unpriced usage is never priced at zero: its cost is None and the reports say how many GPU-hours it holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from tenantguard.policies.gpu import device_weight, is_gpu_resource, is_mig_resource, mig_profile_of

CPU = "cpu"
MEMORY = "memory"
_PRICE = {"type": "number", "minimum": 0}


class MigPricing(StrEnum):
    COMPUTE_SHARE = "computeShare"
    SLICE = "slice"


PRICING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["currency"],
    "properties": {
        "currency": {"type": "string", "pattern": r"^[A-Z]{3}$"},
        "gpuHour": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["product", "price"],
                "additionalProperties": False,
                "properties": {"product": {"type": "string", "minLength": 1}, "price": _PRICE},
            },
        },
        "defaultGpuHour": _PRICE,
        "mig": {"type": "string", "enum": [m.value for m in MigPricing]},
        "migSliceHour": {"type": "object", "additionalProperties": _PRICE},
        "cpuCoreHour": _PRICE,
        "memoryGiBHour": _PRICE,
    },
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Pricing:
    currency: str
    gpu_hour: tuple[tuple[re.Pattern[str], float], ...] = ()
    default_gpu_hour: float | None = None
    mig: MigPricing = MigPricing.COMPUTE_SHARE
    mig_slice_hour: Mapping[str, float] = field(default_factory=dict)
    cpu_core_hour: float | None = None
    memory_gib_hour: float | None = None

    def gpu_price(self, product: str | None) -> float | None:
        """The price of one full GPU of `product` for an hour (None: unpriced)."""
        if product:
            for pattern, price in self.gpu_hour:
                if pattern.search(product):
                    return price
        return self.default_gpu_hour

    def unit_price(self, resource: str, product: str | None) -> float | None:
        """The price of one device of `resource` on a GPU `product` (None when unknown) for an hour."""
        if resource == CPU:
            return self.cpu_core_hour
        if resource == MEMORY:
            return self.memory_gib_hour
        if not is_gpu_resource(resource):
            return None
        if is_mig_resource(resource) and self.mig is MigPricing.SLICE:
            profile = mig_profile_of(resource)
            return self.mig_slice_hour.get(profile) if profile else None
        price = self.gpu_price(product)
        return None if price is None else price * float(device_weight(resource))

    @property
    def prices_cpu_or_memory(self) -> bool:
        return self.cpu_core_hour is not None or self.memory_gib_hour is not None


def parse_pricing(raw: Mapping[str, Any]) -> Pricing:
    """A validated `pricing` block (PRICING_SCHEMA, `pricing_problems`) as Pricing."""
    return Pricing(
        currency=raw["currency"],
        gpu_hour=tuple((re.compile(e["product"]), float(e["price"])) for e in raw.get("gpuHour", ())),
        default_gpu_hour=_number(raw.get("defaultGpuHour")),
        mig=MigPricing(raw.get("mig", MigPricing.COMPUTE_SHARE.value)),
        mig_slice_hour={str(k): float(v) for k, v in raw.get("migSliceHour", {}).items()},
        cpu_core_hour=_number(raw.get("cpuCoreHour")),
        memory_gib_hour=_number(raw.get("memoryGiBHour")),
    )


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


_PROFILE = re.compile(r"^[1-9]\d*g\.\d+gb(?:[+-][a-z]+(?:\.[a-z]+)*)?$")


def pricing_problems(raw: Mapping[str, Any]) -> list[str]:
    """What the schema cannot say: regular expressions that do not compile, slice prices without `mig: slice`
    or for names that are no MIG profile."""
    problems = []
    for i, entry in enumerate(raw.get("gpuHour", ())):
        try:
            re.compile(entry["product"])
        except re.error as err:
            problems.append(f"pricing.gpuHour[{i}].product: not a regular expression ({err})")
    slices = raw.get("migSliceHour", {})
    for profile in slices:
        if not _PROFILE.match(profile):
            problems.append(
                f"pricing.migSliceHour.{profile}: not a MIG profile (write it as mig-parted does: 1g.10gb, 1g.10gb+me)"
            )
    if slices and raw.get("mig", MigPricing.COMPUTE_SHARE.value) != MigPricing.SLICE.value:
        problems.append("pricing.migSliceHour: only used with `mig: slice` (MIG is priced by compute share)")
    return problems
