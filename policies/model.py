"""Plain values that cross module lines: severities, categories, modes, findings and violations.

Nothing here refers to the engine's other types, so every module can import it (rules, mutators and
examples, which do refer to Subject and Context, are in `policies.rule`)."""

from __future__ import annotations

from dataclasses import dataclass
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
class Violation:
    rule: str
    category: Category
    severity: Severity
    mode: Mode
    path: str
    message: str
    fix: str
    title: str = ""

    def render(self) -> str:
        """The denial line kubectl shows: `[RULE] path: what is wrong — how to fix`."""
        where = f" {self.path}:" if self.path else ""
        return f"[{self.rule}]{where} {self.message} — {self.fix}"
