"""policies.pricing: settings `pricing` validated with field names, unit prices per GPU product, MIG slice, CPU."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.pricing import MigPricing
from tenantguard.policies.settings import DEFAULT_SETTINGS, SettingsError, parse_settings

H100, A100 = "NVIDIA-H100-80GB-HBM3", "NVIDIA-A100-SXM4-80GB"
PRICES: dict[str, Any] = {
    "currency": "EUR",
    "gpuHour": [{"product": "H100", "price": 2.4}, {"product": "A100", "price": 1.75}],
}


def test_nothing_is_priced_by_default() -> None:
    assert DEFAULT_SETTINGS.pricing is None


def test_a_gpu_costs_its_products_price_and_a_slice_its_compute_share() -> None:
    pricing = parse_settings({"pricing": PRICES}).pricing
    assert pricing is not None and pricing.mig is MigPricing.COMPUTE_SHARE
    assert pricing.unit_price("nvidia.com/gpu", H100) == 2.4
    assert pricing.unit_price("nvidia.com/gpu", A100) == 1.75
    assert pricing.unit_price("nvidia.com/mig-3g.40gb", A100) == pytest.approx(1.75 * 3 / 7)
    assert pricing.unit_price("nvidia.com/mig-1g.10gb", H100) == pytest.approx(2.4 / 7), "seven 1g slices, one GPU"
    assert pricing.unit_price("nvidia.com/gpu.shared", H100) == 2.4, "a time-sliced share counts whole, as in caps"


@pytest.mark.parametrize("product", [None, "", "NVIDIA-L40S"], ids=["unknown", "empty", "no-entry"])
def test_an_unknown_product_takes_the_default_or_stays_unpriced(product: str | None) -> None:
    assert parse_settings({"pricing": PRICES}).pricing.unit_price("nvidia.com/gpu", product) is None  # type: ignore[union-attr]
    fallback = parse_settings({"pricing": {**PRICES, "defaultGpuHour": 1.0}}).pricing
    assert fallback is not None and fallback.unit_price("nvidia.com/gpu", product) == 1.0
    assert fallback.unit_price("nvidia.com/mig-2g.20gb", product) == pytest.approx(2 / 7)


def test_slices_priced_by_profile() -> None:
    raw = {**PRICES, "mig": "slice", "migSliceHour": {"1g.10gb": 0.4, "1g.10gb+me": 0.45}}
    pricing = parse_settings({"pricing": raw}).pricing
    assert pricing is not None
    assert pricing.unit_price("nvidia.com/mig-1g.10gb", H100) == 0.4
    assert pricing.unit_price("nvidia.com/mig-1g.10gb.me", H100) == 0.45, "the device plugin's .me is mig-parted's +me"
    assert pricing.unit_price("nvidia.com/mig-3g.40gb", H100) is None, "a profile without a price is unpriced"
    assert pricing.unit_price("nvidia.com/gpu", H100) == 2.4


def test_cpu_and_memory_are_optional() -> None:
    assert parse_settings({"pricing": PRICES}).pricing.prices_cpu_or_memory is False  # type: ignore[union-attr]
    pricing = parse_settings({"pricing": {**PRICES, "cpuCoreHour": 0.02, "memoryGiBHour": 0.003}}).pricing
    assert pricing is not None and pricing.prices_cpu_or_memory
    assert (pricing.unit_price("cpu", None), pricing.unit_price("memory", None)) == (0.02, 0.003)
    assert pricing.unit_price("example.com/fpga", None) is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"gpuHour": []}, "pricing.currency: required"),
        ({"currency": "euro"}, "pricing.currency: 'euro' does not match"),
        ({**PRICES, "gpuHour": [{"product": "H100"}]}, "pricing.gpuHour[0].price: required"),
        ({**PRICES, "gpuHour": [{"product": "H100", "price": -1}]}, "pricing.gpuHour[0].price: must be >= 0"),
        ({**PRICES, "gpuHour": [{"product": "H100(", "price": 1}]}, "pricing.gpuHour[0].product: not a regular"),
        ({**PRICES, "mig": "share"}, "pricing.mig: must be one of 'computeShare', 'slice'"),
        ({**PRICES, "mig": "slice", "migSliceHour": {"small": 1}}, "pricing.migSliceHour.small: not a MIG profile"),
        ({**PRICES, "migSliceHour": {"1g.10gb": 1}}, "pricing.migSliceHour: only used with `mig: slice`"),
        ({**PRICES, "cpuCoreHour": "cheap"}, "pricing.cpuCoreHour: must be number"),
        ({**PRICES, "gpuHours": []}, "pricing.gpuHours: unknown field"),
    ],
)
def test_invalid_pricing_names_the_field(raw: dict[str, Any], problem: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_settings({"pricing": raw})
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems
