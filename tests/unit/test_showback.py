"""audit.showback: rows to GPU-hours per resource and day, lines, costs, idle share and cost per million tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tenantguard.audit.showback import UsageRow, pod_rows, tenant_showback, unit_of
from tenantguard.audit.usage import PodUsage, Window
from tenantguard.policies.settings import parse_settings

END = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WINDOW = Window.ending(END, timedelta(days=2))
DAYS = [d.label for d in WINDOW.days()]
H100, A100 = "NVIDIA-H100-80GB-HBM3", "NVIDIA-A100-SXM4-80GB"
PRICING = parse_settings(
    {
        "pricing": {
            "currency": "EUR",
            "gpuHour": [{"product": "H100", "price": 2.0}, {"product": "A100", "price": 1.4}],
            "cpuCoreHour": 0.01,
        }
    }
).pricing


def row(resource: str, hours: float, *, product: str = H100, day: str = "2026-11-26") -> UsageRow:
    return UsageRow(tenant="acme", namespace="acme-prod", resource=resource, product=product, day=day, hours=hours)


def test_the_window_is_cut_at_utc_midnights() -> None:
    assert [(d.label, d.hours) for d in WINDOW.days()] == [
        ("2026-11-25", 12.0),
        ("2026-11-26", 24.0),
        ("2026-11-27", 12.0),
    ]
    aligned = Window.ending(datetime(2026, 11, 27, tzinfo=UTC), timedelta(days=1))
    assert [d.label for d in aligned.days()] == ["2026-11-26"]


def test_a_pod_that_exists_now_is_split_over_the_days_it_ran() -> None:
    usage = PodUsage(
        namespace="acme-prod",
        name="p",
        phase="Running",
        devices=(("nvidia.com/gpu", 2), ("nvidia.com/mig-1g.10gb", 7)),
        start=datetime(2026, 11, 26, 20, 0, tzinfo=UTC),
        end=None,
        node="n",
    )
    rows = list(pod_rows(usage, WINDOW, tenant="acme", product=H100))
    assert [(r.day, r.resource, r.hours) for r in rows] == [
        ("2026-11-26", "nvidia.com/gpu", 8.0),
        ("2026-11-26", "nvidia.com/mig-1g.10gb", 28.0),
        ("2026-11-27", "nvidia.com/gpu", 24.0),
        ("2026-11-27", "nvidia.com/mig-1g.10gb", 84.0),
    ]
    figures = tenant_showback(rows, days=DAYS, pricing=None, metrics=None)
    assert figures["gpuHoursByDay"] == {"2026-11-25": 0.0, "2026-11-26": 12.0, "2026-11-27": 36.0}
    assert figures["gpuHours"] == 48.0, "16 h x 2 GPUs + 16 h x seven 1g slices (one GPU)"
    assert figures["deviceHoursByResource"] == {"nvidia.com/gpu": 32.0, "nvidia.com/mig-1g.10gb": 112.0}
    assert figures["gpuHoursByResource"] == {"nvidia.com/gpu": 32.0, "nvidia.com/mig-1g.10gb": 16.0}
    assert figures["cost"] is None and all(line["cost"] is None for line in figures["lines"])


def test_lines_price_each_product_and_slices_by_compute_share() -> None:
    rows = [
        row("nvidia.com/gpu", 10),
        row("nvidia.com/gpu", 5, day="2026-11-27"),
        row("nvidia.com/gpu", 4, product=A100),
        row("nvidia.com/mig-3g.40gb", 7, product=A100),
        row("cpu", 100, product=""),
    ]
    figures = tenant_showback(rows, days=DAYS, pricing=PRICING, metrics=None, cpu_memory=True)
    assert [
        (x["resource"], x["product"], x["unit"], x["quantity"], x["gpuHours"], x["cost"]) for x in figures["lines"]
    ] == [
        ("nvidia.com/gpu", A100, "GPU-hour", 4.0, 4.0, 5.6),
        ("nvidia.com/gpu", H100, "GPU-hour", 15.0, 15.0, 30.0),
        ("nvidia.com/mig-3g.40gb", A100, "slice-hour", 7.0, 3.0, 4.2),
        ("cpu", "", "core-hour", 100.0, 0.0, 1.0),
    ]
    cost = figures["cost"]
    assert cost == {
        "currency": "EUR",
        "total": 40.8,
        "gpu": 39.8,
        "cpu": 1.0,
        "memory": None,  # no memory price
        "byResource": {"nvidia.com/gpu": 35.6, "nvidia.com/mig-3g.40gb": 4.2, "cpu": 1.0},
        "unpricedGpuHours": 0.0,
        "idle": None,
        "perMillionTokens": None,
    }
    assert figures["gpuHours"] == 22.0, "CPU is not GPU-hours"


def test_unpriced_hours_are_counted_never_priced_at_zero() -> None:
    rows = [row("nvidia.com/gpu", 3, product=""), row("nvidia.com/mig-1g.10gb", 14, product="NVIDIA-L40S")]
    cost = tenant_showback(rows, days=DAYS, pricing=PRICING, metrics=None)["cost"]
    assert cost["total"] == 0 and cost["unpricedGpuHours"] == 5.0
    assert cost["cpu"] is None, "a source that cannot count CPU says nothing about it"


def test_idle_share_and_cost_per_million_tokens() -> None:
    rows = [row("nvidia.com/gpu", 10), row("nvidia.com/mig-1g.10gb", 7)]
    metrics = {"gpuUtilizationPercent": 25.0, "promptTokens": 3_000_000.0, "generationTokens": 1_000_000.0}
    figures = tenant_showback(rows, days=DAYS, pricing=PRICING, metrics=metrics)
    assert figures["idleShare"] == 0.75
    assert figures["idleGpuHours"] == 7.5, "the full GPUs' hours: MIG slices report no utilisation"
    assert figures["cost"]["idle"] == 15.0
    assert figures["cost"]["perMillionTokens"] == pytest.approx((20 + 2) / 4)
    silent = tenant_showback(rows, days=DAYS, pricing=PRICING, metrics={"gpuUtilizationPercent": None})
    assert silent["idleShare"] is None and silent["cost"]["perMillionTokens"] is None


@pytest.mark.parametrize(
    ("resource", "unit"),
    [
        ("nvidia.com/gpu", "GPU-hour"),
        ("nvidia.com/mig-2g.20gb", "slice-hour"),
        ("cpu", "core-hour"),
        ("memory", "GiB-hour"),
    ],
)
def test_units(resource: str, unit: str) -> None:
    assert unit_of(resource) == unit
