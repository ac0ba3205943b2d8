"""What the HTML report says about tenant workloads reachable from outside the cluster, and hostNetwork pods.

The report's `isolation.exposure` lists what publishes tenant pods outside the platform gateway (NodePort and
LoadBalancer Services, externalIPs, Ingresses and routes on other gateways, external ipBlocks, hostNetwork
and hostPort) and what publishes them through it; `reachability.hostNetworkPods` the tenant pods no
NetworkPolicy applies to. Both are grouped by workload, the unit a platform engineer acts on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.audit.formats.markup import ROWS, esc, list_of, section_of, table


def _rows(entries: list[Any]) -> list[list[str]]:
    rows = []
    for e in entries[:ROWS]:
        if not isinstance(e, Mapping):
            continue
        via = section_of(e, "via")
        rows.append(
            [
                f"<b>{esc(e.get('tenant', ''))}</b>",
                f"{esc(via.get('kind', ''))} <code>{esc(e.get('namespace', ''))}/{esc(via.get('name', ''))}</code>"
                f"<br><span class='muted'>{esc(via.get('how', ''))}</span>",
                " ".join(f"<code>{esc(p)}</code>" for p in list_of(e, "ports")) or '<span class="muted">—</span>',
                "<br>".join(f"<code>{esc(w)}</code>" for w in list_of(e, "workloads"))
                or '<span class="muted">no pods yet</span>',
            ]
        )
    return rows


def published_section(report: Mapping[str, Any]) -> str:
    exposure = section_of(report, "isolation", "exposure")
    outside = list_of(exposure, "outsideGateway")
    through = list_of(exposure, "throughGateway")
    headers = ["tenant", "published by", "ports", "workloads"]
    more = f'<p class="more">… and {len(outside) - ROWS:,} more</p>' if len(outside) > ROWS else ""
    hosts = [h for h in list_of(section_of(report, "isolation", "reachability"), "hostNetworkPods")
             if isinstance(h, Mapping)]  # fmt: skip
    host_rows = [
        [
            f"<b>{esc(h.get('tenant', ''))}</b>",
            f"<code>{esc(h.get('workload', ''))}</code><br><span class='muted'>{esc(h.get('name', ''))} on "
            f"{esc(h.get('node') or 'no node yet')}</span>",
            esc(", ".join(map(str, list_of(h, "sharesNodeWith")))) or '<span class="muted">no other tenant</span>',
        ]
        for h in hosts[:ROWS]
    ]
    return (
        "<h3>Model endpoints exposed outside the gateway</h3>"
        + table(headers, _rows(outside), empty="Nothing publishes a tenant workload outside the platform gateway.")
        + more
        + "<h3>Published through the gateway</h3>"
        + table(headers, _rows(through), empty="No route or Ingress publishes a tenant workload.")
        + "<h3>hostNetwork pods (no NetworkPolicy applies to them)</h3>"
        + table(
            ["tenant", "workload", "reaches every pod of its node, including tenants"],
            host_rows,
            empty="No tenant pod runs with hostNetwork.",
        )
    )
