"""GitHub Actions workflow commands: annotations on the changed files."""

from __future__ import annotations

from tenantguard.audit.lint import LintReport

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def render(report: LintReport) -> str:
    lines = [
        f"::error file={_prop(e.file)},line={max(e.line, 1)},title=unusable input::{_escape(e.message)}"
        for e in report.errors
    ]
    for r in report.results:
        title = _prop(f"{r.rule} {r.title}")
        msg = _escape(f"{r.object} {r.path}: {r.message} — {r.fix}")
        lines.append(f"::{_LEVEL[r.severity]} file={_prop(r.file)},line={max(r.line, 1)},title={title}::{msg}")
    return "\n".join(lines) + ("\n" if lines else "")
