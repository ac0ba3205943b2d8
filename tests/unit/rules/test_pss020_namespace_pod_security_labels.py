"""PSS020 namespace-pod-security-labels and PSS020-M: tenant namespaces carry PSA labels for their Tenant."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate, mutate, review
from tenantguard.policies.model import Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, pinned
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings, parse_settings
from tests.support.fixtures import cluster_for, judge, request

RULE = "PSS020"
ENFORCE = "pod-security.kubernetes.io/enforce"
VERSION = "pod-security.kubernetes.io/enforce-version"
RESTRICTED_LATEST = {ENFORCE: "restricted", VERSION: "latest"}


def namespace(name: str = "acme-prod", **labels: str) -> dict[str, Any]:
    tenant = {"tenantguard.io/tenant": name.split("-")[0]} if name.startswith(("acme", "globex")) else {}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": {**tenant, **labels}}}


def fired(obj: dict[str, Any], tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == RULE]


def patches(
    obj: dict[str, Any],
    *,
    old: dict[str, Any] | None = None,
    tenant: dict[str, Any] | None = None,
    settings: Settings = DEFAULT_SETTINGS,
) -> list[dict[str, Any]]:
    req = request("UPDATE" if old else "CREATE", old, user="admin", groups=("system:masters",))
    ops = mutate(obj, cluster_for(tenant, settings), req).patches
    return [op for op in ops if "pod-security.kubernetes.io" in str(op)]


def test_the_tenants_level_and_version_pass() -> None:
    assert fired(namespace(**RESTRICTED_LATEST)) == []


def test_missing_labels_are_denied_with_what_to_set() -> None:
    found = fired(namespace())
    assert [(v.path, v.message) for v in found] == [
        (f'metadata.labels["{ENFORCE}"]', f'{ENFORCE} is missing; tenant "acme" needs "restricted" or stricter'),
        (f'metadata.labels["{VERSION}"]', f'{VERSION} is missing; tenant "acme" needs "latest"'),
    ]


@pytest.mark.parametrize("value", ["baseline", "privileged", "Restricted", ""])
def test_a_weaker_or_invalid_level_is_denied(value: str) -> None:
    (v,) = fired(namespace(**{ENFORCE: value, VERSION: "latest"}))
    assert v.message == f'{ENFORCE} is "{value}"; tenant "acme" needs "restricted" or stricter'


def test_a_label_that_is_not_a_string_is_denied_not_a_crash() -> None:
    obj = namespace(**{VERSION: "latest"})
    obj["metadata"]["labels"][ENFORCE] = ["restricted"]
    (v,) = fired(obj)
    assert v.message == f'{ENFORCE} is "[\'restricted\']"; tenant "acme" needs "restricted" or stricter'


def test_a_stricter_level_than_the_tenants_passes() -> None:
    assert fired(namespace(**RESTRICTED_LATEST), BASELINE_TENANT) == []
    assert fired(namespace(**{ENFORCE: "baseline", VERSION: "latest"}), BASELINE_TENANT) == []


@pytest.mark.parametrize(
    ("tenant", "label"), [(None, "v1.30"), (pinned("v1.30"), "latest"), (pinned("v1.30"), "v1.31")]
)
def test_the_version_must_be_the_tenants(tenant: dict[str, Any] | None, label: str) -> None:
    (v,) = fired(namespace(**{ENFORCE: "restricted", VERSION: label}), tenant)
    assert v.path == f'metadata.labels["{VERSION}"]'
    assert fired(namespace(**{ENFORCE: "restricted", VERSION: "v1.30"}), pinned("v1.30")) == []


def test_namespaces_of_no_tenant_are_not_judged_nor_labelled() -> None:
    assert fired(namespace("team-tools")) == []
    assert patches(namespace("team-tools")) == []


def test_create_adds_the_labels() -> None:
    assert patches(namespace("globex-prod"), tenant=None) == [
        {"op": "add", "path": "/metadata/labels/pod-security.kubernetes.io~1enforce", "value": "baseline"},
        {"op": "add", "path": "/metadata/labels/pod-security.kubernetes.io~1enforce-version", "value": "latest"},
    ]


def test_create_without_labels_gets_a_labels_map() -> None:
    obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme-dev"}}
    result = review(obj, cluster_for(), request())
    assert result.mutated["metadata"]["labels"] == {"tenantguard.io/tenant": "acme", **RESTRICTED_LATEST}
    assert result.evaluation.violations == ()


def test_the_pin_and_the_settings_default_give_the_version() -> None:
    (op,) = patches(namespace(**{ENFORCE: "restricted"}), tenant=pinned("v1.30"))
    assert op["value"] == "v1.30"
    (op,) = patches(namespace(**{ENFORCE: "restricted"}), settings=parse_settings({"podSecurityVersion": "v1.33"}))
    assert op["value"] == "v1.33"


def test_a_stricter_label_is_kept() -> None:
    assert patches(namespace("globex-prod", **RESTRICTED_LATEST)) == []


def test_a_weaker_label_written_by_the_request_is_left_for_the_rule_to_deny() -> None:
    weaker = namespace(**{ENFORCE: "privileged", VERSION: "latest"})
    assert patches(weaker) == []
    assert patches(weaker, old=namespace(**RESTRICTED_LATEST)) == []
    denied = review(weaker, cluster_for(), request("UPDATE", namespace(**RESTRICTED_LATEST))).evaluation
    assert [v.rule for v in denied.denials] == [RULE]


def test_a_stale_label_is_brought_up_to_the_tenant_on_update() -> None:
    stored = namespace(**{ENFORCE: "baseline", VERSION: "v1.30"})  # the tenant was baseline, pinned to v1.30
    edited = namespace(**{ENFORCE: "baseline", VERSION: "v1.30", "team": "llm"})
    assert patches(edited, old=stored) == [
        {"op": "replace", "path": "/metadata/labels/pod-security.kubernetes.io~1enforce", "value": "restricted"},
        {"op": "replace", "path": "/metadata/labels/pod-security.kubernetes.io~1enforce-version", "value": "latest"},
    ]


def test_a_removed_label_is_added_back() -> None:
    (op,) = patches(namespace(**{VERSION: "latest"}), old=namespace(**RESTRICTED_LATEST))
    assert op == {"op": "add", "path": "/metadata/labels/pod-security.kubernetes.io~1enforce", "value": "restricted"}


def test_an_exception_for_the_rule_leaves_the_namespace_alone() -> None:
    exception = {"rule": RULE, "name": "acme-prod", "reason": "INC-7: GPU driver debug pod", "until": "2027-01-01"}
    settings = parse_settings({"exceptions": [exception]})
    stored = namespace(**{ENFORCE: "privileged", VERSION: "latest"})
    assert patches(namespace(), settings=settings) == []
    assert (
        patches(namespace(**{ENFORCE: "privileged", VERSION: "latest", "x": "y"}), old=stored, settings=settings) == []
    )


@pytest.mark.parametrize("mode", ["warn", "audit"])
def test_in_warn_or_audit_mode_the_matching_psa_labels_are_set_and_judged(mode: str) -> None:
    settings = parse_settings({"enforcement": {"pod-security": mode}})
    ops = patches(namespace(), settings=settings)
    assert [op["path"].rsplit("~1", 1)[1] for op in ops] == [mode, f"{mode}-version"]
    obj = namespace(**RESTRICTED_LATEST)
    evaluation = review(obj, cluster_for(settings=settings), request()).evaluation
    assert [v.rule for v in evaluation.violations] == []  # the mutation added the warn/audit labels
    found = evaluate(obj, cluster_for(settings=settings), request()).violations
    keys = (f"pod-security.kubernetes.io/{mode}", f"pod-security.kubernetes.io/{mode}-version")
    assert {v.path for v in found} == {f'metadata.labels["{k}"]' for k in keys}


def test_mutating_twice_changes_nothing() -> None:
    first = mutate(namespace(), cluster_for(), request()).mutated
    assert mutate(first, cluster_for(), request("UPDATE", first)).patches == ()
