"""Plain values that cross module lines: severities, categories, modes, findings and violations.

Nothing here refers to the engine's other types, so every module can import it (rules, mutators and
examples, which do refer to Subject and Context, are in `policies.rule`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from enum import StrEnum
from typing import Any

Obj = dict[str, Any]
Patch = dict[str, Any]


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Category(StrEnum):
    TENANCY = "tenancy"
    GPU = "gpu"
    POD_SECURITY = "pod-security"
    NETWORK = "network"
    MTLS = "mtls"
    RBAC = "rbac"
    SERVING = "serving"


class Mode(StrEnum):
    """What a violation does at admission: deny, allow with a warning, or only record."""

    ENFORCE = "enforce"
    WARN = "warn"
    AUDIT = "audit"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One offender reported by a check: where it is and what to set instead."""

    path: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiver:
    """The settings exception that matched a violation: in force (the violation is waived) or expired (the
    violation counts again, and says which waiver ran out)."""

    reason: str
    until: datetime  # naive UTC, exclusive
    expired: bool = False

    @property
    def until_text(self) -> str:
        """`2026-12-01` for a bare date (midnight UTC), else `2026-12-01T12:00:00Z`."""
        if self.until.time() == time(0):
            return self.until.date().isoformat()
        return self.until.isoformat() + "Z"

    def describe(self, rule: str) -> str:
        if self.expired:
            return f"waiver for {rule} expired {self.until_text}"
        return f"waived until {self.until_text}: {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    rule: str
    category: Category
    severity: Severity
    mode: Mode
    path: str
    message: str
    fix: str
    title: str = ""
    waiver: Waiver | None = None  # the exception that waives it, or the expired one that no longer does

    def render(self) -> str:
        """The denial line kubectl shows: `[RULE] path: what is wrong — how to fix`."""
        where = f" {self.path}:" if self.path else ""
        expired = f" ({self.waiver.describe(self.rule)})" if self.waiver is not None and self.waiver.expired else ""
        return f"[{self.rule}]{where} {self.message} — {self.fix}{expired}"
