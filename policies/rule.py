"""Rules, mutators and their examples: the units the registry lists and the engine runs.

A rule is a pure check over the object (`Subject`) and what is known around it (`Context`); it yields a
Finding for every offender. A mutator returns JSON Patch operations. Both declare the kinds they apply to,
and a rule the operations it judges (CREATE and UPDATE unless it guards deletions too).

A pod-security rule also carries its Pod Security level and its versions, as PSA's checks do: the engine
runs it for tenants whose level includes it, with the function of the tenant's pinned version
(`policies.podsecurity`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Obj, Patch, Severity
from tenantguard.policies.podsecurity import Level, Version
from tenantguard.policies.request import Operation
from tenantguard.policies.subjects import Subject

Check = Callable[[Subject, Context], Iterable[Finding]]
WRITES = frozenset({Operation.CREATE, Operation.UPDATE})


@dataclass(frozen=True, slots=True, kw_only=True)
class Example:
    """A fixture object with the Tenant context it is judged in (tenant `acme` by default)."""

    object: Obj
    tenant: Mapping[str, Any] | None = None
    note: str = ""
    operation: str = "CREATE"
    old: Obj | None = None
    user: str = ""  # the requester; empty: a tenant developer (lint's reading)
    groups: tuple[str, ...] = ()
    related: tuple[Obj, ...] = ()  # objects the cluster view knows besides (e.g. an autoscaler's target)


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionedCheck:
    """One version of a pod-security check (PSA's VersionedCheck): `check` applies from Kubernetes `since`
    until the rule's next version; `overrides` names the baseline rules it replaces at restricted."""

    since: Version
    check: Check
    overrides: frozenset[str] = frozenset()


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
    operations: frozenset[Operation] = WRITES
    # True: the rule judges replica counts, so it also judges `scale` subresource requests (an UPDATE of the
    # workload's replicas, policies.scaling); every other rule leaves them alone.
    scale: bool = False
    # True: the rule protects managed objects, so it judges them even when the platform writes them (every
    # other rule leaves the platform's own managed objects alone).
    guards_managed: bool = False
    allowed: tuple[Example, ...] = ()
    denied: tuple[Example, ...] = ()
    doc: str = ""
    # Pod Security Standards rules only: the level whose tenants it judges, and its versions, oldest first
    # (`check` is the last one's function: what an unpinned tenant gets).
    level: Level | None = None
    versions: tuple[VersionedCheck, ...] = ()

    @property
    def anchor(self) -> str:
        return f"{self.id.lower()}-{self.slug}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Mutator:
    id: str
    title: str
    mutate: Callable[[Subject, Context], list[Patch]]
    kinds: frozenset[str] | None = None
    pod_templates: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)
