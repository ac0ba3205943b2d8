"""The building blocks of the HTML report: tolerant report reading, escaping, tables, tiles and chips.

Sections read the report through `section_of`, `list_of`, `number` and `quantity` so that a missing,
mistyped or non-finite field degrades to "—" or an empty table rather than an exception, and they put
every string from the report through `esc` because names, messages and labels are user-controlled.
Keeping these in one place is what lets each section stay a short function of the report.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from typing import Any

from tenantguard.policies.quantity import QuantityError, quantity_of

ROWS = 50  # rows per table before "N more"
SEVERITY_ORDER = ("error", "warning", "info")


def esc(value: object) -> str:
    return "—" if value is None else html.escape(str(value), quote=True)


def section_of(doc: Any, *keys: str) -> dict[str, Any]:
    """`doc[k1][k2]…` when every step is an object, else {} (a report may lack any section)."""
    for key in keys:
        doc = doc.get(key) if isinstance(doc, Mapping) else None
    return dict(doc) if isinstance(doc, Mapping) else {}


def list_of(doc: Mapping[str, Any], key: str) -> list[Any]:
    value = doc.get(key)
    return list(value) if isinstance(value, list) else []


def number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def fmt(value: object, digits: int = 1) -> str:
    n = number(value)
    if n is None:
        return "—"
    return f"{int(n):,}" if n == int(n) and abs(n) < 1e15 else f"{n:,.{digits}f}"


def quantity(value: object) -> float | None:
    """A Kubernetes quantity ("8", "500m", "64Gi", "1e3") as a number, read as the rest of the audit and the
    webhook read it (`policies.quantity`), or None."""
    try:
        return float(quantity_of(value))
    except QuantityError:
        return None


def table(headers: Iterable[str], rows: list[list[str]], *, empty: str, widths: Iterable[str] = ()) -> str:
    """Rows are already-escaped cells; at most ROWS are shown. `widths`: CSS widths of the first columns."""
    if not rows:
        return f'<p class="muted">{esc(empty)}</p>'
    sizes = list(widths)
    head = "".join(
        (f'<th style="width:{sizes[i]}">' if i < len(sizes) and sizes[i] else "<th>") + f"{esc(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows[:ROWS])
    more = f'<div class="more">… and {len(rows) - ROWS:,} more not shown</div>' if len(rows) > ROWS else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def tile(label: str, value: str, *, tone: str = "", detail: str = "") -> str:
    extra = f'<div class="d">{detail}</div>' if detail else ""
    return f'<div class="tile {tone}"><div class="l">{esc(label)}</div><div class="n">{value}</div>{extra}</div>'


def severity_chip(severity: object) -> str:
    name = str(severity)
    css = name if name in SEVERITY_ORDER else "info"
    return f'<span class="sev sev-{css}">{esc(name)}</span>'


def severity_rank(item: tuple[str, Any]) -> tuple[int, str]:
    name = item[0]
    return (SEVERITY_ORDER.index(name) if name in SEVERITY_ORDER else len(SEVERITY_ORDER), name)
