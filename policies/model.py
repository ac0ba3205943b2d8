"""Values that cross module lines: severities, modes, rules, findings and violations."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tenantguard.policies.context import Context
    from tenantguard.policies.subjects import Subject

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


Check = Callable[["Subject", "Context"], Iterable[Finding]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """A fixture object with the Tenant context it is judged in (tenant `acme` by default)."""

    object: Obj
    tenant: Mapping[str, Any] | None = None
    note: str = ""
    operation: str = "CREATE"
    old: Obj | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    id: str
    slug: str
    title: str
    category: Category
    severity: Severity
    fix: str
    why: str
    check: Check
    kinds: frozenset[str] | None = None  # None: every kind
    pod_templates: bool = False  # True: applies to every kind that carries a pod spec
    allowed: tuple[Example, ...] = ()
    denied: tuple[Example, ...] = ()
    doc: str = ""

    @property
    def anchor(self) -> str:
        return f"{self.id.lower()}-{self.slug}"


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Mutator:
    id: str
    title: str
    mutate: Callable[[Subject, Context], list[Patch]]
    kinds: frozenset[str] | None = None
    pod_templates: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
