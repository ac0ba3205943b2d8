"""The audit report (docs/audit-report.md) as one self-contained HTML page.

Inline CSS and inline SVG only, under a CSP that forbids every fetch (`default-src 'none'`), so
the page opens offline and leaks nothing when mailed around. Every string from the report passes
through `esc`: object names, messages and labels are user-controlled. Sections that are missing or
empty say so; long lists stop at a cap and say how many more there are. This module holds the page
itself (CSP, stylesheet, header, summary tiles, section order); the sections are in isolation.py,
exposure.py (what a new pod would reach), published.py (what is reachable from outside), findings.py and
gpu_usage.py, the charts in svg.py, the shared
building blocks in markup.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.audit.formats.findings import findings_section, platform_section
from tenantguard.audit.formats.gpu_usage import usage_section
from tenantguard.audit.formats.isolation import (
    mtls_section,
    paths_section,
    rbac_section,
    reachability_section,
    unlabelled_section,
    violations_section,
)
from tenantguard.audit.formats.markup import esc, fmt, list_of, number, section_of, severity_chip, severity_rank, tile
from tenantguard.audit.formats.published import published_section

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,
sans-serif;color:#1d2430;background:#f2f4f7}header{background:#1d2430;color:#fff;padding:22px 32px}
header h1{margin:0;font-size:22px;font-weight:600}header p{margin:4px 0 0;color:#b8c0cc;font-size:13px}
main{max-width:1240px;margin:0 auto;padding:20px 32px 48px}section{background:#fff;border-radius:10px;
box-shadow:0 1px 3px rgba(16,24,40,.08);padding:18px 22px;margin:18px 0}h2{margin:0 0 12px;font-size:17px}
h3{margin:16px 0 8px;font-size:15px}.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(128px,1fr));
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
.note{background:#fff6e0;border-left:4px solid #e0a31e;padding:6px 10px;margin:6px 0}
"""


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

    findings = number(summary.get("findings")) or 0
    finding_chips = " ".join(
        f"{severity_chip(s)} {fmt(n)}"
        for s, n in sorted(section_of(summary, "findingsBySeverity").items(), key=severity_rank)
    )

    return (
        '<div class="tiles">'
        + "".join(
            [
                tile("objects", fmt(summary.get("objects"))),
                tile("tenants", fmt(summary.get("tenants", len(list_of(report, "tenants"))))),
                tile("isolation findings", fmt(findings), tone="bad" if findings else "good", detail=finding_chips),
                tile("violations", fmt(violations), tone="bad" if violations else "good", detail=chips),
                counted("cross-tenant paths", "crossTenantPaths"),
                counted("exposed outside gateway", "exposedOutsideGateway"),
                counted("uncovered pods", "uncoveredPods"),
                counted("cross-tenant RBAC", "crossTenantAccess"),
                coverage,
            ]
        )
        + "</div>"
    )


def render(report: Mapping[str, Any]) -> str:
    sections = [
        ("Tenant reachability", reachability_section(report)),
        ("Isolation findings", findings_section(report)),
        ("GPU usage", usage_section(report)),
        ("Violations", violations_section(report)),
        ("Cross-tenant network paths", paths_section(report)),
        ("Reachable from outside the cluster", published_section(report)),
        ("RBAC", rbac_section(report)),
        ("mTLS coverage", mtls_section(report)),
        ("Objects without a tenant label", unlabelled_section(report)),
        ("Made by Kubernetes", platform_section(report)),
    ]
    body = "".join(f"<section><h2>{esc(title)}</h2>{content}</section>" for title, content in sections)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>tenantguard audit — {esc(report.get('generatedAt', ''))}</title><style>{CSS}</style></head>"
        f"<body>{header(report)}<main>{tiles(report)}{body}</main></body></html>\n"
    )
