"""Lint: judge manifests as admission would (mutate, then validate) without a cluster.

Tenants come from the inputs and from `--tenants` paths; Namespaces found in `--tenants` are cluster
context (their labels), read but not linted. Bad files become InputErrors; every other file is still judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tenantguard import manifests, platform
from tenantguard.audit.results import Result
from tenantguard.manifests import InputError, Manifest
from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import review
from tenantguard.policies.request import Request
from tenantguard.policies.scaling import BY_KIND
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings


@dataclass(slots=True)
class LintReport:
    results: list[Result] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    objects: int = 0
    files: set[str] = field(default_factory=set)
    tenants: list[str] = field(default_factory=list)


def lint(
    paths: Iterable[str],
    *,
    tenant_paths: Iterable[str] = (),
    settings: Settings = DEFAULT_SETTINGS,
    namespace: str | None = None,
) -> LintReport:
    report = LintReport()
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
        report.results.extend(judge(m, cluster, namespace, request))
    return report


def lint_cluster(
    context: list[Manifest],
    inputs: list[Manifest],
    settings: Settings = DEFAULT_SETTINGS,
    namespace: str | None = None,
) -> tuple[ClusterState, list[InputError]]:
    """Lint's cluster: Tenants from both the inputs and --tenants; Namespaces (their labels) only from
    --tenants, since a Namespace among the inputs is judged rather than taken as context; the workloads an
    autoscaler may target from both (an HPA is judged against its target when lint sees the two together)."""
    tenants = [m for m in (*context, *inputs) if m.obj.get("kind") == "Tenant"]
    namespaces = [m for m in context if m.obj.get("kind") == "Namespace"]
    cluster = platform.cluster_from([*tenants, *namespaces], settings)
    for m in (*context, *inputs):
        if m.obj.get("kind") in BY_KIND:
            cluster.put_workload(m.obj, namespace)
    return cluster, platform.tenant_errors(tenants)


def judge(
    m: Manifest, cluster: ClusterState, namespace: str | None = None, request: Request | None = None
) -> list[Result]:
    obj: dict[str, Any] = m.obj
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or (namespace if obj.get("kind") != "Namespace" else None) or ""
    evaluation = review(obj, cluster, request, namespace=ns or None).evaluation
    name = meta.get("name") or meta.get("generateName") or ""
    return [
        Result.of(
            v,
            kind=obj["kind"],
            namespace=ns,
            name=name,
            tenant=evaluation.tenant,
            file=m.file,
            line=manifests.locate(m, v.path),
        )
        for v in evaluation.violations
    ]
