"""Inline SVG charts for the HTML report: the tenant reachability heatmap and horizontal stacked bars.

The page's CSP forbids every fetch, so charts are drawn as inline SVG rather than images or a script
library. Drawing is kept apart from the sections that decide what to draw: these functions take
already-chosen rows and colours, size themselves to their content, and give every mark a `<title>` so
truncated labels and small cells still show their full text on hover.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from tenantguard.audit.formats.markup import esc

RED, GREEN, NEUTRAL, AMBER = "#d9363e", "#2f9e5f", "#d5d9de", "#e0a31e"
PALETTE = ("#3b6fd4", "#8e5bd6", "#e08a1e", "#17a2b8", "#c2417a", "#6c8c2f", "#7a6f66")


def short(name: str, limit: int = 22) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def heatmap(
    shown: list[str],
    reachable: Callable[[str, str], bool],
    ports: Mapping[tuple[str, str], list[str]],
    potential: Mapping[tuple[str, str], list[str]] | None = None,
) -> str:
    """Source tenants as rows, destinations as columns; `ports` names what a reachable cell's tooltip lists;
    `potential` names, for pairs no pod connects now, the namespaces without pods through which a pod started
    there would connect them (an amber cell)."""
    potential = potential or {}
    legend = [(RED, "reachable"), (AMBER, "would be reachable"), (GREEN, "isolated"), (NEUTRAL, "same tenant")]
    if not any(key[0] in shown and key[1] in shown for key in potential):
        legend.pop(1)
    n = len(shown)
    cell = max(14, min(56, 560 // n))
    label_w = 8 + 7 * max(len(short(s)) for s in shown)
    top = label_w * 0.72 + 24
    width = label_w + 10 + max(cell * n + label_w * 0.6, 150 * len(legend) - 20)
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
            elif (src, dst) in potential:
                colour, what = AMBER, f"WOULD BE REACHABLE once pods run in {', '.join(potential[src, dst])}"
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
    for k, (colour, text) in enumerate(legend):
        x = label_w + 10 + k * 150
        parts.append(
            f'<rect x="{x}" y="{legend_y - 11:.1f}" width="14" height="14" rx="3" fill="{colour}"/>'
            f'<text x="{x + 20}" y="{legend_y:.1f}" font-size="12">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


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


def columns(
    labels: list[str],
    stacks: list[list[tuple[str, float, str]]],
    *,
    width: int = 760,
    height: int = 260,
    unit: str = "",
) -> str:
    """Vertical stacked columns, one per label (a day), segments (tooltip, value, colour) from the bottom up, with
    the column's total above it and a scale on the left."""
    if not labels:
        return ""
    biggest = max((sum(v for _, v, _ in stack) for stack in stacks), default=0.0) or 1.0
    left, top, bottom = 56, 18, 34
    plot_h = height - top - bottom
    slot = (width - left - 8) / len(labels)
    col_w = max(min(slot * 0.7, 64), 2)
    every = max(1, math.ceil(44 / slot))  # label every n-th column when they would overlap
    parts = [f'<svg viewBox="0 0 {width} {height}" width="{width}" style="max-width:100%;height:auto" role="img">']
    for frac in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - frac)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 8}" y2="{y:.1f}" stroke="#e6e9ee"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{biggest * frac:,.0f}</text>'
        )
    for i, (label, stack) in enumerate(zip(labels, stacks, strict=True)):
        x = left + slot * i + (slot - col_w) / 2
        y = float(top + plot_h)
        for tip, value, colour in stack:
            h = plot_h * max(value, 0.0) / biggest
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{col_w:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{esc(tip)}</title></rect>"
            )
        total = sum(v for _, v, _ in stack)
        mid = x + col_w / 2
        if slot >= 40:
            parts.append(f'<text x="{mid:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11">{total:,.1f}</text>')
        if i % every == 0:
            shown = label if slot >= 70 else label[5:]  # 2026-11-26 -> 11-26
            parts.append(
                f'<text x="{mid:.1f}" y="{height - 14}" text-anchor="middle" font-size="11">'
                f"<title>{esc(label)}: {total:,.2f}</title>{esc(shown)}</text>"
            )
    if unit:
        parts.append(f'<text x="4" y="{top - 6}" font-size="11">{esc(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)
