"""`deploy/vllm.yaml:14  GPU003  error  Deployment acme-prod/vllm  spec…: message — fix` lines."""

from __future__ import annotations

from tenantguard.audit.lint import LintReport


def render(report: LintReport) -> str:
    lines = [e.render() for e in report.errors]
    for r in sorted(report.results, key=lambda r: (r.file, r.line, r.rule)):
        where = f"{r.file}:{r.line}" if r.file else r.object
        lines.append(f"{where}  {r.rule}  {r.severity}  {r.object}  {r.path}: {r.message} — {r.fix}")
    by_sev: dict[str, int] = {}
    for r in report.results:
        by_sev[r.severity] = by_sev.get(r.severity, 0) + 1
    counts = ", ".join(f"{n} {s}" for s, n in sorted(by_sev.items())) or "no violations"
    summary = f"{report.objects} objects in {len(report.files)} files: {counts}"
    if report.errors:
        summary += f"; {len(report.errors)} unusable input(s)"
    lines.append(summary)
    return "\n".join(lines) + "\n"
