"""evaluate(object) → Evaluation; mutate(object) → Mutation; review = mutate, then evaluate the result.

The same three functions serve admission, audit and lint. What differs between them is data: the
`ClusterState` they fill (`policies.cluster`) and the `Request` they describe (`policies.request`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.context import Context
from tenantguard.policies.model import Mode, Obj, Patch, Violation, Waiver
from tenantguard.policies.ownership import OwnerKey, owners
from tenantguard.policies.patch import apply
from tenantguard.policies.podsecurity import LevelVersion, policy_for, select
from tenantguard.policies.registry import RULES, mutators_for, rules_for
from tenantguard.policies.request import Operation, Request
from tenantguard.policies.rule import Check, Mutator, Rule
from tenantguard.policies.scaling import SCALE_SUBRESOURCE
from tenantguard.policies.settings import Settings
from tenantguard.policies.subjects import Subject
from tenantguard.policies.tenancy import Tenant

# Judged even when no tenant owns their namespace: they decide who owns what.
CLUSTER_KINDS = frozenset({"Namespace", "Tenant", "ClusterRoleBinding", "ClusterRole"})
MUTATED = frozenset({Operation.CREATE, Operation.UPDATE})


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
class Mutation:
    """The JSON patches every mutator wants and the object they produce."""

    patches: tuple[Patch, ...]
    mutated: Obj


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    """What admission does with a write: the mutation, and the evaluation of the mutated object."""

    patches: tuple[Patch, ...]
    mutated: Obj
    evaluation: Evaluation


def tenant_for(subject: Subject, cluster: ClusterState) -> Tenant | None:
    if subject.kind == "Namespace":
        return cluster.tenants.for_namespace(subject.name)
    return cluster.tenants.for_namespace(subject.namespace)


def _skip_reason(subject: Subject, tenant: Tenant | None, settings: Settings, request: Request) -> str:
    if not request.judged:
        return f"subresource {request.subresource!r} carries nothing the rules judge"
    ns = subject.name if subject.kind == "Namespace" else subject.namespace
    if settings.is_exempt(ns):
        return f"namespace {ns!r} is exempt"
    if tenant is None and subject.kind not in CLUSTER_KINDS:
        return "not in a tenant namespace" if subject.namespace else "cluster-scoped kind not governed"
    return ""


def context(subject: Subject, cluster: ClusterState, request: Request) -> Context:
    return Context(cluster=cluster, request=request, tenant=tenant_for(subject, cluster))


def evaluate(
    obj: Obj, cluster: ClusterState, request: Request | None = None, *, namespace: str | None = None
) -> Evaluation:
    """Every rule that applies to the object under this request. DELETE judges the stored object."""
    subject = Subject.of(obj, namespace)
    return _evaluate(subject, context(subject, cluster, request or Request()))


def _is_managed(subject: Subject, settings: Settings) -> bool:
    return subject.labels.get(settings.managed_label) == "true"


def _evaluate(subject: Subject, ctx: Context) -> Evaluation:
    tenant_name = ctx.tenant.name if ctx.tenant else None
    reason = _skip_reason(subject, ctx.tenant, ctx.settings, ctx.request)
    if reason:
        return Evaluation(tenant=tenant_name, skipped=reason)
    settings = ctx.settings
    operation = ctx.request.operation
    # The platform's own managed objects are judged only by the rules that guard managed objects.
    platform_own = _is_managed(subject, settings) and ctx.platform_owns(subject.labels)
    # A scale request changes only the replica count: only the rules that judge replica counts run.
    scale = ctx.request.subresource == SCALE_SUBRESOURCE
    found: list[Violation] = []
    waived: list[Violation] = []
    owned_by: frozenset[OwnerKey] | None = None  # computed once, and only when an exception could apply
    for rule, check in _plan(subject.kind, operation, platform_own, scale, policy_for(ctx.tenant, settings)):
        mode: Mode | None = None
        for f in check(subject, ctx):
            mode = mode or settings.mode_for(rule.id, rule.category, rule.severity)
            waiver: Waiver | None = None
            if settings.exceptions:
                owned_by = owned_by if owned_by is not None else owners(subject.obj, subject.namespace)
                waiver = settings.waiver_for(rule.id, owned_by, ctx.now)
            v = Violation(
                rule=rule.id,
                category=rule.category,
                severity=rule.severity,
                mode=mode,
                path=f.path,
                message=f.message,
                fix=rule.fix,
                title=rule.title,
                waiver=waiver,
            )
            (waived if waiver is not None and not waiver.expired else found).append(v)
    return Evaluation(tenant=tenant_name, violations=tuple(found), waived=tuple(waived))


@lru_cache(maxsize=256)
def _rules(kind: str) -> tuple[Rule, ...]:
    return rules_for(kind)


@lru_cache(maxsize=1024)
def _plan(
    kind: str, operation: Operation, platform_own: bool, scale: bool, policy: LevelVersion | None
) -> tuple[tuple[Rule, Check], ...]:
    """The rules that run for this kind and request, each with the function it runs, in registry order.

    Which rules run depends on nothing else, so the choice is made once per combination rather than once per
    object: the operation, the platform's own managed objects (only rules that guard them), a scale request
    (only rules that judge replica counts), and the tenant's Pod Security level and version."""
    pod_security = _pod_security_checks(policy)
    plan: list[tuple[Rule, Check]] = []
    for rule in _rules(kind):
        if operation not in rule.operations or (platform_own and not rule.guards_managed) or (scale and not rule.scale):
            continue
        check = rule.check if rule.level is None else pod_security.get(rule.id)
        if check is not None:  # None: a pod-security rule that the tenant's level and version do not include
            plan.append((rule, check))
    return tuple(plan)


@lru_cache(maxsize=64)
def _pod_security_checks(policy: LevelVersion | None) -> Mapping[str, Check]:
    """The pod-security rules a tenant's level and version run, with their functions; none without a tenant."""
    return {} if policy is None else select(RULES, policy)


@lru_cache(maxsize=256)
def _mutators(kind: str) -> tuple[Mutator, ...]:
    return mutators_for(kind)


def mutate(
    obj: Obj, cluster: ClusterState, request: Request | None = None, *, namespace: str | None = None
) -> Mutation:
    """The JSON patches every mutator wants, each computed on the result of the ones before it."""
    subject = Subject.of(obj, namespace)
    patches, final = _mutate(subject, context(subject, cluster, request or Request()))
    return Mutation(patches=patches, mutated=final.obj)


def _mutate(subject: Subject, ctx: Context) -> tuple[tuple[Patch, ...], Subject]:
    """The patches and the mutated object's Subject (reused for validation, with its memos)."""
    if ctx.request.operation not in MUTATED or _skip_reason(subject, ctx.tenant, ctx.settings, ctx.request):
        return (), subject
    patches: list[Patch] = []
    current = subject
    for mutator in _mutators(subject.kind):
        ops = mutator.mutate(current, ctx)
        if ops:
            patches.extend(ops)
            current = Subject.of(apply(current.obj, ops), subject.namespace)
    return tuple(patches), current


def review(obj: Obj, cluster: ClusterState, request: Request | None = None, *, namespace: str | None = None) -> Review:
    """What admission does: mutate, then validate the mutated object."""
    subject = Subject.of(obj, namespace)
    ctx = context(subject, cluster, request or Request())
    patches, final = _mutate(subject, ctx)
    return Review(patches=patches, mutated=final.obj, evaluation=_evaluate(final, ctx))
