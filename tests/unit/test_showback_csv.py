"""audit.formats.showback_csv: one RFC 4180 row per tenant, resource and GPU product; empty where unpriced."""

from __future__ import annotations

import csv
import io
from typing import Any

from tenantguard.audit.formats.showback_csv import COLUMNS, render


def line(resource: str, product: str, quantity: float, price: float | None) -> dict[str, Any]:
    return {
        "resource": resource,
        "product": product,
        "unit": "slice-hour" if "mig" in resource else "GPU-hour",
        "quantity": quantity,
        "gpuHours": quantity * (3 / 7 if "mig" in resource else 1),
        "unitPrice": price,
        "cost": None if price is None else quantity * price,
    }


def doc(*, lower_bound: bool, pricing: dict[str, str] | None) -> dict[str, Any]:
    priced = pricing is not None
    return {
        "window": {"start": "2026-11-20T00:00:00Z", "end": "2026-11-27T00:00:00Z", "hours": 168.0},
        "usage": {
            "gpuHours": {"source": "pods" if lower_bound else "kube-state-metrics", "lowerBound": lower_bound},
            "pricing": pricing,
            "tenants": {
                "globex": {
                    "lines": [line("nvidia.com/mig-3g.40gb", "NVIDIA-A100-SXM4-80GB", 42, 0.75 if priced else None)]
                },
                "acme": {
                    "lines": [
                        line("nvidia.com/gpu", "NVIDIA-H100-80GB-HBM3", 156.5, 2.4 if priced else None),
                        line("nvidia.com/gpu", "", 3, None),
                    ]
                },
                "idle": {"lines": []},
            },
        },
    }


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_one_row_per_tenant_resource_and_product_with_four_decimals() -> None:
    text = render(doc(lower_bound=False, pricing={"currency": "EUR", "mig": "computeShare"}))
    assert text.endswith("\r\n") and "\r\n" in text, "RFC 4180 line ends"
    header, *body = rows(text)
    assert tuple(header) == COLUMNS
    assert body == [
        ["2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z", "acme", "nvidia.com/gpu", "NVIDIA-H100-80GB-HBM3",
         "GPU-hour", "156.5000", "156.5000", "2.4000", "375.6000", "EUR", "kube-state-metrics"],
        ["2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z", "acme", "nvidia.com/gpu", "", "GPU-hour", "3.0000",
         "3.0000", "", "", "", "kube-state-metrics"],
        ["2026-11-20T00:00:00Z", "2026-11-27T00:00:00Z", "globex", "nvidia.com/mig-3g.40gb", "NVIDIA-A100-SXM4-80GB",
         "slice-hour", "42.0000", "18.0000", "0.7500", "31.5000", "EUR", "kube-state-metrics"],
    ], "tenants by name; an unpriced line has no price, cost or currency — never 0"  # fmt: skip


def test_a_lower_bound_says_so_in_every_row() -> None:
    body = rows(render(doc(lower_bound=True, pricing=None)))[1:]
    assert {r[-1] for r in body} == {"pods-lower-bound"}
    assert {r[9] for r in body} == {""}, "no pricing, no cost"
