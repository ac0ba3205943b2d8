"""policies.podsecurity: levels, versions and which pod-security rules run at a level and version, as PSA decides.

The expected sets follow PSA's registry (k8s.io/pod-security-admission policy/check_*.go, v1.37): each check's
level, the version of its first function, and the baseline checks a restricted check overrides from a version.
"""

from __future__ import annotations

import dataclasses

import pytest

from tenantguard.policies import registry
from tenantguard.policies.engine import evaluate
from tenantguard.policies.podsecurity import (
    LATEST,
    Level,
    LevelVersion,
    parse_version,
    policy_for,
    problems,
    select,
    v1,
)
from tenantguard.policies.rule import VersionedCheck
from tenantguard.policies.rules.podsecurity import (
    pss008_se_linux_options,
    pss011_sysctls,
    pss014_allow_privilege_escalation,
)
from tenantguard.policies.rules.podsecurity.examples import example_pod, restricted_container
from tenantguard.policies.settings import DEFAULT_SETTINGS, SettingsError, parse_settings
from tenantguard.policies.tenancy import TenantError, parse_tenant
from tests.support.fixtures import ACME_SPEC, cluster_for, request, tenant_object

BASELINE_ALL = {f"PSS{i:03d}" for i in range(1, 13)}
RESTRICTED_ONLY = {f"PSS{i:03d}" for i in range(13, 20)}


def run(level: Level, version: str) -> set[str]:
    return set(select(registry.RULES, LevelVersion(level=level, version=parse_version(version))))


@pytest.mark.parametrize(
    ("text", "version"), [("latest", LATEST), ("v1.0", v1(0)), ("v1.25", v1(25)), ("v1.100", v1(100))]
)
def test_versions_parse_like_psa(text: str, version: object) -> None:
    assert parse_version(text) == version
    assert str(version) == text


@pytest.mark.parametrize("text", ["", "1.25", "v1.025", "v2.0", "v1.", "v1.x", "Latest", "latest\n", "v1.25\n"])
def test_malformed_versions_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r'must be "latest" or "v1\.N"'):
        parse_version(text)


def test_latest_is_newer_than_every_version() -> None:
    assert v1(0) < v1(9) < v1(10) < v1(37) < v1(10_000) < LATEST


def test_levels_include_the_weaker_ones() -> None:
    assert Level.RESTRICTED.includes(Level.BASELINE) and Level.BASELINE.includes(Level.PRIVILEGED)
    assert not Level.BASELINE.includes(Level.RESTRICTED)


def test_latest_baseline_runs_the_baseline_rules() -> None:
    assert run(Level.BASELINE, "latest") == BASELINE_ALL


def test_latest_restricted_drops_the_overridden_baseline_rules() -> None:
    assert (
        run(Level.RESTRICTED, "latest") == (BASELINE_ALL - {"PSS004", "PSS005", "PSS009", "PSS010"}) | RESTRICTED_ONLY
    )


@pytest.mark.parametrize(
    ("version", "absent", "present"),
    [
        ("v1.34", {"PSS019"}, {"PSS009", "PSS012"}),  # procMount_restricted is v1.35: baseline procMount runs
        ("v1.33", {"PSS012", "PSS019"}, {"PSS009"}),  # hostProbesAndHostLifecycle is v1.34
        ("v1.22", {"PSS004", "PSS012", "PSS016"}, {"PSS018"}),  # runAsUser is v1.23
        ("v1.21", {"PSS016", "PSS018"}, {"PSS004", "PSS017"}),  # capabilities_restricted is v1.22
        ("v1.18", {"PSS016", "PSS017", "PSS018"}, {"PSS004", "PSS010", "PSS014"}),  # seccomp_restricted is v1.19
        ("v1.7", {"PSS014", "PSS016", "PSS017", "PSS018"}, {"PSS013", "PSS015"}),  # allowPrivilegeEscalation v1.8
        ("v1.0", {"PSS005", "PSS012", "PSS014", "PSS019"}, {"PSS013", "PSS015", "PSS009", "PSS010"}),
    ],
)
def test_pinned_restricted_runs_what_psa_had_then(version: str, absent: set[str], present: set[str]) -> None:
    running = run(Level.RESTRICTED, version)
    assert not running & absent and present <= running


def test_a_version_newer_than_every_rule_is_latest() -> None:
    latest = select(registry.RULES, LevelVersion(level=Level.RESTRICTED))
    assert select(registry.RULES, LevelVersion(level=Level.RESTRICTED, version=v1(99))) == latest


def test_the_pinned_version_picks_each_rules_function() -> None:
    def function(rule_id: str, version: str) -> object:
        return select(registry.RULES, LevelVersion(level=Level.BASELINE, version=parse_version(version)))[rule_id]

    assert function("PSS008", "v1.30") is pss008_se_linux_options.check_v1_0
    assert function("PSS008", "v1.31") is pss008_se_linux_options.check_v1_31
    assert function("PSS011", "v1.28") is pss011_sysctls.check_v1_27
    assert function("PSS011", "latest") is pss011_sysctls.check_v1_37
    restricted = select(registry.RULES, LevelVersion(level=Level.RESTRICTED, version=v1(24)))
    assert restricted["PSS014"] is pss014_allow_privilege_escalation.check_v1_8


def test_every_registered_rule_is_well_formed() -> None:
    levels = {r.id: r.level for r in registry.RULES}
    assert {r.id: problems(r, levels) for r in registry.RULES if problems(r, levels)} == {}
    assert {r.id for r in registry.RULES if r.level is not None} == BASELINE_ALL | RESTRICTED_ONLY


def _broken(**changes: object) -> list[str]:
    rule = dataclasses.replace(registry.BY_ID["PSS018"], **changes)  # type: ignore[arg-type]
    return problems(rule, {r.id: r.level for r in registry.RULES})


def test_malformed_levels_and_versions_are_refused() -> None:
    check = registry.BY_ID["PSS018"].check
    at = [VersionedCheck(since=v1(25), check=check), VersionedCheck(since=v1(22), check=check)]
    assert "versions must be strictly increasing" in _broken(versions=tuple(at))
    assert "a rule with a level needs versions" in _broken(versions=())
    assert "versions need a level" in _broken(level=None)
    assert "level must be baseline or restricted" in _broken(level=Level.PRIVILEGED)
    assert "a version cannot be 'latest'" in _broken(versions=(VersionedCheck(since=LATEST, check=check),))
    early = (VersionedCheck(since=v1(22), check=check), VersionedCheck(since=v1(25), check=lambda s, c: iter(())))
    assert "check must be the last version's function" in _broken(versions=early)
    wrong = VersionedCheck(since=v1(25), check=check, overrides=frozenset({"PSS017"}))
    assert "overrides PSS017, which is not a baseline rule" in _broken(versions=(wrong,))
    assert "only restricted rules may override" in _broken(level=Level.BASELINE)


def test_a_tenant_pin_wins_over_the_settings_default() -> None:
    pinned = parse_tenant(tenant_object("acme", {**ACME_SPEC, "podSecurityVersion": "v1.30"}))
    unpinned = parse_tenant(tenant_object("acme", ACME_SPEC))
    settings = parse_settings({"podSecurityVersion": "v1.33"})
    assert policy_for(pinned, settings) == LevelVersion(level=Level.RESTRICTED, version=v1(30))
    assert policy_for(unpinned, settings) == LevelVersion(level=Level.RESTRICTED, version=v1(33))
    assert policy_for(unpinned, DEFAULT_SETTINGS) == LevelVersion(level=Level.RESTRICTED, version=LATEST)
    assert policy_for(None, settings) is None
    assert str(policy_for(pinned, settings)) == "restricted:v1.30"


@pytest.mark.parametrize("value", ["1.30", "v1.030", "newest", "latest\n", 30])
def test_a_malformed_tenant_pin_names_the_field(value: object) -> None:
    with pytest.raises(TenantError) as err:
        parse_tenant(tenant_object("acme", {**ACME_SPEC, "podSecurityVersion": value}))
    assert all(p.startswith("spec.podSecurityVersion: ") for p in err.value.problems), err.value.problems


@pytest.mark.parametrize("value", ["1.30", "latest\n"])
def test_a_malformed_settings_default_names_the_field(value: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_settings({"podSecurityVersion": value})
    assert [p.split(":")[0] for p in err.value.problems] == ["podSecurityVersion"]


def test_the_settings_default_pins_unpinned_tenants() -> None:
    windows = example_pod(restricted_container(allowPrivilegeEscalation=None), os={"name": "windows"})
    settings = parse_settings({"podSecurityVersion": "v1.24"})

    def rules(tenant: dict[str, str] | None) -> set[str]:
        return {v.rule for v in evaluate(windows, cluster_for(tenant, settings=settings), request()).violations}

    assert "PSS014" in rules(None)
    assert "PSS014" not in rules({"podSecurityVersion": "latest"})
