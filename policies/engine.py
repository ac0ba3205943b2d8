"""evaluate(object) → Evaluation; mutate(object) → JSON patches; review = mutate, then evaluate the result.

The same three functions serve admission, audit and lint: they differ only in the ClusterView they pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache

from tenantguard.policies.context import EMPTY_VIEW, ClusterView, Context
from tenantguard.policies.model import Mode, Mutator, Obj, Patch, Rule, Violation
from tenantguard.policies.patch import apply
from tenantguard.policies.registry import mutators_for, rules_for
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings
from tenantguard.policies.subjects import Subject
from tenantguard.policies.tenancy import EMPTY_INDEX, Tenant, TenantIndex

# Judged even when no tenant owns their namespace: they decide who owns what.
CLUSTER_KINDS = frozenset({"Namespace", "Tenant", "ClusterRoleBinding", "ClusterRole"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Everything a verdict depends on besides the object itself."""

    settings: Settings = DEFAULT_SETTINGS
    tenants: TenantIndex = EMPTY_INDEX
    view: ClusterView = EMPTY_VIEW


DEFAULT_POLICY = Policy()


@dataclass(frozen=True, slots=True, kw_only=True)
class Evaluation:
    tenant: str | None
    violations: tuple[Violation, ...] = ()
    waived: tuple[Violation, ...] = ()
    skipped: str = ""  # why the object was not judged at all (exempt namespace, not a tenant's object)

    @property
    def denials(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.mode is Mode.ENFORCE)

    @property
    def warnings(self) -> tuple[Violation, ...]:
        return tuple(v for v in self.violations if v.mode is Mode.WARN)

    @property
    def allowed(self) -> bool:
        return not any(v.mode is Mode.ENFORCE for v in self.violations)

    def message(self) -> str:
        """Every denial in one kubectl-readable message."""
        return "\n".join(v.render() for v in self.denials)


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    patches: tuple[Patch, ...]
    mutated: Obj
    evaluation: Evaluation = field(default_factory=lambda: Evaluation(tenant=None))


def tenant_for(subject: Subject, policy: Policy) -> Tenant | None:
    if subject.kind == "Namespace":
        return policy.tenants.for_namespace(subject.name)
    return policy.tenants.for_namespace(subject.namespace)


def _skip_reason(subject: Subject, tenant: Tenant | None, settings: Settings) -> str:
    ns = subject.name if subject.kind == "Namespace" else subject.namespace
    if settings.is_exempt(ns):
        return f"namespace {ns!r} is exempt"
    if tenant is None and subject.kind not in CLUSTER_KINDS:
        return "not in a tenant namespace" if subject.namespace else "cluster-scoped kind not governed"
    return ""


def context(
    subject: Subject,
    policy: Policy,
    *,
    operation: str = "CREATE",
    old: Obj | None = None,
    now: datetime | None = None,
) -> Context:
    ctx = Context(
        settings=policy.settings,
        tenants=policy.tenants,
        tenant=tenant_for(subject, policy),
        view=policy.view,
        operation=operation,
        old=old,
    )
    return replace(ctx, now=now) if now is not None else ctx


def evaluate(
    obj: Obj,
    policy: Policy = DEFAULT_POLICY,
    *,
    namespace: str | None = None,
    operation: str = "CREATE",
    old: Obj | None = None,
    now: datetime | None = None,
) -> Evaluation:
    subject = Subject.of(obj, namespace)
    ctx = context(subject, policy, operation=operation, old=old, now=now)
    return _evaluate(subject, ctx)


def _evaluate(subject: Subject, ctx: Context) -> Evaluation:
    tenant_name = ctx.tenant.name if ctx.tenant else None
    reason = _skip_reason(subject, ctx.tenant, ctx.settings)
    if reason:
        return Evaluation(tenant=tenant_name, skipped=reason)
    found: list[Violation] = []
    waived: list[Violation] = []
    settings = ctx.settings
    for rule in _rules(subject.kind):
        mode: Mode | None = None
        for f in rule.check(subject, ctx):
            mode = mode or settings.mode_for(rule.id, rule.category, rule.severity)
            v = Violation(
                rule=rule.id,
                category=rule.category,
                severity=rule.severity,
                mode=mode,
                path=f.path,
                message=f.message,
                fix=rule.fix,
                title=rule.title,
            )
            waiver = settings.exceptions and any(
                e.covers(rule.id, kind=subject.kind, namespace=subject.namespace, name=subject.name, now=ctx.now)
                for e in settings.exceptions
            )
            (waived if waiver else found).append(v)
    return Evaluation(tenant=tenant_name, violations=tuple(found), waived=tuple(waived))


@lru_cache(maxsize=256)
def _rules(kind: str) -> tuple[Rule, ...]:
    return rules_for(kind)


@lru_cache(maxsize=256)
def _mutators(kind: str) -> tuple[Mutator, ...]:
    return mutators_for(kind)


def mutate(
    obj: Obj,
    policy: Policy = DEFAULT_POLICY,
    *,
    namespace: str | None = None,
    operation: str = "CREATE",
    old: Obj | None = None,
    now: datetime | None = None,
) -> Review:
    """The JSON patches every mutator wants, each computed on the result of the ones before it."""
    subject = Subject.of(obj, namespace)
    ctx = context(subject, policy, operation=operation, old=old, now=now)
    patches, final = _mutate(subject, ctx)
    return Review(patches=patches, mutated=final.obj)


def _mutate(subject: Subject, ctx: Context) -> tuple[tuple[Patch, ...], Subject]:
    """The patches and the mutated object's Subject (reused for validation, with its memos)."""
    if _skip_reason(subject, ctx.tenant, ctx.settings):
        return (), subject
    patches: list[Patch] = []
    current = subject
    for mutator in _mutators(subject.kind):
        ops = mutator.mutate(current, ctx)
        if ops:
            patches.extend(ops)
            current = Subject.of(apply(current.obj, ops), subject.namespace)
    return tuple(patches), current


def review(
    obj: Obj,
    policy: Policy = DEFAULT_POLICY,
    *,
    namespace: str | None = None,
    operation: str = "CREATE",
    old: Obj | None = None,
    now: datetime | None = None,
) -> Review:
    """What admission does: mutate, then validate the mutated object."""
    subject = Subject.of(obj, namespace)
    ctx = context(subject, policy, operation=operation, old=old, now=now)
    patches, final = _mutate(subject, ctx)
    return Review(patches=patches, mutated=final.obj, evaluation=_evaluate(final, ctx))
