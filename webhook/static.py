"""Static mode: Tenants (and their Namespaces' labels) from files; nothing is watched, nothing runs.

The files are read as lint reads `--tenants` (`tenantguard.platform`): the same Tenant gets the same
verdicts, and an unusable file or Tenant stops the server at startup with its file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tenantguard import platform
from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.settings import Settings, SettingsError


class ConfigError(ValueError):
    """Unusable configuration at startup: the message names the file and the problem."""


def load_settings(path: str | None) -> Settings:
    try:
        return platform.load_settings(path)
    except SettingsError as err:
        raise ConfigError("; ".join(err.problems)) from err


class StaticSource:
    """The webhook's ClusterSource in static mode."""

    def __init__(self, settings: Settings, tenant_paths: Iterable[str]) -> None:
        found, errors = platform.read_context(tenant_paths)
        errors += platform.tenant_errors(found)
        if errors:
            raise ConfigError("; ".join(e.render() for e in errors))
        self.state = platform.cluster_from(found, settings)

    def cluster(self) -> ClusterState:
        return self.state

    def ready(self) -> tuple[bool, str]:
        return True, f"static: {len(self.state.tenants.by_name)} tenants"

    def counts(self) -> Mapping[str, int]:
        return self.state.counts()
