"""The audit report (docs/audit-report.md) as one self-contained HTML page.

Inline CSS and inline SVG only, under a CSP that forbids every fetch (`default-src 'none'`), so
the page opens offline and leaks nothing when mailed around. Every string from the report passes
through `esc`: object names, messages and labels are user-controlled. Sections that are missing or
empty say so; long lists stop at a cap and say how many more there are.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from policies.registry import RULES

ROWS = 50  # rows per table before "N more"
HEATMAP_TENANTS = 60
CHART_TENANTS = 40  # rows of the GPU-hours chart
CARD_TENANTS = 60  # per-tenant usage cards
VIOLATION_TENANTS = 40  # tenants with a violations table; the rest get one line each
SEVERITY_ORDER = ("error", "warning", "info")
RED, GREEN, NEUTRAL = "#d9363e", "#2f9e5f", "#d5d9de"
PALETTE = ("#3b6fd4", "#8e5bd6", "#e08a1e", "#17a2b8", "#c2417a", "#6c8c2f", "#7a6f66")
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
ANCHORS = {rule.id: rule.anchor for rule in RULES}

CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,
sans-serif;color:#1d2430;background:#f2f4f7}header{background:#1d2430;color:#fff;padding:22px 32px}
header h1{margin:0;font-size:22px;font-weight:600}header p{margin:4px 0 0;color:#b8c0cc;font-size:13px}
main{max-width:1240px;margin:0 auto;padding:20px 32px 48px}section{background:#fff;border-radius:10px;
box-shadow:0 1px 3px rgba(16,24,40,.08);padding:18px 22px;margin:18px 0}h2{margin:0 0 12px;font-size:17px}
h3{margin:16px 0 8px;font-size:15px}.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));
gap:12px;margin-top:18px}.tile{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 3px
rgba(16,24,40,.08);border-top:4px solid #3b6fd4}.tile .n{font-size:28px;font-weight:700}.tile .l{color:#5b6573;
font-size:12px;text-transform:uppercase;letter-spacing:.04em}.tile .d{font-size:12px;color:#5b6573}
.bad{border-top-color:#d9363e}.good{border-top-color:#2f9e5f}.warn{border-top-color:#e0a31e}
table{border-collapse:collapse;width:100%;font-size:13px;table-layout:fixed}th,td{text-align:left;padding:6px 8px;
border-bottom:1px solid #e6e9ee;vertical-align:top}th{color:#5b6573;font-weight:600;background:#f7f8fa}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f2f4f7;
padding:1px 4px;border-radius:4px}td{overflow-wrap:anywhere}
.sev{white-space:nowrap;overflow-wrap:normal;display:inline-block;padding:1px 8px;border-radius:10px;
font-size:12px;font-weight:600;color:#fff}.sev-error{background:#d9363e}.sev-warning{background:#e0a31e}
.sev-info{background:#3b6fd4}.muted{color:#5b6573}.more{color:#5b6573;font-style:italic;padding:6px 8px}
.grid2{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:16px}.card{border:1px solid
#e6e9ee;border-radius:8px;padding:12px 14px}.figs{display:flex;gap:18px;flex-wrap:wrap;margin:6px 0}
.fig .n{font-size:18px;font-weight:700}.fig .l{font-size:12px;color:#5b6573}details>summary{cursor:pointer;
font-weight:600;margin:10px 0 6px}svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.ok{color:#2f9e5f;font-weight:600}header code{background:#2c3646;color:#dfe5ee}
.split{display:flex;gap:28px;flex-wrap:wrap;align-items:flex-start}.split>div{flex:1;min-width:300px}
ul.holes{margin:0;padding-left:18px}ul.holes li{margin:4px 0}
"""


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


QUANTITY = re.compile(r"^([0-9]+(?:\.[0-9]*)?)([a-zA-Z]*)$")
SUFFIX = {
    "": 1.0,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
}


def quantity(value: object) -> float | None:
    """A Kubernetes quantity ("8", "500m", "64Gi") as a number, or None."""
    if (n := number(value)) is not None:
        return n
    match = QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in SUFFIX:
        return None
    return float(match.group(1)) * SUFFIX[match.group(2)]


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


def header(report: Mapping[str, Any]) -> str:
    source = section_of(report, "source")
    where = source.get("server") or source.get("path") or ""
    window = section_of(report, "window")
    span = (
        f"{esc(window.get('start', '?'))} → {esc(window.get('end', '?'))} ({fmt(window.get('hours'))} h)"
        if window
        else "no usage window"
    )
    return (
        f"<header><h1>tenantguard audit</h1><p>{esc(source.get('type', 'unknown source'))} "
        f"<code>{esc(where)}</code> · generated {esc(report.get('generatedAt', '?'))} · window {span} · "
        f"schema {esc(report.get('schemaVersion', '?'))}</p></header>"
    )


def tiles(report: Mapping[str, Any]) -> str:
    summary = section_of(report, "summary")
    mtls = section_of(report, "isolation", "mtls")
    by_severity = section_of(summary, "bySeverity")
    violations = number(summary.get("violations")) or 0
    chips = " ".join(f"{severity_chip(s)} {fmt(n)}" for s, n in sorted(by_severity.items(), key=severity_rank))
    serving, covered = number(mtls.get("servingPods")), number(mtls.get("covered"))
    if serving:
        ratio = (covered or 0) / serving
        coverage = tile(
            "mTLS coverage",
            f"{ratio:.0%}",
            tone="good" if ratio >= 1 else "bad",
            detail=f"{fmt(covered)} of {fmt(serving)} serving pods",
        )
    else:
        coverage = tile("mTLS coverage", "—", detail="no serving pods")

    def counted(label: str, key: str) -> str:
        n = number(summary.get(key)) or 0
        return tile(label, fmt(n), tone="bad" if n else "good")

    return (
        '<div class="tiles">'
        + "".join(
            [
                tile("objects", fmt(summary.get("objects"))),
                tile("tenants", fmt(summary.get("tenants", len(list_of(report, "tenants"))))),
                tile("violations", fmt(violations), tone="bad" if violations else "good", detail=chips),
                counted("cross-tenant paths", "crossTenantPaths"),
                counted("uncovered pods", "uncoveredPods"),
                counted("cross-tenant RBAC", "crossTenantAccess"),
                coverage,
            ]
        )
        + "</div>"
    )


def severity_rank(item: tuple[str, Any]) -> tuple[int, str]:
    name = item[0]
    return (SEVERITY_ORDER.index(name) if name in SEVERITY_ORDER else len(SEVERITY_ORDER), name)


def short(name: str, limit: int = 22) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def heatmap(report: Mapping[str, Any]) -> str:
    reach = section_of(report, "isolation", "reachability", "tenants")
    paths = list_of(section_of(report, "isolation", "reachability"), "crossTenantPaths")
    names = sorted(
        set(list_of(report, "tenants"))
        | set(reach)
        | {d for row in reach.values() if isinstance(row, Mapping) for d in row}
    )
    names = [str(n) for n in names]
    if not names:
        return '<p class="muted">No tenants: nothing to compare.</p>'

    def reachable(src: str, dst: str) -> bool:
        row = reach.get(src)
        return bool(row.get(dst)) if isinstance(row, Mapping) else False

    holes = {n for n in names for m in names if n != m and (reachable(n, m) or reachable(m, n))}
    shown = sorted(names, key=lambda n: (n not in holes, n))[:HEATMAP_TENANTS]
    shown.sort()
    ports: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        key = (str(section_of(path, "from").get("tenant")), str(section_of(path, "to").get("tenant")))
        ports.setdefault(key, []).extend(str(p) for p in list_of(path, "ports"))
    n = len(shown)
    cell = max(14, min(56, 560 // n))
    label_w = 8 + 7 * max(len(short(s)) for s in shown)
    top = label_w * 0.72 + 24
    width = label_w + 10 + max(cell * n + label_w * 0.6, 380)
    height = top + cell * n + 40
    parts = [f'<svg width="{width:.0f}" height="{height:.0f}" role="img" aria-label="tenant reachability heatmap">']
    for i, src in enumerate(shown):
        y = top + i * cell
        parts.append(
            f'<text x="{label_w}" y="{y + cell / 2 + 4:.1f}" text-anchor="end" font-size="12">'
            f"<title>{esc(src)}</title>{esc(short(src))}</text>"
        )
        for j, dst in enumerate(shown):
            x = label_w + 10 + j * cell
            if src == dst:
                colour, what = NEUTRAL, "same tenant"
            elif reachable(src, dst):
                via = ", ".join(sorted(set(ports.get((src, dst), [])))) or "see paths"
                colour, what = RED, f"REACHABLE ({via})"
            else:
                colour, what = GREEN, "isolated"
            parts.append(
                f'<rect x="{x}" y="{y:.1f}" width="{cell - 2}" height="{cell - 2}" rx="3" fill="{colour}">'
                f"<title>{esc(src)} → {esc(dst)}: {esc(what)}</title></rect>"
            )
    for j, dst in enumerate(shown):
        mid = label_w + 10 + j * cell + cell / 2
        parts.append(
            f'<text x="{mid:.1f}" y="{top - 8:.1f}" font-size="12" transform="rotate(-40 {mid:.1f} '
            f'{top - 8:.1f})"><title>{esc(dst)}</title>{esc(short(dst))}</text>'
        )
    legend_y = top + cell * n + 22
    for k, (colour, text) in enumerate(((RED, "reachable"), (GREEN, "isolated"), (NEUTRAL, "same tenant"))):
        x = label_w + 10 + k * 120
        parts.append(
            f'<rect x="{x}" y="{legend_y - 11:.1f}" width="14" height="14" rx="3" fill="{colour}"/>'
            f'<text x="{x + 20}" y="{legend_y:.1f}" font-size="12">{text}</text>'
        )
    parts.append("</svg>")
    note = (
        f'<p class="muted">Showing {n} of {len(names)} tenants (those with cross-tenant reachability first).</p>'
        if len(names) > n
        else ""
    )
    pairs = [(a, b) for a in names for b in names if a != b and reachable(a, b)]
    items = "".join(
        f"<li><b>{esc(a)}</b> → <b>{esc(b)}</b> "
        + " ".join(f"<code>{esc(p)}</code>" for p in sorted(set(ports.get((a, b), []))))
        + "</li>"
        for a, b in pairs[:ROWS]
    )
    if len(pairs) > ROWS:
        items += f'<li class="more">… and {len(pairs) - ROWS:,} more</li>'
    listing = (
        f'<ul class="holes">{items}</ul>' if pairs else '<p class="ok">Every tenant is isolated from every other.</p>'
    )
    return (
        '<div class="split"><div style="flex:0 0 auto">' + "".join(parts) + note + "</div>"
        '<div><p class="muted">Rows: source tenant; columns: destination. A red cell means some pod of the row '
        "tenant can open a connection to some pod of the column tenant.</p>"
        f"<h3>Reachable across tenants ({len(pairs)})</h3>{listing}</div></div>"
    )


def bars(rows: list[tuple[str, list[tuple[str, float, str]], str]], *, width: int = 520, label: int = 26) -> str:
    """Horizontal stacked bars: (label, [(segment tooltip, value, colour)], value text) per row."""
    if not rows:
        return ""
    biggest = max((sum(v for _, v, _ in segs) for _, segs, _ in rows), default=0.0) or 1.0
    label_w = 8 + 7 * max(len(short(name, label)) for name, _, _ in rows)
    bar_w, row_h = width - label_w - 110, 24
    height = row_h * len(rows) + 6
    parts = [f'<svg viewBox="0 0 {width} {height}" width="{width}" style="max-width:100%;height:auto" role="img">']
    for i, (name, segments, text) in enumerate(rows):
        y = i * row_h + 3
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12"><title>{esc(name)}'
            f"</title>{esc(short(name, label))}</text>"
        )
        parts.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="18" rx="3" fill="#eef0f3"/>')
        x = float(label_w)
        for tip, value, colour in segments:
            w = bar_w * max(value, 0.0) / biggest
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" fill="{colour}">'
                f"<title>{esc(tip)}</title></rect>"
            )
            x += w
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 14}" font-size="12">{esc(text)}</text>')
    parts.append("</svg>")
    return "".join(parts)


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
        rows.append((name, segments, f"{fmt(gpu.get('gpuHours'), 1)} GPU-h"))
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
    quota_rows = []
    for q in list_of(usage, "quota")[:ROWS]:
        hard, used = quantity(q.get("hard")), quantity(q.get("used"))
        share = (used or 0.0) / hard if hard else 0.0
        tone = RED if share >= 1 else "#e0a31e" if share >= 0.8 else GREEN
        resource = str(q.get("resource", "")).removeprefix("requests.")
        label = f"{q.get('namespace', '')} · {resource}"
        quota_rows.append(
            (
                label,
                [
                    (f"used {q.get('used')} of {q.get('hard')}", min(share, 1.0), tone),
                    ("free", max(1.0 - share, 0.0), "#eef0f3"),
                ],
                f"{q.get('used')} / {q.get('hard')}",
            )
        )
    quota = bars(quota_rows, width=540, label=44) if quota_rows else '<p class="muted">No ResourceQuota.</p>'
    metrics = usage.get("metrics")
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
    return (
        f'<div class="card"><h3>{esc(name)}</h3><div class="muted">GPUs allocated (running + pending)</div>'
        f'{alloc}<div class="muted">GPU quota: used of hard</div>{quota}{figures}'
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
    return gpu_overview(tenants) + f'<h3>Per tenant</h3><div class="grid2">{cards}</div>{note}'


def violations_section(report: Mapping[str, Any]) -> str:
    violations = [v for v in list_of(section_of(report, "isolation"), "violations") if isinstance(v, Mapping)]
    if not violations:
        return '<p class="ok">No violations.</p>'
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for v in violations:
        groups.setdefault(str(v.get("tenant") or ""), []).append(v)
    tenants = sorted(groups, key=lambda t: (t == "", t))
    out, rest = [], []
    for tenant in tenants[:VIOLATION_TENANTS]:
        items = sorted(groups[tenant], key=violation_order)
        title = esc(tenant) if tenant else "no tenant"
        rows = [violation_row(v) for v in items]
        widths = ("96px", "190px", "210px", "220px")
        out.append(
            f"<details open><summary>{title} — {len(items)} violation{'s' * (len(items) != 1)} "
            f"{severity_chips(items)}</summary>"
            f"{table(['severity', 'rule', 'object', 'field', 'message'], rows, empty='', widths=widths)}</details>"
        )
    for tenant in tenants[VIOLATION_TENANTS:]:
        rest.append([esc(tenant) if tenant else "no tenant", str(len(groups[tenant])), severity_chips(groups[tenant])])
    if rest:
        out.append(
            f"<h3>{len(rest):,} more tenants</h3>" + table(["tenant", "violations", "by severity"], rest, empty="")
        )
    return "".join(out)


def violation_order(v: Mapping[str, Any]) -> tuple[tuple[int, str], str, str, str]:
    return (
        severity_rank((str(v.get("severity")), None)),
        str(v.get("rule")),
        str(v.get("namespace")),
        str(v.get("name")),
    )


def severity_chips(items: list[Mapping[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for v in items:
        counts[str(v.get("severity"))] = counts.get(str(v.get("severity")), 0) + 1
    return " ".join(f"{severity_chip(s)} {n}" for s, n in sorted(counts.items(), key=severity_rank))


def violation_row(v: Mapping[str, Any]) -> list[str]:
    rule = str(v.get("rule", ""))
    anchor = ANCHORS.get(rule, rule.lower())
    where = "/".join(str(x) for x in (v.get("namespace"), v.get("name")) if x)
    location = f"{v.get('file')}:{v.get('line')}" if v.get("file") else ""
    return [
        severity_chip(v.get("severity")),
        f'<b>{esc(rule)}</b><br><span class="muted">docs/rules.md#{esc(anchor)}</span>',
        f"{esc(v.get('kind', ''))} <code>{esc(where)}</code>"
        + (f'<br><span class="muted">{esc(location)}</span>' if location else ""),
        f"<code>{esc(v.get('path', ''))}</code>",
        f'<span class="msg">{esc(v.get("message", ""))}</span>'
        + (f'<br><span class="muted">Fix: {esc(v.get("fix"))}</span>' if v.get("fix") else ""),
    ]


def paths_section(report: Mapping[str, Any]) -> str:
    reach = section_of(report, "isolation", "reachability")
    rows = []
    for p in list_of(reach, "crossTenantPaths"):
        src, dst = section_of(p, "from"), section_of(p, "to")
        policies = list_of(p, "ingressPolicies") + list_of(p, "egressPolicies")
        rows.append(
            [
                f"<b>{esc(src.get('tenant', ''))}</b> <code>{esc(src.get('namespace', ''))}</code><br>"
                f"<span class='muted'>{esc(', '.join(map(str, list_of(src, 'pods'))))}</span>",
                f"<b>{esc(dst.get('tenant', ''))}</b> <code>{esc(dst.get('namespace', ''))}</code><br>"
                f"<span class='muted'>{esc(', '.join(map(str, list_of(dst, 'pods'))))}</span>",
                " ".join(f"<code>{esc(x)}</code>" for x in list_of(p, "ports")),
                "<br>".join(f"<code>{esc(x)}</code>" for x in policies) or '<span class="muted">none</span>',
            ]
        )
    uncovered = [
        [
            esc(u.get("tenant", "")),
            f"<code>{esc(u.get('namespace', ''))}/{esc(u.get('name', ''))}</code>",
            esc(", ".join(map(str, list_of(u, "missing")))),
        ]
        for u in list_of(reach, "uncoveredPods")
    ]
    return (
        table(["from", "to", "ports", "policies allowing it"], rows, empty="No cross-tenant paths.")
        + "<h3>Pods without a NetworkPolicy</h3>"
        + table(["tenant", "pod", "not covered for"], uncovered, empty="Every pod is selected by a policy.")
    )


def rbac_section(report: Mapping[str, Any]) -> str:
    rbac = section_of(report, "isolation", "rbac")
    cross = [
        [
            f"<code>{esc(a.get('subject', ''))}</code> ({esc(a.get('subjectTenant', ''))})",
            f"<code>{esc(a.get('namespace', ''))}</code> ({esc(a.get('namespaceTenant', ''))})",
            esc(", ".join(map(str, list_of(a, "verbs")))),
            esc(", ".join(map(str, list_of(a, "resources")))),
            f"<code>{esc(a.get('via', ''))}</code>",
        ]
        for a in list_of(rbac, "crossTenantAccess")
    ]
    risky = [
        [
            f"<code>{esc(g.get('subject', ''))}</code>",
            esc(g.get("tenant", "")),
            f"<code>{esc(g.get('namespace', ''))}</code>",
            f"<b>{esc(g.get('risk', ''))}</b>",
            f"<code>{esc(g.get('via', ''))}</code>",
        ]
        for g in list_of(rbac, "riskyGrants")
    ]
    return (
        "<h3>Access across tenants</h3>"
        + table(["subject", "namespace", "verbs", "resources", "via"], cross, empty="No cross-tenant access.")
        + "<h3>Risky grants</h3>"
        + table(["subject", "tenant", "namespace", "risk", "via"], risky, empty="No risky grants.")
    )


def mtls_section(report: Mapping[str, Any]) -> str:
    mtls = section_of(report, "isolation", "mtls")
    serving, covered = number(mtls.get("servingPods")) or 0.0, number(mtls.get("covered")) or 0.0
    chart = (
        bars(
            [
                (
                    "serving pods",
                    [
                        (f"covered: {fmt(covered)}", covered, GREEN),
                        (f"uncovered: {fmt(serving - covered)}", max(serving - covered, 0.0), RED),
                    ],
                    f"{fmt(covered)} / {fmt(serving)}",
                )
            ],
            width=620,
        )
        if serving
        else ""
    )
    rows = [
        [
            esc(u.get("tenant", "")),
            f"<code>{esc(u.get('namespace', ''))}/{esc(u.get('name', ''))}</code>",
            esc(u.get("reason", "")),
        ]
        for u in list_of(mtls, "uncovered")
    ]
    return chart + table(["tenant", "pod", "reason"], rows, empty="Every serving pod is covered by mTLS.")


def unlabelled_section(report: Mapping[str, Any]) -> str:
    rows = [
        [
            esc(u.get("kind", "")),
            f"<code>{esc(u.get('namespace', ''))}/{esc(u.get('name', ''))}</code>",
            esc(u.get("tenant", "")),
        ]
        for u in list_of(section_of(report, "isolation"), "unlabelled")
    ]
    return table(["kind", "object", "tenant of its namespace"], rows, empty="Every object carries its tenant label.")


def render(report: Mapping[str, Any]) -> str:
    sections = [
        ("Tenant reachability", heatmap(report)),
        ("GPU usage", usage_section(report)),
        ("Violations", violations_section(report)),
        ("Cross-tenant network paths", paths_section(report)),
        ("RBAC", rbac_section(report)),
        ("mTLS coverage", mtls_section(report)),
        ("Objects without a tenant label", unlabelled_section(report)),
    ]
    body = "".join(f"<section><h2>{esc(title)}</h2>{content}</section>" for title, content in sections)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>tenantguard audit — {esc(report.get('generatedAt', ''))}</title><style>{CSS}</style></head>"
        f"<body>{header(report)}<main>{tiles(report)}{body}</main></body></html>\n"
    )
