"""`tenantguard reachability matrix` output: the views of `policies.isolation.views` as text, JSON or Markdown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from tenantguard.audit.formats.markdown import table


def _tenant_rows(tenants: Mapping[str, Mapping[str, bool]]) -> list[list[str]]:
    names = sorted(tenants)
    return [[src, *("✔" if tenants[src].get(dst) else "·" for dst in names)] for src in names]


def _text(views: Mapping[str, Any]) -> str:
    tenants = views["tenants"]
    names = sorted(tenants)
    width = max((len(n) for n in names), default=0)
    lines = ["tenants (rows can open connections to columns):", " " * (width + 2) + "".join(f"  {n}" for n in names)]
    lines += [f"  {row[0]:<{width}}" + "".join(f"  {c:<{len(n)}}" for c, n in zip(row[1:], names, strict=True))
              for row in _tenant_rows(tenants)]  # fmt: skip
    lines.append("namespaces (reachable pairs):")
    lines += [f"  {src} -> {dst}  {', '.join(ports)}" for src, row in views["namespaces"].items()
              for dst, ports in row.items()]  # fmt: skip
    lines.append("workloads across tenants:")
    lines += [f"  {w['from']['workload']} -> {w['to']['workload']}  {', '.join(w['ports'])}"
              for w in views["crossTenantWorkloads"]] or ["  none"]  # fmt: skip
    lines.append("exposed outside the gateway:")
    lines += [f"  {e['via']['kind']} {e['namespace']}/{e['via']['name']}: {e['via']['how']} — "
              f"{', '.join(e['ports']) or 'no port'}: {', '.join(e['workloads']) or 'no pods yet'}"
              for e in views["exposure"]["outsideGateway"]] or ["  none"]  # fmt: skip
    lines.append("tenant hostNetwork pods:")
    lines += [f"  {h['workload']} ({h['name']})" for h in views["hostNetworkPods"]] or ["  none"]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _markdown(views: Mapping[str, Any]) -> str:
    names = sorted(views["tenants"])
    out = [
        "# tenantguard reachability",
        "",
        "## Tenants (rows can open connections to columns)",
        "",
        *table(["from \\ to", *names], _tenant_rows(views["tenants"])),
        "## Reachable namespace pairs",
        "",
        *table(["from", "to", "ports"],
               [[s, d, p] for s, row in views["namespaces"].items() for d, p in row.items()]),
        "## Workloads across tenants",
        "",
        *table(["from", "to", "ports"],
               [[w["from"]["workload"], w["to"]["workload"], w["ports"]] for w in views["crossTenantWorkloads"]],
               empty="No workload reaches another tenant's."),
        "## Exposed outside the gateway",
        "",
        *table(["tenant", "published by", "how", "ports", "workloads"],
               [[e["tenant"], f"{e['via']['kind']} {e['namespace']}/{e['via']['name']}", e["via"]["how"],
                 e["ports"], e["workloads"]] for e in views["exposure"]["outsideGateway"]],
               empty="Nothing is published outside the platform gateway."),
    ]  # fmt: skip
    return "\n".join(out).rstrip() + "\n"


def render(views: Mapping[str, Any], fmt: str) -> str:
    if fmt == "json":
        return orjson.dumps(views, option=orjson.OPT_INDENT_2).decode() + "\n"
    return _markdown(views) if fmt == "markdown" else _text(views)
