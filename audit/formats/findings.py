"""The HTML report's isolation findings and the objects Kubernetes made (kept apart from violations).

Findings come from the report already ordered by impact (severity, then the catalogue's order); the table keeps
that order, so the first rows are what to fix first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.audit.formats.markup import esc, list_of, number, section_of, severity_chip, table
from tenantguard.policies.isolation import CHECKS
from tenantguard.policies.registry import RULES

ANCHORS = {rule.id: rule.anchor for rule in RULES} | {check.id: check.anchor for check in CHECKS}


def finding_row(f: Mapping[str, Any]) -> list[str]:
    rule = str(f.get("rule", ""))
    where = "/".join(str(x) for x in (f.get("namespace"), f.get("name")) if x)
    if f.get("kind") == "Namespace":
        where = str(f.get("name") or f.get("namespace") or "")
    return [
        severity_chip(f.get("severity")),
        f'<b>{esc(rule)}</b><br><span class="muted">docs/rules.md#{esc(ANCHORS.get(rule, rule.lower()))}</span>',
        esc(f.get("tenant") or ""),
        f"{esc(f.get('kind', ''))} <code>{esc(where)}</code>",
        f'<span class="msg">{esc(f.get("message", ""))}</span>'
        + (f'<br><span class="muted">Fix: {esc(f.get("fix"))}</span>' if f.get("fix") else ""),
    ]


def findings_section(report: Mapping[str, Any]) -> str:
    iso = section_of(report, "isolation")
    found = [f for f in list_of(iso, "findings") if isinstance(f, Mapping)]
    omitted = int(number(iso.get("findingsOmitted")) or 0)
    waived = int(number(section_of(report, "summary").get("findingsWaived")) or 0)
    lead = (
        '<p class="muted">What keeps tenants apart, judged over the whole cluster: most severe first '
        "(docs/rules.md, isolation).</p>"
    )
    rows = [finding_row(f) for f in found]
    widths = ("96px", "190px", "110px", "230px")
    notes = f'<div class="more">{omitted:,} more counted in the summary, not listed</div>' if omitted else ""
    notes += f'<p class="muted">{waived:,} waived by settings exceptions.</p>' if waived else ""
    empty = "No isolation findings."
    return lead + table(["severity", "check", "tenant", "object", "finding"], rows, empty=empty, widths=widths) + notes


def platform_section(report: Mapping[str, Any]) -> str:
    rows = [
        [
            esc(o.get("kind", "")),
            f"<code>{esc(o.get('namespace', ''))}/{esc(o.get('name', ''))}</code>",
            esc(o.get("tenant", "")),
            esc(o.get("rule", "")),
            esc(o.get("reason", "")),
        ]
        for o in list_of(section_of(report, "isolation"), "platform")
        if isinstance(o, Mapping)
    ]
    return (
        '<p class="muted">Objects Kubernetes itself creates in every namespace, made before the webhook policed '
        "the namespace: their missing tenant label is not counted as a violation.</p>"
        + table(["kind", "object", "tenant", "rule", "why"], rows, empty="None.")
    )
