"""SARIF 2.1.0: every registry rule as a reportingDescriptor, each violation a result at file:line."""

from __future__ import annotations

from typing import Any

import orjson

from tenantguard.audit.lint import LintReport
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


def render(report: LintReport) -> str:
    index = {rule.id: i for i, rule in enumerate(RULES)}
    results = []
    for r in report.results:
        location: dict[str, Any] = {
            "physicalLocation": {
                "artifactLocation": {"uri": r.file or "cluster"},
                "region": {"startLine": max(r.line, 1)},
            },
            "logicalLocations": [{"fullyQualifiedName": f"{r.object}:{r.path}", "kind": "object"}],
        }
        results.append(
            {
                "ruleId": r.rule,
                "ruleIndex": index[r.rule],
                "level": _LEVEL[r.severity],
                "message": {"text": f"{r.object} {r.path}: {r.message} — {r.fix}"},
                "locations": [location],
                "properties": {"tenant": r.tenant, "category": r.category, "mode": r.mode},
            }
        )
    notifications = [
        {
            "level": "error",
            "message": {"text": e.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": e.file},
                        "region": {"startLine": max(e.line, 1)},
                    }
                }
            ],
        }
        for e in report.errors
    ]
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
                    {"executionSuccessful": not report.errors, "toolExecutionNotifications": notifications}
                ],
                "results": results,
            }
        ],
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n"
