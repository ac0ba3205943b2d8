"""JSON: `{"summary": {...}, "results": [...], "waived": [...], "notJudged": [...], "errors": [...]}`, and
`reachability` with `--reachability`."""

from __future__ import annotations

from typing import Any

import orjson

from tenantguard.audit.lint import LintReport


def summary(report: LintReport) -> dict[str, Any]:
    by_severity: dict[str, int] = {}
    by_category: dict[str, int] = {}
    for r in report.results:
        by_severity[r.severity] = by_severity.get(r.severity, 0) + 1
        by_category[r.category] = by_category.get(r.category, 0) + 1
    return {
        "objects": report.objects,
        "judged": report.judged,
        "notJudged": len(report.not_judged),
        "outsideTenants": len(report.outside_tenants),
        "files": len(report.files),
        "violations": len(report.results),
        "waived": len(report.waived),
        "errors": len(report.errors),
        "bySeverity": by_severity,
        "byCategory": by_category,
        "tenants": report.tenants,
    }


def render(report: LintReport) -> str:
    doc = {
        "summary": summary(report),
        "results": [r.as_dict() for r in report.results],
        "waived": [r.as_dict() for r in report.waived],
        "notJudged": [n.as_dict() for n in report.not_judged],
        "errors": [{"file": e.file, "line": e.line, "message": e.message} for e in report.errors],
    }
    if report.reachability is not None:
        doc["reachability"] = report.reachability
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
