"""What the HTML report says about tenant namespaces without pods: what a pod started there would reach.

A reachability matrix built from running pods shows a tenant without pods as isolated even when its policies
let everyone in. The report's `emptyNamespaces` says what a representative new pod would reach; these helpers
turn it into the heatmap's amber cells and a listing, so the page never claims isolation that holds only for
lack of pods.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.audit.formats.markup import ROWS, esc, list_of


def potential_pairs(reach: Mapping[str, Any]) -> dict[tuple[str, str], list[str]]:
    """(source tenant, destination tenant) -> the namespaces without pods through which a pod started there
    would connect the two (`emptyNamespaces`)."""
    pairs: dict[tuple[str, str], list[str]] = {}
    for entry in list_of(reach, "emptyNamespaces"):
        if not isinstance(entry, Mapping):
            continue
        tenant, namespace = str(entry.get("tenant")), str(entry.get("namespace"))
        for other in list_of(entry, "reachableFrom"):
            if isinstance(other, Mapping):
                pairs.setdefault((str(other.get("tenant")), tenant), []).append(namespace)
        for other in list_of(entry, "reaches"):
            if isinstance(other, Mapping):
                pairs.setdefault((tenant, str(other.get("tenant"))), []).append(namespace)
    return {key: sorted(set(found)) for key, found in pairs.items()}


def _exposed(entry: Mapping[str, Any], key: str) -> str:
    return ", ".join(
        f"<code>{esc(o.get('namespace'))}</code> ({esc(', '.join(map(str, list_of(o, 'ports'))))})"
        for o in list_of(entry, key)
        if isinstance(o, Mapping)
    )


def _namespaces(entries: list[Mapping[str, Any]]) -> str:
    shown = ", ".join(f"<code>{esc(e.get('namespace'))}</code>" for e in entries[:ROWS])
    return shown + (f" and {len(entries) - ROWS:,} more" if len(entries) > ROWS else "")


def new_pod_listing(reach: Mapping[str, Any], *, isolated_now: bool) -> str:
    """What a pod started now would reach: in namespaces without pods, and where no default deny would cover
    it. Says "every tenant is isolated" only when that holds for such a pod too."""
    entries = [e for e in list_of(reach, "emptyNamespaces") if isinstance(e, Mapping)]
    exposed = [e for e in entries if list_of(e, "reachableFrom") or list_of(e, "reaches")]
    open_ns = [e for e in list_of(reach, "withoutDefaultDeny") if isinstance(e, Mapping)]
    out = []
    if exposed:
        items = []
        for e in exposed[:ROWS]:
            parts = [f"could be reached from {_exposed(e, 'reachableFrom')}"] if list_of(e, "reachableFrom") else []
            parts += [f"could reach {_exposed(e, 'reaches')}"] if list_of(e, "reaches") else []
            items.append(
                f"<li><b>{esc(e.get('tenant'))}</b> <code>{esc(e.get('namespace'))}</code>: a pod started there "
                + " and ".join(parts)
                + "</li>"
            )
        if len(exposed) > ROWS:
            items.append(f'<li class="more">… and {len(exposed) - ROWS:,} more</li>')
        lead = "No pod can reach another tenant's pods now, but" if isolated_now else "Besides,"
        out.append(
            f"<h3>Would be reachable once pods run ({len(exposed)})</h3><p>{lead} {len(exposed)} namespace"
            f"{'s' * (len(exposed) != 1)} without pods would not be isolated:</p>"
            f'<ul class="holes">{"".join(items)}</ul>'
        )
    if open_ns:
        out.append(
            f"<p>No default deny covers a new pod in {len(open_ns)} tenant namespace"
            f"{'s' * (len(open_ns) != 1)} ({_namespaces(open_ns)}): isolation there depends on the labels each "
            "pod happens to carry.</p>"
        )
    if isolated_now and not exposed and not open_ns:
        empty = f", and so would be a pod started in the namespaces without pods ({_namespaces(entries)})"
        out.append(f'<p class="ok">Every tenant is isolated from every other{empty if entries else ""}.</p>')
    return "".join(out)
