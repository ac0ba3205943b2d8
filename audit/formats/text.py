"""`deploy/vllm.yaml:14  GPU003  error  Deployment acme-prod/vllm  spec…: message — fix` lines.

Then the objects not judged (`not-judged`, with the reason), the waived findings (`waived`, with the
exception's expiry and reason), and a summary line that never reads as clean when something was skipped.
"""

from __future__ import annotations

from tenantguard.audit.coverage import OUTSIDE_TENANTS
from tenantguard.audit.lint import LintReport


def render(report: LintReport) -> str:
    lines = [e.render() for e in report.errors]
    for r in sorted(report.results, key=lambda r: (r.file, r.line, r.rule)):
        where = f"{r.file}:{r.line}" if r.file else r.object
        lines.append(f"{where}  {r.rule}  {r.severity}  {r.object}  {r.path}: {r.message} — {r.fix}{r.note}")
    for n in sorted(report.not_judged, key=lambda n: (n.file, n.line)):
        status = "not-judged (allowed)" if n.reason in OUTSIDE_TENANTS and not n.blocking else "not-judged"
        lines.append(f"{n.file}:{n.line}  {status}  {n.object}  {n.detail}")
    for r in sorted(report.waived, key=lambda r: (r.file, r.line, r.rule)):
        waiver = r.waiver.describe(r.rule) if r.waiver is not None else "waived"
        lines.append(f"{r.file}:{r.line}  {r.rule}  waived  {r.object}  {r.path}: {r.message} — {waiver}")
    return "\n".join([*lines, *reachability(report), summary(report)]) + "\n"


def reachability(report: LintReport) -> list[str]:
    """With --reachability: the tenant pairs and workloads that could reach each other, and exposures."""
    views = report.reachability
    if views is None:
        return []
    pairs = [f"{a} -> {b}" for a, row in views["tenants"].items() for b, reached in row.items() if reached and a != b]
    lines = [f"reachability: tenants connected: {', '.join(pairs) or 'none'}"]
    lines += [f"reachability: {w['from']['workload']} -> {w['to']['workload']}  {', '.join(w['ports'])}"
              for w in views["crossTenantWorkloads"]]  # fmt: skip
    lines += [f"reachability: exposed  {e['via']['kind']} {e['namespace']}/{e['via']['name']}: {e['via']['how']}"
              for e in views["exposure"]["outsideGateway"]]  # fmt: skip
    return lines


def summary(report: LintReport) -> str:
    by_sev: dict[str, int] = {}
    for r in report.results:
        by_sev[r.severity] = by_sev.get(r.severity, 0) + 1
    counts = ", ".join(f"{n} {s}" for s, n in sorted(by_sev.items())) or "no violations"
    objects, files = report.objects, len(report.files)
    text = f"{_plural(objects, 'object')} in {_plural(files, 'file')}, {report.judged} judged: {counts}"
    if report.not_judged:
        outside = len(report.outside_tenants)
        text += f"; {len(report.not_judged)} not judged"
        if outside:
            text += f" ({outside} outside every Tenant: fix their namespace or --tenants, or --allow-unowned)"
    if report.waived:
        text += f"; {len(report.waived)} waived"
    if report.errors:
        text += f"; {len(report.errors)} unusable input(s)"
    return text


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
