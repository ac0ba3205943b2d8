"""One lint or audit finding as every output format sees it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from tenantguard.policies.model import Severity, Violation


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
        )

    @property
    def object(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}" if self.namespace else f"{self.kind} {self.name}"

    @property
    def severity_rank(self) -> int:
        return Severity(self.severity).rank

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
