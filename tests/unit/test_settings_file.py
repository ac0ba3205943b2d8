"""`serve --config` reloads: a changed, valid file takes effect; a broken one is logged once and ignored."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tenantguard.policies.model import Mode
from tenantguard.policies.settings import Settings
from tenantguard.webhook.settings_file import SettingsFile


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text("ruleModes: {PSS002: enforce}\n")
    return path


def test_a_changed_valid_file_replaces_the_settings(config: Path) -> None:
    applied: list[Settings] = []
    watched = SettingsFile(config, applied.append)
    assert watched.reload() is False, "unchanged since start"
    config.write_text("ruleModes: {PSS002: warn}\n")
    assert watched.reload() is True and watched.reload() is False
    assert [s.rule_modes["PSS002"] for s in applied] == [Mode.WARN]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("ruleModes: [\n", "invalid YAML"),
        ("ruleModes: {PSS02: warn}\n", "unknown rule 'PSS02'"),
        ("enforcement: {gpu: deny}\n", "enforcement.gpu: must be one of"),
    ],
    ids=["yaml", "unknown-rule", "schema"],
)
def test_a_bad_file_keeps_the_current_settings_and_is_logged_once(
    config: Path, caplog: pytest.LogCaptureFixture, text: str, problem: str
) -> None:
    applied: list[Settings] = []
    watched = SettingsFile(config, applied.append)
    config.write_text(text)
    with caplog.at_level(logging.WARNING, logger="tenantguard.settings"):
        assert watched.reload() is False and watched.reload() is False
    (record,) = caplog.records
    assert "keeping the current settings" in record.getMessage()
    assert any(problem in p for p in record.__dict__["fields"]["problems"])
    assert applied == []
    config.write_text("ruleModes: {PSS002: audit}\n")
    assert watched.reload() is True and applied[-1].rule_modes["PSS002"] is Mode.AUDIT


def test_a_removed_file_keeps_the_current_settings(config: Path, caplog: pytest.LogCaptureFixture) -> None:
    applied: list[Settings] = []
    watched = SettingsFile(config, applied.append)
    config.unlink()
    with caplog.at_level(logging.WARNING, logger="tenantguard.settings"):
        assert watched.reload() is False and watched.reload() is False
    assert len(caplog.records) == 1 and applied == []
