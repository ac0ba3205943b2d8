"""`--format csv`: the usage report's lines for finance, one row per tenant, resource and GPU product.

RFC 4180 (comma-separated, CRLF, quoted where needed), a header row, numbers with a dot and four decimals,
tenants in name order and each tenant's lines GPUs first. `quantity` is in `unit` (GPU-hours of a full GPU,
slice-hours of a MIG slice, core-hours, GiB-hours); `gpu_hours` weighs it in GPU-equivalents (a slice g/7);
`unit_price` and `cost` are empty where settings `pricing` gives no price — never zero. `source` says where the
hours come from: `kube-state-metrics` or `tenantguard` (Prometheus history), or `pods-lower-bound` (the pods that
exist now; pods deleted in the window are missing).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

COLUMNS = (
    "window_start",
    "window_end",
    "tenant",
    "resource",
    "product",
    "unit",
    "quantity",
    "gpu_hours",
    "unit_price",
    "cost",
    "currency",
    "source",
)


def _number(value: Any) -> str:
    return "" if value is None else f"{float(value):.4f}"


def source_of(report: Mapping[str, Any]) -> str:
    gpu_hours = report["usage"]["gpuHours"]
    return "pods-lower-bound" if gpu_hours["lowerBound"] else str(gpu_hours["source"])


def render(report: Mapping[str, Any]) -> str:
    usage = report["usage"]
    window = report["window"]
    currency = (usage.get("pricing") or {}).get("currency", "")
    source = source_of(report)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for tenant, u in sorted(usage["tenants"].items()):
        for line in u["lines"]:
            writer.writerow(
                [
                    window["start"],
                    window["end"],
                    tenant,
                    line["resource"],
                    line["product"],
                    line["unit"],
                    _number(line["quantity"]),
                    _number(line["gpuHours"]),
                    _number(line["unitPrice"]),
                    _number(line["cost"]),
                    currency if line["cost"] is not None else "",
                    source,
                ]
            )
    return out.getvalue()
