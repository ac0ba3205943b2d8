"""GitHub Actions workflow commands: annotations on the changed files.

Violations at their severity; objects not judged as errors when they fail the run, notices otherwise;
waived findings as notices naming the exception's expiry.
"""

from __future__ import annotations

from tenantguard.audit.lint import LintReport

_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def _where(file: str, line: int) -> str:
    return f"file={_prop(file)},line={max(line, 1)}," if file else ""


def render(report: LintReport) -> str:
    lines = [f"::error {_where(e.file, e.line)}title=unusable input::{_escape(e.message)}" for e in report.errors]
    for r in report.results:
        title = _prop(f"{r.rule} {r.title}")
        msg = _escape(f"{r.object} {r.path}: {r.message} — {r.fix}{r.note}")
        lines.append(f"::{_LEVEL[r.severity]} {_where(r.file, r.line)}title={title}::{msg}")
    for n in report.not_judged:
        level = "error" if n.blocking else "notice"
        lines.append(f"::{level} {_where(n.file, n.line)}title=not judged::{_escape(f'{n.object}: {n.detail}')}")
    for r in report.waived:
        waiver = r.waiver.describe(r.rule) if r.waiver is not None else "waived"
        msg = _escape(f"{r.object} {r.path}: {r.message} — {waiver}")
        lines.append(f"::notice {_where(r.file, r.line)}title={_prop(f'{r.rule} waived')}::{msg}")
    return "\n".join(lines) + ("\n" if lines else "")
