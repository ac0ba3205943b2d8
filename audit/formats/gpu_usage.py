"""The GPU usage section of the HTML report: where the GPU-hours come from, GPU-hours per tenant per day and by
tenant, and a card per tenant with its cost.

It renders the report's `usage` object for whoever pays for or plans GPU capacity. Tenants are ranked by
GPU-hours so that, past the caps, the ones left out are the ones using least; the per-day chart stacks the
busiest tenants and sums the rest as "other tenants".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.audit.formats.markup import ROWS, esc, fmt, list_of, number, quantity, section_of, table
from tenantguard.audit.formats.svg import GREEN, NEUTRAL, PALETTE, RED, bars, columns

CHART_TENANTS = 40  # rows of the GPU-hours chart
CARD_TENANTS = 60  # per-tenant usage cards
DAY_TENANTS = len(PALETTE)  # tenants with their own colour in the per-day chart


def source_note(usage: Mapping[str, Any]) -> str:
    """Where the GPU-hours come from, and every note the report carries (a lower bound, unpriced hours)."""
    hours = section_of(usage, "gpuHours")
    if hours.get("lowerBound", True):
        where = "the pods that exist now — a lower bound"
    else:
        step = number(hours.get("stepSeconds"))
        where = f"Prometheus history ({esc(hours.get('source'))}, {fmt(step)} s step)"
    pricing = section_of(usage, "pricing")
    priced = f"priced in {esc(pricing.get('currency'))}" if pricing else "not priced"
    notes = "".join(f'<p class="note">{esc(n)}</p>' for n in list_of(usage, "notes"))
    return f'<p class="muted">GPU-hours from {where}; {priced}.</p>{notes}'


def per_day(tenants: Mapping[str, Any], days: list[str]) -> str:
    """GPU-hours per tenant per day: a column per day, the busiest tenants stacked in their colours."""
    ranked = [n for n in by_gpu_hours(tenants) if (number(section_of(tenants, n, "gpu").get("gpuHours")) or 0) > 0]
    if not days or not ranked:
        return '<h3>GPU-hours per day</h3><p class="muted">No GPU-hours in the window.</p>'
    shown, rest = ranked[:DAY_TENANTS], ranked[DAY_TENANTS:]
    colour = {n: PALETTE[i] for i, n in enumerate(shown)}

    def hours(name: str, day: str) -> float:
        return number(section_of(tenants, name, "gpu", "gpuHoursByDay").get(day)) or 0.0

    stacks = []
    for day in days:
        stack = [(f"{n} {day}: {fmt(hours(n, day), 2)} GPU-h", hours(n, day), colour[n]) for n in shown]
        if rest:
            other = sum(hours(n, day) for n in rest)
            stack.append((f"{len(rest):,} other tenants {day}: {fmt(other, 2)} GPU-h", other, NEUTRAL))
        stacks.append(stack)
    legend = " ".join(f'<span style="color:{colour[n]}">■</span> {esc(n)}' for n in shown)
    if rest:
        legend += f' <span style="color:{NEUTRAL}">■</span> {len(rest):,} other tenants'
    chart = columns(days, stacks, unit="GPU-hours (UTC days)")
    return f"<h3>GPU-hours per tenant per day</h3>{chart}<p>{legend}</p>"


def gpu_overview(tenants: Mapping[str, Any]) -> str:
    resources = sorted({r for t in tenants.values() for r in section_of(t, "gpu", "gpuHoursByResource")})
    colour = {r: PALETTE[i % len(PALETTE)] for i, r in enumerate(resources)}
    rows = []
    for name in by_gpu_hours(tenants)[:CHART_TENANTS]:
        usage = section_of(tenants, name)
        gpu = section_of(usage, "gpu")
        by_resource = section_of(gpu, "gpuHoursByResource")
        segments = [
            (f"{name} {r}: {fmt(by_resource[r], 2)} GPU-h", number(by_resource[r]) or 0.0, colour[r])
            for r in resources
            if r in by_resource
        ]
        hours = number(gpu.get("gpuHours")) or 0.0
        rows.append((name, segments, f"{fmt(hours, 1 if hours >= 1 or hours == 0 else 3)} GPU-h"))
    legend = " ".join(f'<span style="color:{colour[r]}">■</span> <code>{esc(r)}</code>' for r in resources)
    chart = bars(rows, width=760) if any(segs for _, segs, _ in rows) else ""
    more = len(tenants) - CHART_TENANTS
    if chart and more > 0:
        legend += f'<br><span class="more">… and {more:,} more tenants with fewer GPU-hours</span>'
    return "<h3>GPU-hours by tenant</h3>" + (
        chart + f"<p>{legend}</p>" if chart else '<p class="muted">No GPU-hours in the window.</p>'
    )


def by_gpu_hours(tenants: Mapping[str, Any]) -> list[str]:
    """Tenant names, most GPU-hours first, then by name."""
    return sorted(tenants, key=lambda n: (-(number(section_of(tenants, n, "gpu").get("gpuHours")) or 0.0), str(n)))


def _shown(value: object) -> str:
    """A quantity as the report wrote it ("64Gi", "500m"), a number as a number; escaped where it is drawn."""
    return value if isinstance(value, str) else fmt(value)


def used_of_hard(label: str, used: object, hard: object) -> tuple[str, list[tuple[str, float, str]], str]:
    """One bar row: the share of `hard` in use, coloured by how close it is, with "used / hard" written out."""
    used_n, hard_n = quantity(used), quantity(hard)
    share = (used_n or 0.0) / hard_n if hard_n else 0.0
    tone = RED if share >= 1 else "#e0a31e" if share >= 0.8 else GREEN
    text = f"{_shown(used)} / {_shown(hard)}"
    return (
        label,
        [(f"used {text}", min(share, 1.0), tone), ("free", max(1.0 - share, 0.0), "#eef0f3")],
        text,
    )


def quota_bars(gpu: Mapping[str, Any], quotas: list[Any]) -> str:
    """Used of hard, with the numbers: the Tenant's GPU cap over all its namespaces (spec.gpu.maxTotal), each
    GPU-class ResourceQuota resource, then the other quota resources."""
    cap = section_of(gpu, "cap")
    devices = sum(number(n) or 0.0 for n in section_of(gpu, "allocated").values())
    gpu_rows: list[tuple[str, list[tuple[str, float, str]], str]] = []
    if number(cap.get("maxTotal")) is not None:
        gpu_rows.append(used_of_hard("tenant cap · all GPU devices", devices, cap.get("maxTotal")))
    other_rows: list[tuple[str, list[tuple[str, float, str]], str]] = []
    for q in quotas[:ROWS]:
        if not isinstance(q, Mapping):
            continue
        resource = str(q.get("resource", "")).removeprefix("requests.")
        row = used_of_hard(f"{q.get('namespace', '')} · {resource}", q.get("used"), q.get("hard"))
        (gpu_rows if q.get("gpu") or "nvidia.com/" in resource else other_rows).append(row)
    out = '<div class="muted">GPU quota: used of hard</div>'
    if gpu_rows:
        out += bars(gpu_rows, width=540, label=44)
    else:
        out += f'<p class="muted">No GPU cap or GPU ResourceQuota: {fmt(devices)} GPU devices in use.</p>'
    if other_rows:
        out += '<div class="muted">Other quota: used of hard</div>' + bars(other_rows, width=540, label=44)
    return out


def cost_figures(cost: object) -> str:
    """What the tenant's window cost, the idle share of it and per million tokens; unpriced GPU-hours if any."""
    if not isinstance(cost, Mapping):
        return ""
    currency = esc(cost.get("currency"))

    def money(value: object) -> str:
        n = number(value)
        return "—" if n is None else f"{n:,.2f} {currency}"

    shown = [
        (money(cost.get("total")), "cost in the window"),
        (money(cost.get("idle")), "of it idle GPUs"),
        (money(cost.get("perMillionTokens")), "per million tokens"),
    ]
    unpriced = number(cost.get("unpricedGpuHours")) or 0.0
    if unpriced:
        shown.append((fmt(unpriced, 2), "GPU-hours unpriced"))
    figures = "".join(f'<div class="fig"><div class="n">{v}</div><div class="l">{lbl}</div></div>' for v, lbl in shown)
    return f'<div class="figs">{figures}</div>'


def tenant_card(name: str, usage: Mapping[str, Any]) -> str:
    gpu = section_of(usage, "gpu")
    running, pending = section_of(gpu, "running"), section_of(gpu, "pending")
    allocated = section_of(gpu, "allocated")
    rows = []
    for resource in sorted(set(allocated) | set(running) | set(pending)):
        r, p = number(running.get(resource)) or 0.0, number(pending.get(resource)) or 0.0
        total = number(allocated.get(resource)) or r + p
        rows.append(
            (
                resource,
                [(f"running: {fmt(r)}", r, "#3b6fd4"), (f"pending: {fmt(p)}", p, "#e0a31e")],
                f"{fmt(total)} ({fmt(p)} pending)" if p else fmt(total),
            )
        )
    alloc = bars(rows, width=540, label=44) if rows else '<p class="muted">No GPUs allocated.</p>'
    quota = quota_bars(gpu, list_of(usage, "quota"))
    metrics = usage.get("metrics")
    money = cost_figures(usage.get("cost"))
    if isinstance(metrics, Mapping):
        util = number(metrics.get("gpuUtilizationPercent"))
        util_text = f"{util:.1f} %" if util is not None else "—"
        shown = (
            (util_text, "GPU utilisation"),
            (fmt(metrics.get("promptTokens")), "prompt tokens"),
            (fmt(metrics.get("generationTokens")), "generation tokens"),
        )
        figures = (
            '<div class="figs">'
            + "".join(
                f'<div class="fig"><div class="n">{value}</div><div class="l">{label}</div></div>'
                for value, label in shown
            )
            + "</div>"
        )
    else:
        figures = '<p class="muted">No Prometheus metrics.</p>'
    endpoints = list_of(usage, "endpoints")
    endpoint_rows = [
        [
            esc(e.get("kind", "")),
            f"<code>{esc(e.get('namespace', ''))}/{esc(e.get('name', ''))}</code>",
            f"<code>{esc(e.get('model', ''))}</code>",
        ]
        for e in endpoints
        if isinstance(e, Mapping)
    ]
    weight = number(section_of(usage, "gpu").get("allocatedGpuEquivalents")) or 0.0
    gone = "" if usage.get("current", True) is not False else ' <span class="muted">(deleted: from history)</span>'
    return (
        f'<div class="card"><h3>{esc(name)}{gone}</h3><div class="muted">GPUs allocated (running + pending): '
        f"{weight:,.2f} GPU-equivalents (a MIG slice counts g/7)</div>"
        f"{alloc}{quota}{money}{figures}"
        + (table(["kind", "endpoint", "model"], endpoint_rows, empty="") if endpoint_rows else "")
        + "</div>"
    )


def usage_section(report: Mapping[str, Any]) -> str:
    tenants = section_of(report, "usage", "tenants")
    if not tenants:
        return '<p class="muted">No usage data.</p>'
    shown = by_gpu_hours(tenants)[:CARD_TENANTS]
    cards = "".join(tenant_card(str(n), section_of(tenants, n)) for n in sorted(shown))
    more = len(tenants) - len(shown)
    note = f'<div class="more">… and {more:,} more tenants with fewer GPU-hours not shown</div>' if more > 0 else ""
    days = [str(d) for d in list_of(section_of(report, "usage", "gpuHours"), "days")]
    head = source_note(section_of(report, "usage")) + per_day(tenants, days)
    return head + gpu_overview(tenants) + f'<h3>Per tenant</h3><div class="grid2">{cards}</div>{note}'
