"""The audit report as Markdown: summary, isolation (findings, violations, reachability, RBAC, mTLS), usage."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MAX_ROWS = 200  # per table: a report people read, not a dump; the JSON has everything


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_cell(v)}" for k, v in value.items()) or "—"
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], empty: str = "None.") -> list[str]:
    rows = list(rows)
    if not rows:
        return [f"_{empty}_", ""]
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out.extend("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows[:MAX_ROWS])
    if len(rows) > MAX_ROWS:
        out.append(f"\n_… and {len(rows) - MAX_ROWS} more (see the JSON report)._")
    return [*out, ""]


def _summary(report: Mapping[str, Any]) -> list[str]:
    s = report["summary"]
    window = report["window"]
    source = report["source"]
    where = source.get("server") or source.get("path") or ""
    return [
        "# tenantguard audit",
        "",
        f"Generated {report['generatedAt']} from {source.get('type', '')} `{where}`; "
        f"usage window {window['start']} to {window['end']} ({window['hours']:g} h).",
        "",
        *table(
            [
                "objects",
                "tenants",
                "isolation findings",
                "violations",
                "cross-tenant paths",
                "exposed outside the gateway",
                "uncovered pods",
                "hostNetwork pods",
                "cross-tenant access",
                "mTLS uncovered",
            ],
            [
                [
                    s["objects"],
                    s["tenants"],
                    s.get("findings", 0),
                    s["violations"],
                    s["crossTenantPaths"],
                    s.get("exposedOutsideGateway", 0),
                    s["uncoveredPods"],
                    s.get("hostNetworkPods", 0),
                    s["crossTenantAccess"],
                    s["mtlsUncovered"],
                ]
            ],
        ),
        f"Isolation findings by rule: {_cell(s.get('findingsByRule', {}))}"
        + (f" ({s['findingsWaived']} waived by exceptions)" if s.get("findingsWaived") else "")
        + f". Violations by severity: {_cell(s['bySeverity'])}; by category: {_cell(s['byCategory'])}.",
        "",
    ]


def _matrix(tenants: Mapping[str, Mapping[str, bool]]) -> list[str]:
    names = sorted(tenants)
    rows = [[f"**{src}**", *("✔" if tenants[src].get(dst) else "·" for dst in names)] for src in names]
    return ["Rows can open connections to columns (✔).", "", *table(["from \\ to", *names], rows)]


def _object(f: Mapping[str, Any]) -> str:
    """`Pod ns/name`, `ClusterRoleBinding name`, `Namespace name` (a Namespace finding sits in its own namespace)."""
    if f["kind"] == "Namespace" or not f["namespace"]:
        return f"{f['kind']} {f['name']}"
    return f"{f['kind']} {f['namespace']}/{f['name']}"


def _opened_by(path: Mapping[str, Any]) -> list[str]:
    """The rules opening a path (`ns/name spec.ingress[0]`), else its policies; node traffic said as such."""
    rules = [f"{r['policy']} {r['rule']}" for key in ("ingressRules", "egressRules") for r in path.get(key) or ()]
    opening = rules or [*path.get("ingressPolicies", ()), *path.get("egressPolicies", ())]
    return [*opening, *(["hostNetwork pod on the same node"] if path.get("viaNode") else [])]


def _by_workload(pods: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """Uncovered pods grouped by workload: tenant, workload, pods, missing directions."""
    groups: dict[tuple[str, str, tuple[str, ...]], list[str]] = {}
    for p in pods:
        workload = p.get("workload") or f"{p['namespace']}/{p['name']}[Pod]"
        groups.setdefault((p["tenant"], workload, tuple(p["missing"])), []).append(p["name"])
    return [[tenant, workload, names, list(missing)] for (tenant, workload, missing), names in sorted(groups.items())]


def _published(exposure: Mapping[str, Any], key: str) -> list[list[Any]]:
    return [
        [e["tenant"], f"{e['via']['kind']} {e['namespace']}/{e['via']['name']}", e["via"]["how"], e["ports"],
         e["workloads"]]
        for e in exposure.get(key, ())
    ]  # fmt: skip


def _isolation(iso: Mapping[str, Any]) -> list[str]:
    reach = iso["reachability"]
    rbac = iso["rbac"]
    mtls = iso["mtls"]
    violations = [
        [
            v["tenant"],
            v["rule"],
            v["severity"],
            f"{v['kind']} {v['namespace']}/{v['name']}".replace(" /", " "),
            v["path"],
            v["message"],
        ]
        for v in iso["violations"]
    ]
    namespaces = [[src, dst, ports] for src, row in sorted(reach["namespaces"].items()) for dst, ports in row.items()]
    findings = [
        [
            f["severity"],
            f["rule"],
            f["tenant"],
            _object(f),
            f["message"],
        ]
        for f in iso.get("findings", ())
    ]
    omitted = iso.get("findingsOmitted", 0)
    return [
        "## Isolation",
        "",
        "### Isolation findings (most severe first)",
        "",
        *table(["severity", "rule", "tenant", "object", "finding"], findings, empty="No isolation findings."),
        *([f"_{omitted} more findings are counted in the summary but not listed._", ""] if omitted else []),
        "### Policy violations",
        "",
        *table(["tenant", "rule", "severity", "object", "field", "message"], violations),
        "### Network reachability between tenants",
        "",
        *_matrix(reach["tenants"]),
        "### Reachable namespace pairs",
        "",
        *table(["from", "to", "ports"], namespaces),
        "### Cross-tenant paths (by workload)",
        "",
        *table(
            ["from", "to", "ports", "opened by"],
            [
                [
                    f"{p['from']['tenant']}: " + ", ".join(p["from"].get("workloads") or p["from"]["pods"]),
                    f"{p['to']['tenant']}: " + ", ".join(p["to"].get("workloads") or p["to"]["pods"]),
                    p["ports"],
                    _opened_by(p),
                ]
                for p in reach["crossTenantPaths"]
            ],
        ),
        "### Model endpoints exposed outside the gateway",
        "",
        *table(
            ["tenant", "published by", "how", "ports", "workloads"],
            _published(iso.get("exposure", {}), "outsideGateway"),
            empty="Nothing is published outside the platform gateway.",
        ),
        "### Published through the gateway",
        "",
        *table(
            ["tenant", "published by", "how", "ports", "workloads"],
            _published(iso.get("exposure", {}), "throughGateway"),
            empty="No route or Ingress publishes a tenant workload.",
        ),
        "### Pods without a default deny (by workload)",
        "",
        *table(["tenant", "workload", "pods", "missing"], _by_workload(reach["uncoveredPods"])),
        "### hostNetwork pods (no NetworkPolicy applies to them)",
        "",
        *table(
            ["tenant", "pod", "workload", "node", "shares a node with"],
            [
                [h["tenant"], f"{h['namespace']}/{h['name']}", h["workload"], h["node"], h["sharesNodeWith"]]
                for h in reach.get("hostNetworkPods", ())
            ],
            empty="No tenant pod runs with hostNetwork.",
        ),
        "### Namespaces without pods: what a new pod there would reach",
        "",
        *table(
            ["tenant", "namespace", "could be reached from", "could reach", "not isolated for"],
            [
                [
                    e["tenant"],
                    e["namespace"],
                    [f"{o['namespace']} ({', '.join(o['ports'])})" for o in e["reachableFrom"]],
                    [f"{o['namespace']} ({', '.join(o['ports'])})" for o in e["reaches"]],
                    e["missing"],
                ]
                for e in reach.get("emptyNamespaces", ())
            ],
            empty="Every tenant namespace has pods.",
        ),
        "### RBAC: access to other tenants' namespaces",
        "",
        *table(
            ["subject", "tenant", "namespace", "owner", "verbs", "resources", "via"],
            [
                [
                    a["subject"],
                    a["subjectTenant"],
                    a["namespace"],
                    a["namespaceTenant"],
                    a["verbs"],
                    a["resources"],
                    a["via"],
                ]
                for a in rbac.get("crossTenantAccess", ())
            ],
        ),
        "### RBAC: risky grants",
        "",
        *table(
            ["subject", "tenant", "namespace", "risk", "via"],
            [[g["subject"], g["tenant"], g["namespace"], g["risk"], g["via"]] for g in rbac.get("riskyGrants", ())],
        ),
        f"### mTLS: {mtls['covered']} of {mtls['servingPods']} serving pods covered",
        "",
        *table(
            ["tenant", "pod", "reason"],
            [[p["tenant"], f"{p['namespace']}/{p['name']}", p["reason"]] for p in mtls["uncovered"]],
        ),
        "### Objects without the tenant label",
        "",
        *table(
            ["tenant", "object"],
            [[o["tenant"], f"{o['kind']} {o['namespace']}/{o['name']}"] for o in iso["unlabelled"]],
        ),
        "### Made by Kubernetes, not by the tenant (not counted as violations)",
        "",
        *table(
            ["tenant", "object", "rule", "why"],
            [
                [o["tenant"], f"{o['kind']} {o['namespace']}/{o['name']}", o["rule"], o["reason"]]
                for o in iso.get("platform", ())
            ],
        ),
    ]


def _money(value: Any, currency: str) -> str:
    return "—" if value is None else f"{value:,.2f} {currency}"


def _price(value: Any, currency: str) -> str:
    """A unit price as written in the settings: 2.4, 0.003 (money is rounded to cents, prices are not)."""
    return "—" if value is None else f"{f'{value:,.4f}'.rstrip('0').rstrip('.')} {currency}"


def _usage_header(usage: Mapping[str, Any]) -> list[str]:
    hours = usage.get("gpuHours") or {}
    source = hours.get("source", "pods")
    if hours.get("lowerBound", True):
        where = "the pods that exist now (a lower bound)"
    else:
        step = hours.get("stepSeconds")
        where = f"Prometheus history ({source}, a {step} s step: within two steps per run of a pod)"
    pricing = usage.get("pricing")
    priced = f"priced in {pricing['currency']} (MIG by {pricing['mig']})" if pricing else "not priced (no `pricing`)"
    lines = [f"GPU-hours from {where}; {priced}.", ""]
    lines += [f"> {note}" for note in usage.get("notes") or ()]
    return [*lines, ""] if usage.get("notes") else lines


def _showback(usage: Mapping[str, Any]) -> list[str]:
    """GPU-hours per tenant per day, and the cost per tenant."""
    days = list((usage.get("gpuHours") or {}).get("days") or ())
    tenants = usage["tenants"]
    currency = (usage.get("pricing") or {}).get("currency", "")
    per_day = [
        [name, *(u["gpu"].get("gpuHoursByDay", {}).get(d, 0.0) for d in days), u["gpu"]["gpuHours"]]
        for name, u in tenants.items()
    ]
    out = ["### GPU-hours per tenant per day (UTC)", "", *table(["tenant", *days, "total"], per_day)]
    if usage.get("pricing"):
        out += [
            "### Cost per tenant",
            "",
            *table(
                ["tenant", "GPU", "CPU", "memory", "total", "unpriced GPU-hours", "idle GPUs", "per 1M tokens"],
                [
                    [
                        name,
                        _money(c["gpu"], currency),
                        _money(c["cpu"], currency),
                        _money(c["memory"], currency),
                        _money(c["total"], currency),
                        c["unpricedGpuHours"],
                        _money(c["idle"], currency),
                        _money(c["perMillionTokens"], currency),
                    ]
                    for name, u in tenants.items()
                    if (c := u.get("cost"))
                ],
            ),
        ]
    return out


def _tenant_usage(name: str, u: Mapping[str, Any], currency: str) -> list[str]:
    gpu = u["gpu"]
    resources = sorted({*gpu["allocated"], *gpu["gpuHoursByResource"]})
    metrics = u.get("metrics")
    gone = "" if u.get("current", True) else " (deleted: known from history only)"
    idle = gpu.get("idleShare")
    idle_text = f"; idle share of its full GPUs {idle:.0%} ({gpu['idleGpuHours']:,.2f} GPU-hours)" if idle else ""
    lines = [
        f"### {name}{gone}",
        "",
        *table(
            ["resource", "running", "pending", "GPU-hours (GPU-equivalents)"],
            [
                [r, gpu["running"].get(r, 0), gpu["pending"].get(r, 0), gpu["gpuHoursByResource"].get(r, 0.0)]
                for r in resources
            ],
            empty="No GPU devices in use.",
        ),
        f"Allocated now: **{gpu.get('allocatedGpuEquivalents', 0):,.2f}** GPU-equivalents (the unit of "
        f"`spec.gpu.maxTotal`: a full GPU 1, a MIG slice g/7). GPU-hours in the window: **{gpu['gpuHours']:,.2f}**"
        f"{idle_text}.",
        "",
        *table(
            ["resource", "GPU product", "quantity", "unit", "GPU-hours", "unit price", "cost"],
            [
                [
                    line["resource"],
                    line["product"] or ("—" if line["unit"] in ("core-hour", "GiB-hour") else "unknown"),
                    line["quantity"],
                    line["unit"],
                    line["gpuHours"],
                    _price(line["unitPrice"], currency),
                    _money(line["cost"], currency),
                ]
                for line in u.get("lines") or ()
            ],
            empty="No usage in the window.",
        ),
        *table(
            ["namespace", "quota", "resource", "hard", "used"],
            [[q["namespace"], q["name"], q["resource"], q["hard"], q["used"]] for q in u["quota"]],
            empty="No ResourceQuota.",
        ),
        *table(
            ["kind", "endpoint", "model"],
            [[e["kind"], f"{e['namespace']}/{e['name']}", e["model"]] for e in u["endpoints"]],
            empty="No model-serving endpoints.",
        ),
    ]
    if metrics:
        lines += [
            f"GPU utilisation {_cell(metrics.get('gpuUtilizationPercent'))} %, prompt tokens "
            f"{_cell(metrics.get('promptTokens'))}, generation tokens {_cell(metrics.get('generationTokens'))}.",
            "",
        ]
    return lines


def render(report: Mapping[str, Any]) -> str:
    usage = report["usage"]
    currency = (usage.get("pricing") or {}).get("currency", "")
    lines = [*_summary(report), *_isolation(report["isolation"]), "## Usage", "", *_usage_header(usage)]
    lines += _showback(usage)
    for name, u in usage["tenants"].items():
        lines += _tenant_usage(name, u, currency)
    return "\n".join(lines).rstrip() + "\n"
