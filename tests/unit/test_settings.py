"""Settings: defaults, validation with field names, modes per category and rule, time-boxed exceptions."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Category, Mode, Severity
from tenantguard.policies.request import Request
from tenantguard.policies.settings import DEFAULT_SETTINGS, SettingsError, parse_settings, settings_from_yaml
from tenantguard.webhook.static import ConfigError, load_settings
from tests.support.fixtures import cluster_for, pod


def test_no_file_is_the_defaults() -> None:
    assert parse_settings(None) == parse_settings({}) == DEFAULT_SETTINGS
    assert DEFAULT_SETTINGS.is_exempt("kube-system") and DEFAULT_SETTINGS.is_exempt("tenantguard-system")
    assert not DEFAULT_SETTINGS.is_exempt("acme-prod")


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"enforcement": {"gpu": "deny"}}, "enforcement.gpu: must be one of"),
        ({"enforcement": {"storage": "warn"}}, "enforcement.storage: unknown field"),
        ({"tenantLabel": 3}, "tenantLabel: must be string"),
        ({"exceptions": [{"rule": "GPU001", "until": "2026-12-01"}]}, "exceptions[0].reason: required"),
        ({"exceptions": [{"rule": "GPU001", "reason": "x", "until": "2026-13-45"}]}, "exceptions[0].until"),
        ({"migProfiles": [{"product": "A100(", "profiles": []}]}, "migProfiles[0].product: not a regular expression"),
        ({"mtls": {"port": 0}}, "mtls.port: must be >= 1"),
        ({"surprise": True}, "surprise: unknown field"),
        ({"network": {"clusterCIDRs": ["10.0.0.0/33"]}}, "network.clusterCIDRs[0]: not a CIDR: '10.0.0.0/33'"),
        ({"network": {"podRange": []}}, "network.podRange: unknown field"),
    ],
)
def test_invalid_settings_name_the_field(raw: dict[str, object], problem: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_settings(raw)
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems


def test_network_ranges_default_to_the_cluster_ranges() -> None:
    assert DEFAULT_SETTINGS.network.node_ranges == DEFAULT_SETTINGS.network.cluster_cidrs
    found = parse_settings({"network": {"clusterCIDRs": ["10.244.0.0/16"], "nodeCIDRs": ["192.168.1.0/24"],
                                        "gatewayIngressClasses": ["gw"]}}).network  # fmt: skip
    assert (found.pod_ranges, found.node_ranges, found.gateway_ingress_classes) == (
        ("10.244.0.0/16",), ("192.168.1.0/24",), ("gw",))  # fmt: skip


def test_modes_per_category_per_rule_and_by_severity() -> None:
    s = parse_settings({"enforcement": {"gpu": "audit"}, "ruleModes": {"PSS002": "warn", "GPU007": "enforce"}})
    assert s.mode_for("GPU001", Category.GPU) is Mode.AUDIT
    assert s.mode_for("PSS002", Category.POD_SECURITY) is Mode.WARN
    assert s.mode_for("PSS003", Category.POD_SECURITY) is Mode.ENFORCE
    assert s.mode_for("GPU007", Category.GPU, Severity.WARNING) is Mode.ENFORCE, "a rule mode wins"
    assert DEFAULT_SETTINGS.mode_for("GPU007", Category.GPU, Severity.WARNING) is Mode.WARN


def _with_exception(**exception: str) -> ClusterState:
    settings = parse_settings({"exceptions": [{"rule": "PSS002", "reason": "INC-1: NCCL debugging", **exception}]})
    return cluster_for(settings=settings)


@pytest.mark.parametrize(
    ("exception", "now", "waived"),
    [
        ({"until": "2026-12-01", "namespace": "acme-*", "name": "app"}, datetime(2026, 11, 30, 23, 0), True),
        ({"until": "2026-12-01", "namespace": "acme-*", "name": "app"}, datetime(2026, 12, 1, 0, 0), False),
        ({"until": "2026-12-01T12:00:00Z", "kind": "Pod"}, datetime(2026, 12, 1, 11, 59), True),
        ({"until": "2026-12-01", "namespace": "acme-dev"}, datetime(2026, 11, 1), False),
        ({"until": "2026-12-01", "kind": "Deployment"}, datetime(2026, 11, 1), False),
    ],
    ids=["glob-before-expiry", "expired-at-midnight-utc", "timestamp", "other-namespace", "other-kind"],
)
def test_exceptions_waive_matching_objects_until_they_expire(
    exception: dict[str, str], now: datetime, waived: bool
) -> None:
    evaluation = evaluate(pod(hostNetwork=True), _with_exception(**exception), Request(now=now))
    assert ("PSS002" in {v.rule for v in evaluation.waived}) is waived
    assert ("PSS002" in {v.rule for v in evaluation.violations}) is not waived


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- a\n- b\n", "settings.yaml: expected a mapping of settings, got list"),
        ("enforcement: [\n", "settings.yaml: invalid YAML"),
        ("tenantLabel: 3\n", "settings.yaml: tenantLabel: must be string"),
    ],
)
def test_settings_files_name_the_file(text: str, problem: str) -> None:
    with pytest.raises(SettingsError) as err:
        settings_from_yaml(text, "settings.yaml")
    assert err.value.problems[0].startswith(problem)


def test_the_webhook_refuses_a_settings_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    cfg = tmp_path / "settings.yaml"
    cfg.write_text("- enforcement\n")
    with pytest.raises(ConfigError, match="expected a mapping of settings"):
        load_settings(str(cfg))
