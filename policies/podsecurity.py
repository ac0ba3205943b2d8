"""Pod Security levels and policy versions, and which pod-security checks run for a tenant.

Mirrors Kubernetes' Pod Security Admission (k8s.io/pod-security-admission, `api/` and `policy/registry.go`):
- a check has a level (baseline or restricted) and one or more versions, each a pure function that applies
  from a minimum Kubernetes version until the next one; changed behaviour is a new version;
- a restricted check may override baseline checks (from a version on): at `restricted` those baseline
  checks do not run, the stricter one replaces them;
- a policy version is `latest` or `v1.N`; a version newer than every check's last version behaves as
  `latest`, and a check whose first version is newer than the pin does not run at all.

The rules declare this as data (`Rule.level`, `Rule.versions`); `select` decides, once per level and
version, which rule runs with which function. The engine asks it; no check gates its own level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenantguard.policies.rule import Check, Rule
    from tenantguard.policies.settings import Settings
    from tenantguard.policies.tenancy import Tenant


class Level(StrEnum):
    """Pod Security Standards levels. `privileged` only appears on namespaces: rules and Tenants have the
    other two."""

    PRIVILEGED = "privileged"
    BASELINE = "baseline"
    RESTRICTED = "restricted"

    def includes(self, other: Level) -> bool:
        """restricted includes baseline includes privileged."""
        return _RANK[self] >= _RANK[other]


_RANK = {Level.PRIVILEGED: 0, Level.BASELINE: 1, Level.RESTRICTED: 2}


@dataclass(frozen=True, slots=True, order=True, kw_only=True)
class Version:
    """A Pod Security policy version: `v1.N`, or `latest`, which is newer than every `v1.N`."""

    latest: bool = False  # first: it decides the order before `minor` does
    minor: int = 0

    def __str__(self) -> str:
        return "latest" if self.latest else f"v1.{self.minor}"


LATEST = Version(latest=True)
# PSA's own pattern (api.ParseVersion); also the Tenant CRD's and the settings' schema pattern.
VERSION_PATTERN = r"^(latest|v1\.(0|[1-9][0-9]*))$"
_VERSION = re.compile(r"latest|v1\.(0|[1-9][0-9]*)")


def v1(minor: int) -> Version:
    return Version(minor=minor)


def parse_version(text: str) -> Version:
    """`latest` or `v1.N`; ValueError otherwise (the schemas reject such values before they get here)."""
    m = _VERSION.fullmatch(text)
    if m is None:
        raise ValueError(f'must be "latest" or "v1.N", got {text!r}')
    return LATEST if m.group(1) is None else v1(int(m.group(1)))


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelVersion:
    """What a tenant is judged by: PSA's LevelVersion (`restricted:v1.30`)."""

    level: Level
    version: Version = LATEST

    def __str__(self) -> str:
        return f"{self.level}:{self.version}"


def policy_for(tenant: Tenant | None, settings: Settings) -> LevelVersion | None:
    """The tenant's level at its pinned version, else the settings' default version; None: no tenant."""
    if tenant is None:
        return None
    pinned = tenant.pod_security_version
    return _level_version(tenant.pod_security, pinned if pinned is not None else settings.pod_security_version)


@lru_cache(maxsize=64)
def _level_version(level: Level, version: Version) -> LevelVersion:
    # Asked for every object judged; one value per pair also makes the engine's plan lookup cheaper to hash.
    return LevelVersion(level=level, version=version)


def select(rules: Iterable[Rule], policy: LevelVersion) -> Mapping[str, Check]:
    """The rules with a level that run under `policy`, by ID, each with its function for that version.

    A rule runs when the policy's level includes the rule's and it has a version at or before the pin
    (the newest such one is used); at `restricted`, baseline rules that a running restricted rule's
    version overrides are left out.
    """
    chosen: dict[str, Check] = {}
    overridden: set[str] = set()
    for rule in rules:
        if rule.level is None or not policy.level.includes(rule.level):
            continue
        current = [v for v in rule.versions if v.since <= policy.version]
        if current:
            chosen[rule.id] = current[-1].check
            overridden |= current[-1].overrides
    return {rule_id: check for rule_id, check in chosen.items() if rule_id not in overridden}


def problems(rule: Rule, levels: Mapping[str, Level | None]) -> list[str]:
    """What is wrong with a rule's level and versions (PSA's validateChecks); `levels` maps every rule ID."""
    if rule.level is None:
        return ["versions need a level"] if rule.versions else []
    found = []
    if rule.level is Level.PRIVILEGED:
        found.append("level must be baseline or restricted")
    if not rule.versions:
        return [*found, "a rule with a level needs versions"]
    since = [v.since for v in rule.versions]
    if any(s.latest for s in since):
        found.append("a version cannot be 'latest'")
    if any(a >= b for a, b in pairwise(since)):
        found.append("versions must be strictly increasing")
    if rule.check is not rule.versions[-1].check:
        found.append("check must be the last version's function")
    for v in rule.versions:
        if v.overrides and rule.level is not Level.RESTRICTED:
            found.append("only restricted rules may override")
        for target in sorted(v.overrides):
            if levels.get(target, Level.PRIVILEGED) is not Level.BASELINE:
                found.append(f"overrides {target}, which is not a baseline rule")
    return found
