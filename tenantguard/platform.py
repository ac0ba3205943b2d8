"""The platform's configuration from files: settings, and the Tenants, Namespaces and DRA DeviceClasses that lint
and the webhook's static mode take as their cluster.

One reader for both (`tenantguard.manifests`), so a Tenant file means the same to `tenantguard lint
--tenants` as to `tenantguard serve --tenants`, with the same errors at the same file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from tenantguard import manifests
from tenantguard.manifests import InputError, Manifest
from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.registry import unknown_rule_ids
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings, SettingsError, settings_from_yaml
from tenantguard.policies.tenancy import TenantError, parse_tenant

CONTEXT_KINDS = frozenset({"Tenant", "Namespace", "DeviceClass"})


def load_settings(path: str | None) -> Settings:
    """Settings from a YAML file (the defaults when None); SettingsError names the file and each field,
    including rule IDs no rule has (in `ruleModes` and `exceptions`)."""
    if path is None:
        return DEFAULT_SETTINGS
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SettingsError([f"{path}: {err}"]) from err
    return settings_from_text(text, path)


def settings_from_text(text: str, path: str) -> Settings:
    """A settings file's text, validated as `load_settings` does (for callers that read the bytes themselves)."""
    settings = settings_from_yaml(text, path)
    problems = unknown_rule_ids(settings)
    if problems:
        raise SettingsError([f"{path}: {p}" for p in problems])
    return settings


def tenant_errors(found: Iterable[Manifest]) -> list[InputError]:
    """An InputError at its file and line for every invalid field of every Tenant among `found`."""
    errors: list[InputError] = []
    for m in found:
        if m.obj.get("kind") != "Tenant":
            continue
        try:
            parse_tenant(m.obj)
        except TenantError as err:
            errors.extend(
                InputError(file=m.file, line=m.line, message=f"Tenant {err.name!r}: {p}") for p in err.problems
            )
    return errors


def cluster_from(found: Iterable[Manifest], settings: Settings = DEFAULT_SETTINGS) -> ClusterState:
    """The ClusterState of Tenants, Namespaces and DeviceClasses among `found` (nothing runs: pods are not known;
    a DeviceClass's selectors weigh its devices, `policies.dra`)."""
    state = ClusterState(settings, pods_known=False)
    context = [m.obj for m in found if m.obj.get("kind") in CONTEXT_KINDS]
    state.replace_tenants(o for o in context if o.get("kind") == "Tenant")
    state.replace_namespaces(o for o in context if o.get("kind") == "Namespace")
    state.replace_device_classes(o for o in context if o.get("kind") == "DeviceClass")
    return state


def read_context(paths: Iterable[str]) -> tuple[list[Manifest], list[InputError]]:
    """Every object under `paths` and every input error, for callers that take Tenants from files."""
    found: list[Manifest] = []
    errors: list[InputError] = []
    for item in manifests.read(paths):
        (errors if isinstance(item, InputError) else found).append(item)  # type: ignore[arg-type]
    return found, errors
