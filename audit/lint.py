"""Lint: judge manifests as admission would (mutate, then validate) without a cluster.

Tenants come from the inputs and from `--tenants` paths; Namespaces found in `--tenants` are cluster
context (their labels), read but not linted. Bad files become InputErrors; every other file is still judged.
Objects the engine skips are listed with the reason (`audit.coverage`); lint never passes silently what it
could not judge: no objects, no Tenants, or nothing judged is unusable input. With `reachability=True` it also
computes who could reach whom once the inputs are applied (`policies.isolation.views`: representative pods
from the workload templates, the tenant and namespace matrices, cross-tenant paths, exposure).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from tenantguard import manifests, platform
from tenantguard.audit.coverage import OUTSIDE_TENANTS, NotJudged, why_not_judged
from tenantguard.audit.results import Result
from tenantguard.manifests import InputError, Manifest
from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import review
from tenantguard.policies.isolation.views import views
from tenantguard.policies.isolation.world import from_objects
from tenantguard.policies.model import Violation
from tenantguard.policies.request import Request
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings


@dataclass(slots=True)
class LintReport:
    results: list[Result] = field(default_factory=list)
    waived: list[Result] = field(default_factory=list)  # violations an exception in the settings waives
    not_judged: list[NotJudged] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    objects: int = 0
    files: set[str] = field(default_factory=set)
    tenants: list[str] = field(default_factory=list)
    reachability: dict[str, Any] | None = None  # policies.isolation.views, when asked for

    @property
    def judged(self) -> int:
        return self.objects - len(self.not_judged)

    @property
    def outside_tenants(self) -> list[NotJudged]:
        """Objects outside every Tenant that fail the run (none with --allow-unowned)."""
        return [n for n in self.not_judged if n.blocking]


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """One object's outcome: its violations and waived violations, or why it was not judged."""

    results: list[Result]
    waived: list[Result]
    not_judged: NotJudged | None = None


def lint(
    paths: Iterable[str],
    *,
    tenant_paths: Iterable[str] = (),
    settings: Settings = DEFAULT_SETTINGS,
    namespace: str | None = None,
    allow_unowned: bool = False,
    reachability: bool = False,
) -> LintReport:
    report = LintReport()
    tenant_paths = list(tenant_paths)
    inputs: list[Manifest] = []
    context: list[Manifest] = []
    for source, sink in ((tenant_paths, context), (paths, inputs)):
        for item in manifests.read(source):
            if sink is inputs:
                report.files.add(item.file)
            if isinstance(item, InputError):
                report.errors.append(item)
            else:
                sink.append(item)
    cluster, errors = lint_cluster(context, inputs, settings, namespace)
    report.errors.extend(errors)
    report.tenants = sorted(cluster.tenants.by_name)
    request = Request()
    for m in inputs:
        report.objects += 1
        verdict = judge(m, cluster, namespace, request)
        report.results.extend(verdict.results)
        report.waived.extend(verdict.waived)
        if verdict.not_judged is not None:
            skipped = verdict.not_judged
            blocking = skipped.reason in OUTSIDE_TENANTS and not allow_unowned
            report.not_judged.append(replace(skipped, blocking=True) if blocking else skipped)
    report.errors.extend(_nothing_judged(report, tenant_paths))
    if reachability:
        report.reachability = _views(context, inputs, cluster, settings, namespace)
    return report


def _views(
    context: list[Manifest], inputs: list[Manifest], cluster: ClusterState, settings: Settings, namespace: str | None
) -> dict[str, Any]:
    """Who could reach whom once the inputs are applied, the --tenants Namespaces giving their labels."""
    declared = {
        str((m.obj.get("metadata") or {}).get("name") or ""): dict((m.obj.get("metadata") or {}).get("labels") or {})
        for m in context
        if m.obj.get("kind") == "Namespace"
    }
    world = from_objects(
        [], [m.obj for m in inputs], cluster.tenants, settings, namespaces=declared, namespace=namespace
    )
    return views(world, world.analyze())


def _nothing_judged(report: LintReport, tenant_paths: list[str]) -> list[InputError]:
    """Input that leaves lint nothing to judge: a gate that passes it would be a gate turned off by a typo."""
    if not report.tenants:
        where = ", ".join(tenant_paths)
        message = (
            f"no Tenant found in --tenants {where}" if tenant_paths else "no Tenants given (--tenants PATH)"
        ) + ", nor among the inputs: without them nothing in a tenant namespace can be judged"
        return [InputError(file="", line=0, message=message)]
    if report.objects == 0:
        return [] if report.errors else [InputError(file="", line=0, message="no Kubernetes objects in the inputs")]
    if report.judged == 0:
        reasons = sorted({n.reason.value for n in report.not_judged})
        return [
            InputError(
                file="",
                line=0,
                message=f"nothing could be judged: {_objects(report.objects)}, none in a namespace a Tenant owns "
                f"({', '.join(reasons)}; each is listed as not judged)",
            )
        ]
    return []


def _objects(n: int) -> str:
    return f"{n} object" if n == 1 else f"{n} objects"


def lint_cluster(
    context: list[Manifest],
    inputs: list[Manifest],
    settings: Settings = DEFAULT_SETTINGS,
    namespace: str | None = None,
) -> tuple[ClusterState, list[InputError]]:
    """Lint's cluster: Tenants from both the inputs and --tenants; Namespaces (their labels) only from
    --tenants, since a Namespace among the inputs is judged rather than taken as context; from both, to be looked
    up by name (`ClusterState.learn`): ConfigMaps, so that a model named through one of them is read (SRV003)
    rather than reported unknown (SRV008); the workloads an autoscaler may target (an HPA is judged against its
    target when lint sees the two together); DRA DeviceClasses, ResourceClaims and ResourceClaimTemplates (a pod
    is judged with the devices of the claims it names). Nothing is held: the claims are about to be applied."""
    tenants = [m for m in (*context, *inputs) if m.obj.get("kind") == "Tenant"]
    namespaces = [m for m in context if m.obj.get("kind") == "Namespace"]
    cluster = platform.cluster_from([*tenants, *namespaces], settings)
    for m in (*context, *inputs):
        cluster.learn(m.obj, namespace)
    return cluster, platform.tenant_errors(tenants)


def judge(m: Manifest, cluster: ClusterState, namespace: str | None = None, request: Request | None = None) -> Verdict:
    obj: dict[str, Any] = m.obj
    meta = obj.get("metadata") or {}
    kind = obj["kind"]
    ns = meta.get("namespace") or (namespace if kind != "Namespace" else None) or ""
    evaluation = review(obj, cluster, request, namespace=ns or None).evaluation
    name = meta.get("name") or meta.get("generateName") or ""
    if evaluation.skipped:
        reason, detail = why_not_judged(kind, ns, cluster)
        skipped = NotJudged(reason=reason, detail=detail, kind=kind, namespace=ns, name=name, file=m.file, line=m.line)
        return Verdict(results=[], waived=[], not_judged=skipped)

    def result(v: Violation) -> Result:
        return Result.of(
            v,
            kind=kind,
            namespace=ns,
            name=name,
            tenant=evaluation.tenant,
            file=m.file,
            line=manifests.locate(m, v.path),
        )

    return Verdict(results=[result(v) for v in evaluation.violations], waived=[result(v) for v in evaluation.waived])
