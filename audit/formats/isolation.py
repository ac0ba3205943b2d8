"""The isolation sections of the HTML report: reachability, violations, paths, RBAC, mTLS, unlabelled objects.

Each renders one part of the report's `isolation` object and is what a reviewer reads to decide whether
tenants are kept apart, so each says plainly when it found nothing and caps long lists (the heatmap keeps
tenants with cross-tenant reachability) instead of growing the page without bound.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.audit.formats.exposure import new_pod_listing, potential_pairs
from tenantguard.audit.formats.markup import (
    ROWS,
    esc,
    fmt,
    list_of,
    number,
    section_of,
    severity_chip,
    severity_rank,
    table,
)
from tenantguard.audit.formats.svg import GREEN, RED, bars, heatmap
from tenantguard.policies.registry import RULES

HEATMAP_TENANTS = 60
VIOLATION_TENANTS = 40  # tenants with a violations table; the rest get one line each
ANCHORS = {rule.id: rule.anchor for rule in RULES}  # rule violations only; findings.ANCHORS adds the ISO checks


def reachability_section(report: Mapping[str, Any]) -> str:
    section = section_of(report, "isolation", "reachability")
    reach = section_of(section, "tenants")
    paths = list_of(section, "crossTenantPaths")
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

    potential = {k: v for k, v in potential_pairs(section).items() if not reachable(*k) and k[0] != k[1]}
    holes = {n for n in names for m in names if n != m and (reachable(n, m) or reachable(m, n))}
    holes |= {n for pair in potential for n in pair}
    shown = sorted(names, key=lambda n: (n not in holes, n))[:HEATMAP_TENANTS]
    shown.sort()
    ports: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        key = (str(section_of(path, "from").get("tenant")), str(section_of(path, "to").get("tenant")))
        ports.setdefault(key, []).extend(str(p) for p in list_of(path, "ports"))
    n = len(shown)
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
    listing = f'<ul class="holes">{items}</ul>' if pairs else ""
    listing += new_pod_listing(section, isolated_now=not pairs)
    return (
        '<div class="split"><div style="flex:0 0 auto">' + heatmap(shown, reachable, ports, potential) + note + "</div>"
        '<div><p class="muted">Rows: source tenant; columns: destination. A red cell means some pod of the row '
        "tenant can open a connection to some pod of the column tenant; an amber one that a pod started in a "
        "namespace without pods could.</p>"
        f"<h3>Reachable across tenants ({len(pairs)})</h3>{listing}</div></div>"
    )


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


def _end(end: Mapping[str, Any]) -> str:
    """One end of a path: tenant, namespace, its workloads (its pods when the report names none)."""
    names = list_of(end, "workloads") or list_of(end, "pods")
    return (
        f"<b>{esc(end.get('tenant', ''))}</b> <code>{esc(end.get('namespace', ''))}</code><br>"
        f"<span class='muted'>{esc(', '.join(map(str, names)))}</span>"
    )


def _opening(path: Mapping[str, Any]) -> str:
    rules = [
        f"{r.get('policy', '')} {r.get('rule', '')}"
        for key in ("ingressRules", "egressRules")
        for r in list_of(path, key)
        if isinstance(r, Mapping)
    ]
    opening = rules or list_of(path, "ingressPolicies") + list_of(path, "egressPolicies")
    parts = [f"<code>{esc(x)}</code>" for x in opening]
    if path.get("viaNode"):
        parts.append('<span class="muted">a hostNetwork pod on the same node</span>')
    return "<br>".join(parts) or '<span class="muted">none</span>'


def _uncovered_by_workload(reach: Mapping[str, Any]) -> list[list[str]]:
    groups: dict[tuple[str, str, str], list[str]] = {}
    for u in list_of(reach, "uncoveredPods"):
        if not isinstance(u, Mapping):
            continue
        workload = str(u.get("workload") or f"{u.get('namespace', '')}/{u.get('name', '')}[Pod]")
        key = (str(u.get("tenant", "")), workload, ", ".join(map(str, list_of(u, "missing"))))
        groups.setdefault(key, []).append(str(u.get("name", "")))
    return [
        [esc(tenant), f"<code>{esc(workload)}</code><br><span class='muted'>{esc(', '.join(pods))}</span>", esc(m)]
        for (tenant, workload, m), pods in sorted(groups.items())
    ]


def paths_section(report: Mapping[str, Any]) -> str:
    reach = section_of(report, "isolation", "reachability")
    rows = [
        [
            _end(section_of(p, "from")),
            _end(section_of(p, "to")),
            " ".join(f"<code>{esc(x)}</code>" for x in list_of(p, "ports")),
            _opening(p),
        ]
        for p in list_of(reach, "crossTenantPaths")
        if isinstance(p, Mapping)
    ]
    return (
        table(
            ["from (workloads)", "to (workloads)", "ports", "rules allowing it"], rows, empty="No cross-tenant paths."
        )
        + "<h3>Pods without a NetworkPolicy (by workload)</h3>"
        + table(
            ["tenant", "workload", "not covered for"],
            _uncovered_by_workload(reach),
            empty="Every pod is selected by a policy.",
        )
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
