"""Static mode: Tenants (and their Namespaces' labels) from files; nothing is watched, nothing runs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tenantguard.policies.engine import Policy
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings, SettingsError, settings_from_yaml
from tenantguard.policies.tenancy import TenantError, TenantIndex, parse_tenant


class ConfigError(ValueError):
    """Unusable configuration at startup: the message names the file and the problem."""


def _documents(paths: Iterable[str]) -> Iterable[tuple[str, dict[str, Any]]]:
    for raw in paths:
        p = Path(raw)
        files = sorted(f for f in p.rglob("*") if f.suffix in (".yaml", ".yml", ".json")) if p.is_dir() else [p]
        for f in files:
            try:
                docs = list(yaml.load_all(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
            except (OSError, yaml.YAMLError) as err:
                raise ConfigError(f"{f}: {err}") from err
            for doc in docs:
                if isinstance(doc, dict):
                    items = doc.get("items") if str(doc.get("kind", "")).endswith("List") else [doc]
                    for item in items or ():
                        if isinstance(item, dict):
                            yield str(f), item


def load_settings(path: str | None) -> Settings:
    if not path:
        return DEFAULT_SETTINGS
    try:
        return settings_from_yaml(Path(path).read_text(encoding="utf-8"), path)
    except OSError as err:
        raise ConfigError(f"{path}: {err}") from err
    except SettingsError as err:
        raise ConfigError("; ".join(err.problems)) from err


class StaticSource:
    def __init__(self, settings: Settings, tenant_paths: Iterable[str]) -> None:
        tenants = []
        labels: dict[str, dict[str, str]] = {}
        for file, obj in _documents(tenant_paths):
            if obj.get("kind") == "Tenant":
                try:
                    tenants.append(parse_tenant(obj))
                except TenantError as err:
                    raise ConfigError(f"{file}: {err}") from err
            elif obj.get("kind") == "Namespace":
                meta = obj.get("metadata") or {}
                labels[str(meta.get("name"))] = dict(meta.get("labels") or {})
        self._labels = labels
        self._policy = Policy(settings=settings, tenants=TenantIndex.build(tenants), view=self)

    def policy(self) -> Policy:
        return self._policy

    def ready(self) -> tuple[bool, str]:
        return True, f"static: {len(self._policy.tenants.by_name)} tenants"

    def gpu_usage(self, tenant: str, *, exclude: tuple[str, str, str] | None = None) -> int:
        return 0

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        return self._labels.get(namespace)
