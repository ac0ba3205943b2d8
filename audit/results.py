"""One lint or audit finding as every output format sees it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from tenantguard.policies.model import Severity, Violation, Waiver


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    rule: str
    category: str
    severity: str
    mode: str
    title: str
    message: str
    fix: str
    path: str
    kind: str
    namespace: str
    name: str
    tenant: str | None
    file: str = ""
    line: int = 0
    waiver: Waiver | None = None  # the exception waiving it, or the expired one that no longer does

    @classmethod
    def of(
        cls,
        v: Violation,
        *,
        kind: str,
        namespace: str,
        name: str,
        tenant: str | None,
        file: str = "",
        line: int = 0,
    ) -> Result:
        return cls(
            rule=v.rule,
            category=v.category.value,
            severity=v.severity.value,
            mode=v.mode.value,
            title=v.title,
            message=v.message,
            fix=v.fix,
            path=v.path,
            kind=kind,
            namespace=namespace,
            name=name,
            tenant=tenant,
            file=file,
            line=line,
            waiver=v.waiver,
        )

    @property
    def object(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def severity_rank(self) -> int:
        return Severity(self.severity).rank

    @property
    def note(self) -> str:
        """` (waiver for PSS002 expired 2026-12-01)` when an expired exception matched, else empty."""
        return f" ({self.waiver.describe(self.rule)})" if self.waiver is not None and self.waiver.expired else ""

    def as_dict(self) -> dict[str, Any]:
        """Every field; `waiver` only when an exception matched: `{reason, until, expired}`."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "waiver"}
        if self.waiver is not None:
            w = self.waiver
            out["waiver"] = {"reason": w.reason, "until": w.until_text, "expired": w.expired}
        return out
