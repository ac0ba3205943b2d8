"""audit.formats.html: a self-contained page that escapes everything and survives empty and huge reports."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from tenantguard.audit.formats.html import CSP, render
from tenantguard.audit.formats.isolation import ANCHORS
from tenantguard.audit.formats.markup import quantity
from tenantguard.audit.formats.svg import AMBER, GREEN, NEUTRAL, RED

EVIL = '"><img src=x onerror=alert(1)><script>alert(1)</script>'
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "area", "base", "source", "wbr"}


def violation(rule: str, tenant: str, *, severity: str = "error", name: str = "web") -> dict[str, Any]:
    return {
        "rule": rule,
        "category": "network",
        "severity": severity,
        "mode": "enforce",
        "title": "t",
        "message": f"{rule} is violated",
        "fix": "set it",
        "path": "spec.x",
        "kind": "Pod",
        "namespace": f"{tenant}-prod",
        "name": name,
        "tenant": tenant,
        "file": "",
        "line": 0,
    }


def report(**isolation: Any) -> dict[str, Any]:
    return {
        "schemaVersion": "tenantguard.io/audit/v4",
        "generatedAt": "2026-11-27T18:00:00Z",
        "source": {"type": "snapshot", "path": "snap"},
        "window": {"start": "2026-11-26T18:00:00Z", "end": "2026-11-27T18:00:00Z", "hours": 24.0},
        "summary": {
            "objects": 12,
            "tenants": 2,
            "violations": 2,
            "bySeverity": {"warning": 1, "error": 1},
            "crossTenantPaths": 1,
            "uncoveredPods": 0,
            "crossTenantAccess": 0,
        },
        "tenants": ["acme", "globex"],
        "isolation": {
            "violations": [violation("NET002", "globex"), violation("GPU007", "acme", severity="warning")],
            "reachability": {
                "tenants": {"acme": {"acme": True, "globex": True}, "globex": {"acme": False, "globex": True}},
                "crossTenantPaths": [
                    {
                        "from": {"tenant": "acme", "namespace": "acme-prod", "pods": ["vllm-0"]},
                        "to": {"tenant": "globex", "namespace": "globex-prod", "pods": ["redis-0"]},
                        "ports": ["TCP/6379"],
                        "ingressPolicies": ["globex-prod/allow-all"],
                        "egressPolicies": [],
                    }
                ],
                "uncoveredPods": [],
            },
            "mtls": {"servingPods": 4, "covered": 3, "uncovered": []},
            **isolation,
        },
        "usage": {
            "tenants": {
                "acme": {
                    "gpu": {
                        "allocated": {"nvidia.com/gpu": 2},
                        "running": {"nvidia.com/gpu": 2},
                        "pending": {},
                        "gpuHours": 48.0,
                        "gpuHoursByResource": {"nvidia.com/gpu": 48.0},
                    },
                    "quota": [
                        {
                            "namespace": "acme-prod",
                            "name": "q",
                            "resource": "requests.nvidia.com/gpu",
                            "hard": "8",
                            "used": "2",
                        }
                    ],
                    "endpoints": [],
                    "metrics": {"gpuUtilizationPercent": 63.2, "promptTokens": 120000, "generationTokens": None},
                },
                "globex": {
                    "gpu": {"allocated": {}, "running": {}, "pending": {}, "gpuHours": 0, "gpuHoursByResource": {}},
                    "quota": [],
                    "endpoints": [],
                    "metrics": None,
                },
            }
        },
    }


class Balance(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1] if self.open else None}>"
        self.open.pop()


def balanced(page: str) -> bool:
    parser = Balance()
    parser.feed(page)
    parser.close()
    return parser.open == []


def cell(page: str, src: str, dst: str) -> str:
    match = re.search(rf'fill="(#[0-9a-f]{{6}})"><title>{src} → {dst}: ([^<]*)</title>', page)
    assert match, f"no heatmap cell {src} → {dst}"
    return f"{match.group(1)} {match.group(2)}"


def test_a_self_contained_page_under_a_strict_csp() -> None:
    page = render(report())
    assert page.startswith("<!DOCTYPE html>")
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in page
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    for fetching in ("<script", "<link", "<img", "<iframe", "src=", "href=", "url(", "@import", "http://", "https://"):
        assert fetching not in page
    assert balanced(page)


def test_the_heatmap_colours_reachability() -> None:
    page = render(report())
    assert cell(page, "acme", "globex") == f"{RED} REACHABLE (TCP/6379)"
    assert cell(page, "globex", "acme") == f"{GREEN} isolated"
    assert cell(page, "acme", "acme") == f"{NEUTRAL} same tenant"
    assert "Reachable across tenants (1)" in page


def test_summary_usage_and_sections() -> None:
    page = render(report())
    assert ">12<" in page and ">75%<" in page and "3 of 4 serving pods" in page
    assert "48 GPU-h" in page and "2 / 8" in page and "acme-prod · nvidia.com/gpu" in page
    assert "63.2 %" in page and "120,000" in page and "No Prometheus metrics." in page
    assert f"docs/rules.md#{ANCHORS['NET002']}" in page
    assert page.index("acme — 1 violation ") < page.index("globex — 1 violation ")
    assert "globex-prod/allow-all" in page and "No cross-tenant access." in page


def test_violations_sort_errors_first_within_a_tenant() -> None:
    violations = [violation("GPU007", "acme", severity="warning"), violation("GPU002", "acme")]
    page = render(report(violations=violations))
    assert page.index("GPU002") < page.index("GPU007")


def test_every_string_from_the_report_is_escaped() -> None:
    evil = report(
        violations=[{**violation("NET002", EVIL), "message": EVIL, "fix": EVIL, "path": EVIL}],
        uncoveredPods=[{"tenant": EVIL, "namespace": EVIL, "name": EVIL, "missing": [EVIL]}],
        unlabelled=[{"kind": EVIL, "namespace": EVIL, "name": EVIL, "tenant": EVIL}],
    )
    evil["tenants"] = [EVIL, "acme"]
    evil["isolation"]["reachability"]["tenants"] = {EVIL: {"acme": True}, "acme": {EVIL: False}}
    evil["isolation"]["reachability"]["crossTenantPaths"][0]["ports"] = [EVIL]
    evil["usage"]["tenants"][EVIL] = {
        "gpu": {"allocated": {EVIL: 1}, "gpuHours": 1, "gpuHoursByResource": {EVIL: 1}},
        "quota": [{"namespace": EVIL, "resource": EVIL, "hard": EVIL, "used": EVIL}],
        "endpoints": [{"kind": EVIL, "namespace": EVIL, "name": EVIL, "model": EVIL}],
    }
    evil["source"] = {"type": EVIL, "path": EVIL}
    page = render(evil)
    assert "<script" not in page and "<img" not in page and 'onerror=alert(1)">' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert balanced(page)


def test_an_empty_report_renders_every_section_empty() -> None:
    page = render({})
    for text in (
        "No tenants: nothing to compare.",
        "No usage data.",
        "No violations.",
        "No cross-tenant paths.",
        "No risky grants.",
        "Every serving pod is covered by mTLS.",
        "Every object carries its tenant label.",
    ):
        assert text in page
    assert balanced(page)


def test_malformed_sections_do_not_break_the_page() -> None:
    page = render(
        {
            "summary": [],
            "tenants": "acme",
            "isolation": {"violations": [1, None], "mtls": "x"},
            "usage": {"tenants": {"acme": {"gpu": None, "quota": None, "metrics": "n/a"}}},
        }
    )
    assert balanced(page)


def test_large_reports_are_capped() -> None:
    tenants = [f"t{i:03}" for i in range(200)]
    reach = {t: {u: t == u or (t == "t150" and u == "t151") for u in tenants} for t in tenants}
    big = report(violations=[violation("NET002", "acme", name=f"pod-{i}") for i in range(500)])
    big["tenants"] = tenants
    big["isolation"]["reachability"]["tenants"] = reach
    page = render(big)
    assert "… and 450 more not shown" in page
    assert "Showing 60 of 200 tenants" in page
    assert "t150 → t151: REACHABLE" in page  # tenants with holes come first
    assert len(page) < 2_000_000


def test_many_tenants_are_capped_in_usage_and_violations() -> None:
    tenants = [f"t{i:03}" for i in range(100)]
    big = report(violations=[violation("NET002", t) for t in tenants])
    big["usage"]["tenants"] = {
        t: {"gpu": {"gpuHours": float(i), "gpuHoursByResource": {"nvidia.com/gpu": float(i)}}}
        for i, t in enumerate(tenants)
    }
    page = render(big)
    assert "… and 60 more tenants with fewer GPU-hours" in page
    assert "… and 40 more tenants with fewer GPU-hours not shown" in page
    assert "t099 nvidia.com/gpu: 99 GPU-h" in page and "t059 nvidia.com/gpu" not in page
    assert "<h3>60 more tenants</h3>" in page and page.count("<details open>") == 40
    assert balanced(page)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("8", 8.0),
        ("500m", 0.5),
        ("2k", 2000.0),
        ("64Gi", 64 * 2.0**30),
        (3, 3.0),
        ("1.5", 1.5),
        ("x", None),
        ("8Zi", None),
        (None, None),
    ],
    ids=["plain", "milli", "kilo", "gibi", "int", "decimal", "garbage", "unknown-suffix", "none"],
)
def test_quantities(text: object, value: float | None) -> None:
    assert quantity(text) == value


def isolated_report(**reachability: Any) -> dict[str, Any]:
    """No pod reaches another tenant's pods; `reachability` adds to the section (emptyNamespaces, …)."""
    doc = report()
    doc["isolation"]["reachability"] = {
        "tenants": {"acme": {"acme": True, "globex": False}, "globex": {"acme": False, "globex": False}},
        "crossTenantPaths": [],
        "uncoveredPods": [],
        **reachability,
    }
    return doc


def empty_namespace(*, reachable_from: tuple[str, ...] = (), reaches: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "tenant": "globex",
        "namespace": "globex-dev",
        "missing": ["ingress", "egress"] if reachable_from or reaches else [],
        "reachableFrom": [{"tenant": "acme", "namespace": ns, "ports": ["*"]} for ns in reachable_from],
        "reaches": [{"tenant": "acme", "namespace": ns, "ports": ["TCP/443"]} for ns in reaches],
    }


def test_isolation_is_not_claimed_when_it_holds_only_for_lack_of_pods() -> None:
    page = render(
        isolated_report(emptyNamespaces=[empty_namespace(reachable_from=("acme-prod",), reaches=("acme-dev",))])
    )
    assert "Every tenant is isolated" not in page
    assert "Would be reachable once pods run (1)" in page
    assert (
        "<b>globex</b> <code>globex-dev</code>: a pod started there could be reached from <code>acme-prod</code> (*)"
        " and could reach <code>acme-dev</code> (TCP/443)"
    ) in page
    assert cell(page, "acme", "globex") == f"{AMBER} WOULD BE REACHABLE once pods run in globex-dev"
    assert cell(page, "globex", "acme") == f"{AMBER} WOULD BE REACHABLE once pods run in globex-dev"
    assert "would be reachable</text>" in page  # the legend explains amber
    assert balanced(page)


def test_isolation_is_claimed_only_when_a_new_pod_would_be_isolated_too() -> None:
    page = render(isolated_report(emptyNamespaces=[empty_namespace()]))
    assert (
        "Every tenant is isolated from every other, and so would be a pod started in the namespaces without pods "
        "(<code>globex-dev</code>)."
    ) in page
    assert cell(page, "acme", "globex") == f"{GREEN} isolated" and "would be reachable</text>" not in page
    open_namespace = [{"tenant": "acme", "namespace": "acme-prod", "missing": ["egress"]}]
    page = render(isolated_report(withoutDefaultDeny=open_namespace))
    assert "Every tenant is isolated" not in page
    assert "No default deny covers a new pod in 1 tenant namespace (<code>acme-prod</code>)" in page


def finding(rule: str, severity: str, kind: str, name: str, message: str) -> dict[str, Any]:
    return {
        **violation(rule, "acme", severity=severity, name=name),
        "category": "isolation",
        "mode": "audit",
        "kind": kind,
        "namespace": "acme-prod",
        "message": message,
        "path": "",
    }


def test_isolation_findings_come_before_violations_in_their_order() -> None:
    doc = report(
        findings=[
            finding("ISO001", "error", "Namespace", "acme-prod", "pods of tenant 'globex' can open connections"),
            finding("ISO004", "error", "Pod", "debug", "no NetworkPolicy isolates the pod for ingress"),
            finding("ISO007", "warning", "Namespace", "acme-prod", "a new pod would not be isolated"),
        ]
    )
    doc["summary"] |= {"findings": 3, "findingsBySeverity": {"error": 2, "warning": 1}}
    page = render(doc)
    assert page.index("<h2>Isolation findings</h2>") < page.index("<h2>Violations</h2>")
    assert page.index("ISO001") < page.index("ISO004") < page.index("ISO007")
    assert "docs/rules.md#iso001-cross-tenant-path" in page and "Namespace <code>acme-prod</code>" in page
    assert "Pod <code>acme-prod/debug</code>" in page
    assert re.search(r'<div class="tile bad"><div class="l">isolation findings</div><div class="n">3</div>', page)
    assert "No isolation findings." in render(report())


def test_the_gpu_quota_card_shows_used_of_hard_numbers() -> None:
    doc = report()
    acme = doc["usage"]["tenants"]["acme"]
    acme["gpu"]["cap"] = {"maxTotal": 8, "maxPerPod": 2, "allowedResources": ["nvidia.com/gpu"]}
    acme["quota"] = [{"namespace": "acme-prod", "name": "q", "resource": "pods", "hard": "10", "used": "3"}]
    page = render(doc)
    card = page[page.index("<h3>acme</h3>") : page.index("<h3>globex</h3>")]
    assert "tenant cap · all GPU devices" in card and ">2 / 8</text>" in card  # 2 GPUs allocated of the cap of 8
    assert "Other quota: used of hard" in card and ">3 / 10</text>" in card
    globex = page[page.index("<h3>globex</h3>") :]
    assert "No GPU cap or GPU ResourceQuota: 0 GPU devices in use." in globex


def test_objects_kubernetes_made_are_listed_apart() -> None:
    made = {"rule": "TEN004", "kind": "ConfigMap", "namespace": "acme-dev", "name": "kube-root-ca.crt"}
    page = render(report(platform=[{**made, "tenant": "acme", "reason": "kube-controller-manager publishes it"}]))
    section = page[page.index("<h2>Made by Kubernetes</h2>") :]
    assert "<code>acme-dev/kube-root-ca.crt</code>" in section and "kube-controller-manager publishes it" in section


def test_new_sections_escape_every_string() -> None:
    evil = isolated_report(
        emptyNamespaces=[{**empty_namespace(reachable_from=(EVIL,)), "namespace": EVIL, "tenant": EVIL}],
        withoutDefaultDeny=[{"tenant": EVIL, "namespace": EVIL, "missing": [EVIL]}],
    )
    evil["isolation"]["findings"] = [{**finding("ISO001", EVIL, EVIL, EVIL, EVIL), "fix": EVIL, "tenant": EVIL}]
    evil["isolation"]["platform"] = [{k: EVIL for k in ("rule", "kind", "namespace", "name", "tenant", "reason")}]
    evil["usage"]["tenants"]["acme"]["gpu"]["cap"] = {"maxTotal": EVIL}
    evil["usage"]["tenants"]["acme"]["quota"] = [{"namespace": EVIL, "resource": EVIL, "hard": EVIL, "used": EVIL}]
    page = render(evil)
    assert "<script" not in page and "<img" not in page and balanced(page)


def showback_report() -> dict[str, Any]:
    doc = report()
    doc["usage"]["gpuHours"] = {
        "source": "kube-state-metrics",
        "lowerBound": False,
        "stepSeconds": 60,
        "days": ["2026-11-26", "2026-11-27"],
    }
    doc["usage"]["pricing"] = {"currency": "EUR", "mig": "computeShare"}
    doc["usage"]["notes"] = ["3.00 GPU-hours have no price"]
    acme = doc["usage"]["tenants"]["acme"]
    acme["gpu"]["gpuHoursByDay"] = {"2026-11-26": 12.0, "2026-11-27": 36.0}
    acme["cost"] = {"currency": "EUR", "total": 115.2, "idle": 42.4, "perMillionTokens": 960.0, "unpricedGpuHours": 3.0}
    doc["usage"]["tenants"]["globex"]["gpu"]["gpuHoursByDay"] = {"2026-11-26": 0.0, "2026-11-27": 0.0}
    return doc


def test_gpu_hours_per_tenant_per_day_and_what_they_cost() -> None:
    page = render(showback_report())
    usage = page[page.index("<h2>GPU usage</h2>") :]
    assert "GPU-hours from Prometheus history (kube-state-metrics, 60 s step); priced in EUR." in usage
    assert '<p class="note">3.00 GPU-hours have no price</p>' in usage
    chart = usage[usage.index("<h3>GPU-hours per tenant per day</h3>") : usage.index("<h3>GPU-hours by tenant</h3>")]
    assert "<title>acme 2026-11-26: 12 GPU-h</title>" in chart and "<title>acme 2026-11-27: 36 GPU-h</title>" in chart
    assert "globex" not in chart, "a tenant without GPU-hours gets no colour"
    card = usage[usage.index("<h3>acme</h3>") :]
    assert '<div class="n">115.20 EUR</div><div class="l">cost in the window</div>' in card
    assert '<div class="n">960.00 EUR</div><div class="l">per million tokens</div>' in card
    assert '<div class="n">3</div><div class="l">GPU-hours unpriced</div>' in card
    assert balanced(page)


def test_the_per_day_chart_stacks_the_busiest_tenants_and_sums_the_rest() -> None:
    doc = showback_report()
    template = doc["usage"]["tenants"]["acme"]
    days = [f"2026-11-{d:02d}" for d in range(1, 31)]
    doc["usage"]["gpuHours"]["days"] = days
    doc["usage"]["tenants"] = {
        f"t{i:02d}": {
            **template,
            "gpu": {**template["gpu"], "gpuHours": 30.0 * i, "gpuHoursByDay": dict.fromkeys(days, i)},
        }
        for i in range(1, 13)
    }
    page = render(doc)
    chart = page[page.index("<h3>GPU-hours per tenant per day</h3>") : page.index("<h3>GPU-hours by tenant</h3>")]
    assert "<title>t12 2026-11-30: 12 GPU-h</title>" in chart
    assert "<title>5 other tenants 2026-11-30: 15 GPU-h</title>" in chart, "t01..t05 together"
    assert "t05 2026" not in chart
    assert ">11-01</text>" in chart and "2026-11-30: " in chart, "many days: short labels, full dates on hover"


def test_a_lower_bound_is_said_above_the_charts() -> None:
    doc = report()
    doc["usage"]["notes"] = ["GPU-hours are a lower bound: they count only the pods that exist now"]
    page = render(doc)
    assert "GPU-hours from the pods that exist now — a lower bound; not priced." in page
    assert '<p class="note">GPU-hours are a lower bound' in page


def test_showback_strings_are_escaped() -> None:
    doc = showback_report()
    doc["usage"]["notes"] = [EVIL]
    doc["usage"]["pricing"] = {"currency": EVIL}
    doc["usage"]["tenants"][EVIL] = doc["usage"]["tenants"].pop("acme")
    doc["usage"]["tenants"][EVIL]["cost"]["currency"] = EVIL
    doc["usage"]["gpuHours"]["days"] = [EVIL]
    doc["usage"]["tenants"][EVIL]["gpu"]["gpuHoursByDay"] = {EVIL: 5.0}
    page = render(doc)
    assert "<script" not in page and "<img" not in page and balanced(page)
