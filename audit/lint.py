"""Lint: judge manifests as admission would (mutate, then validate) without a cluster.

Tenants come from the inputs and from `--tenants` paths; Namespaces found in `--tenants` are cluster
context (their labels), read but not linted. Bad files become InputErrors; every other file is still judged.
Objects the engine skips are listed with the reason (`audit.coverage`); lint never passes silently what it
could not judge: no objects, no Tenants, or nothing judged is unusable input. With `reachability=True` it also
computes who could reach whom once the inputs are applied (`policies.isolation.views`: representative pods
from the workload templates, the tenant and namespace matrices, cross-tenant paths, exposure).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tenantguard import manifests, platform
from tenantguard.audit import workers
from tenantguard.audit.coverage import OUTSIDE_TENANTS, NotJudged, why_not_judged
from tenantguard.audit.results import Result
from tenantguard.manifests import InputError, Manifest
from tenantguard.policies.cluster import LEARNED_KINDS, WORKLOAD_READERS, ClusterState
from tenantguard.policies.engine import review
from tenantguard.policies.model import Violation
from tenantguard.policies.request import Request
from tenantguard.policies.scaling import BY_KIND as SCALABLE_KINDS
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
    jobs: int = 1,
) -> LintReport:
    """`jobs`: worker processes that read and judge the input files (0: one per CPU when the inputs are large
    enough to pay for them, `workers.count`); the report is the same whatever the number."""
    report = LintReport()
    tenant_paths = list(tenant_paths)
    context: list[Manifest] = []
    for item in manifests.read(tenant_paths):
        if isinstance(item, InputError):
            report.errors.append(item)
        else:
            context.append(item)
    names = list(manifests.expand_paths(paths))
    judging = _Judging(context=context, settings=settings, namespace=namespace)
    n = 1 if reachability or "-" in names else workers.count(jobs, [_size(name) for name in names])
    if n > 1:
        _lint_in_workers(report, names, judging, n, allow_unowned)
    else:
        reads = [_read(name) for name in names]
        inputs = [m for r in reads for m in r.manifests]
        cluster = _collect(report, judging, reads)
        for r in reads:
            _add(report, judging.judge(r.manifests, cluster), allow_unowned)
        if reachability:
            report.reachability = _views(context, inputs, cluster, settings, namespace)
    report.errors.extend(_nothing_judged(report, tenant_paths))
    return report


@dataclass(frozen=True, slots=True, kw_only=True)
class _Read:
    """What one input name gave: its objects, its errors, and the file names they carry."""

    manifests: list[Manifest]
    errors: list[InputError]
    files: set[str]


def _read(name: str | InputError) -> _Read:
    if isinstance(name, InputError):
        return _Read(manifests=[], errors=[name], files={name.file})
    found: list[Manifest] = []
    errors: list[InputError] = []
    files: set[str] = set()
    for item in manifests.read_file(name):
        files.add(item.file)
        if isinstance(item, InputError):
            errors.append(item)
        else:
            found.append(item)
    return _Read(manifests=found, errors=errors, files=files)


def _size(name: str | InputError) -> int:
    try:
        return 0 if isinstance(name, InputError) else os.stat(name).st_size
    except OSError:
        return 0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Judging:
    """What judging needs besides the inputs; a forked worker has it from its parent."""

    context: list[Manifest]
    settings: Settings
    namespace: str | None
    request: Request = field(default_factory=Request)  # one for the run: its clock decides exceptions' expiry

    def cluster(self, inputs: list[Manifest]) -> tuple[ClusterState, list[InputError]]:
        return lint_cluster(self.context, inputs, self.settings, self.namespace)

    def judge(self, inputs: list[Manifest], cluster: ClusterState) -> list[Verdict]:
        return [judge(m, cluster, self.namespace, self.request) for m in inputs]


def _collect(report: LintReport, judging: _Judging, reads: list[_Read]) -> ClusterState:
    """The inputs' files and errors into the report, in input order; the cluster they describe."""
    for r in reads:
        report.files.update(r.files)
        report.errors.extend(r.errors)
    cluster, errors = judging.cluster([m for r in reads for m in r.manifests])
    report.errors.extend(errors)
    report.tenants = sorted(cluster.tenants.by_name)
    return cluster


def _add(report: LintReport, verdicts: list[Verdict], allow_unowned: bool) -> None:
    for verdict in verdicts:
        report.objects += 1
        report.results.extend(verdict.results)
        report.waived.extend(verdict.waived)
        if verdict.not_judged is not None:
            skipped = verdict.not_judged
            blocking = skipped.reason in OUTSIDE_TENANTS and not allow_unowned
            report.not_judged.append(replace(skipped, blocking=True) if blocking else skipped)


def _lint_in_workers(
    report: LintReport, names: list[str | InputError], judging: _Judging, n: int, allow_unowned: bool
) -> None:
    """Each worker reads its share of the files and sends back what the cluster needs from them (`_Shared`); this
    process reports the files' errors and Tenants in input order, as the serial run does, and passes the rest on,
    in input order, to every worker, which builds the same cluster and judges the objects it read."""
    shares = workers.split([_size(name) for name in names], n)

    def first(share: Sequence[int]) -> tuple[list[_Shared], list[_Read]]:
        reads = [_read(names[i]) for i in share]
        return [_Shared.of(r) for r in reads], reads

    def combine(summaries: list[list[_Shared]]) -> tuple[list[Manifest], list[bytes]]:
        ordered = workers.in_order(shares, summaries)
        _collect(report, judging, [s.tenants for s in ordered])
        tenants = [m for s in ordered for m in s.tenants.manifests]
        # Workloads only when something reads them; ClusterState keeps them apart from the other kinds, so
        # learning them after those gives the cluster the serial run builds.
        workloads = [s.workloads for s in ordered] if any(s.reads_workloads for s in ordered) else []
        return tenants, [s.learned for s in ordered] + workloads

    def second(reads: list[_Read], shared: tuple[list[Manifest], list[bytes]]) -> list[list[Verdict]]:
        tenants, learned = shared
        cluster, _ = judging.cluster(tenants)
        for data in learned:
            for obj in pickle.loads(data):
                cluster.learn(obj, judging.namespace)
        return [judging.judge(r.manifests, cluster) for r in reads]

    for verdicts in workers.in_order(shares, workers.run(shares, first, combine, second)):
        _add(report, verdicts, allow_unowned)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shared:
    """What a worker sends back of one file: its errors and Tenants (`tenants`), and, pickled once (plain dicts
    pickle fastest), the objects `ClusterState.learn` keeps: the workloads apart, needed only where an input
    reads them (`WORKLOAD_READERS`)."""

    tenants: _Read
    learned: bytes
    workloads: bytes
    reads_workloads: bool

    @classmethod
    def of(cls, r: _Read) -> _Shared:
        learned, workloads = [], []
        for m in r.manifests:
            kind = m.obj.get("kind")
            if kind in SCALABLE_KINDS:
                workloads.append(m.obj)
            elif kind in LEARNED_KINDS:
                learned.append(m.obj)
        return cls(
            tenants=replace(r, manifests=[m for m in r.manifests if m.obj.get("kind") == "Tenant"]),
            learned=pickle.dumps(learned, pickle.HIGHEST_PROTOCOL),
            workloads=pickle.dumps(workloads, pickle.HIGHEST_PROTOCOL),
            reads_workloads=any(m.obj.get("kind") in WORKLOAD_READERS for m in r.manifests),
        )


def _views(
    context: list[Manifest], inputs: list[Manifest], cluster: ClusterState, settings: Settings, namespace: str | None
) -> dict[str, Any]:
    """Who could reach whom once the inputs are applied, the --tenants Namespaces giving their labels."""
    # Imported here: the network analysis is a tenth of lint's start-up, and only --reachability needs it.
    from tenantguard.policies.isolation.views import views
    from tenantguard.policies.isolation.world import from_objects

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
