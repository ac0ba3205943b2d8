"""Lint: judge manifests as admission would (mutate, then validate) without a cluster.

Tenants come from the inputs and from `--tenants` paths; Namespaces found in `--tenants` are cluster
context (their labels), read but not linted. Bad files become InputErrors; every other file is still judged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenantguard.audit import manifests
from tenantguard.audit.manifests import InputError, Manifest
from tenantguard.audit.results import Result
from tenantguard.policies.engine import Policy, review
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings, SettingsError, settings_from_yaml
from tenantguard.policies.tenancy import Tenant, TenantError, TenantIndex, parse_tenant


@dataclass(slots=True)
class LintReport:
    results: list[Result] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    objects: int = 0
    files: set[str] = field(default_factory=set)
    tenants: list[str] = field(default_factory=list)


class StaticView:
    """Cluster context from files: namespace labels; nothing runs, so no GPUs are in use."""

    def __init__(self, namespaces: Mapping[str, Mapping[str, str]]) -> None:
        self._labels = namespaces

    def gpu_usage(self, tenant: str, *, exclude: tuple[str, str, str] | None = None) -> int:
        return 0

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        return self._labels.get(namespace)


def load_settings(path: str | None) -> Settings:
    """Settings from a YAML file (defaults when None); SettingsError names the file and fields."""
    if path is None:
        return DEFAULT_SETTINGS
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise SettingsError([f"{path}: {err}"]) from err
    return settings_from_yaml(text, path)


def _tenants(found: Iterable[Manifest], report: LintReport) -> list[Tenant]:
    tenants: list[Tenant] = []
    for m in found:
        try:
            tenants.append(parse_tenant(m.obj))
        except TenantError as err:
            for problem in err.problems:
                report.errors.append(InputError(file=m.file, line=m.line, message=f"Tenant {err.name!r}: {problem}"))
    return tenants


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
    tenant_objs = [m for m in (*context, *inputs) if m.obj.get("kind") == "Tenant"]
    tenants = _tenants(tenant_objs, report)
    report.tenants = sorted(t.name for t in tenants)
    ns_labels = {
        m.obj["metadata"]["name"]: dict(m.obj["metadata"].get("labels") or {})
        for m in context
        if m.obj.get("kind") == "Namespace"
    }
    policy = Policy(settings=settings, tenants=TenantIndex.build(tenants), view=StaticView(ns_labels))
    for m in inputs:
        report.objects += 1
        report.results.extend(judge(m, policy, namespace))
    return report


def judge(m: Manifest, policy: Policy, namespace: str | None = None) -> list[Result]:
    obj: dict[str, Any] = m.obj
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace") or (namespace if obj.get("kind") != "Namespace" else None) or ""
    evaluation = review(obj, policy, namespace=ns or None).evaluation
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
