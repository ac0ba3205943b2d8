"""SARIF 2.1.0: every registry rule as a reportingDescriptor, each violation a result at file:line.

Waived findings are results with an external, accepted suppression (the exception's reason and expiry), so
code scanning shows them as dismissed rather than not at all. Objects not judged and unusable input are
tool execution notifications (`not-judged/<reason>`; level error when they fail the run).
"""

from __future__ import annotations

from typing import Any

import orjson

from tenantguard.audit.lint import LintReport
from tenantguard.audit.results import Result
from tenantguard.policies.registry import RULES

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS = "https://github.com/tenantguard/tenantguard/blob/main/docs/rules.md"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _descriptor(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.why},
        "help": {"text": f"Fix: {rule.fix}"},
        "helpUri": f"{DOCS}#{rule.anchor}",
        "defaultConfiguration": {"level": _LEVEL[rule.severity.value]},
        "properties": {
            "category": rule.category.value,
            "tags": ["kubernetes", "multi-tenancy", rule.category.value],
        },
    }


def _location(file: str, line: int) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": file or "cluster"}, "region": {"startLine": max(line, 1)}}}


def _result(r: Result, index: dict[str, int]) -> dict[str, Any]:
    location = _location(r.file, r.line)
    location["logicalLocations"] = [{"fullyQualifiedName": f"{r.object}:{r.path}", "kind": "object"}]
    result: dict[str, Any] = {
        "ruleId": r.rule,
        "ruleIndex": index[r.rule],
        "level": _LEVEL[r.severity],
        "message": {"text": f"{r.object} {r.path}: {r.message} — {r.fix}{r.note}"},
        "locations": [location],
        "properties": {"tenant": r.tenant, "category": r.category, "mode": r.mode},
    }
    if r.waiver is not None:
        result["properties"]["waiver"] = {"reason": r.waiver.reason, "until": r.waiver.until_text}
    return result


def _suppressed(r: Result, index: dict[str, int]) -> dict[str, Any]:
    """A waived finding: reported, with the settings exception as an external, accepted suppression."""
    result = _result(r, index)
    if r.waiver is not None:
        justification = f"{r.waiver.reason} (until {r.waiver.until_text})"
        result["suppressions"] = [{"kind": "external", "status": "accepted", "justification": justification}]
    return result


def _notifications(report: LintReport) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for e in report.errors:
        note: dict[str, Any] = {"level": "error", "message": {"text": e.message}}
        if e.file:
            note["locations"] = [_location(e.file, e.line)]
        out.append(note)
    for n in report.not_judged:
        out.append(
            {
                "descriptor": {"id": f"not-judged/{n.reason.value}"},
                "level": "error" if n.blocking else "note",
                "message": {"text": f"{n.object} not judged: {n.detail}"},
                "locations": [_location(n.file, n.line)],
                "properties": {"kind": n.kind, "namespace": n.namespace, "name": n.name, "blocking": n.blocking},
            }
        )
    return out


def render(report: LintReport) -> str:
    index = {rule.id: i for i, rule in enumerate(RULES)}
    results = [_result(r, index) for r in report.results] + [_suppressed(r, index) for r in report.waived]
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tenantguard",
                        "informationUri": DOCS,
                        "version": "0.1.0",
                        "rules": [_descriptor(rule) for rule in RULES],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not report.errors,
                        "toolExecutionNotifications": _notifications(report),
                    }
                ],
                "results": results,
            }
        ],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
