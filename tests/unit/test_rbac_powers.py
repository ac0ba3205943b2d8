"""policies/rbac/powers.py: every request a power names is caught, whichever spelling grants it; nothing else is."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tenantguard.policies.rbac.powers import ANY, BY_NAME, FORBIDDEN, Power, held, markdown
from tenantguard.policies.rbac.rules import PolicyRule, parse_rules


def one(verb: str, group: str, resource: str, **extra: Any) -> PolicyRule:
    return PolicyRule(verbs=(verb,), api_groups=(group,), resources=(resource,), **extra)


def names(rule: PolicyRule) -> list[str]:
    return [h.power.name for h in held(rule)]


def requests() -> list[Any]:
    out = []
    for p in FORBIDDEN:
        for a in p.access:
            for resource in a.resources:
                concrete = resource.replace(ANY, "example.com/key")
                out += [pytest.param(p, v, a.group, concrete, id=f"{p.name}:{v}:{concrete}") for v in a.verbs]
    return out


@pytest.mark.parametrize(("power", "verb", "group", "resource"), requests())
def test_every_request_of_a_power_is_caught_in_every_spelling(
    power: Power, verb: str, group: str, resource: str
) -> None:
    sub = resource.partition("/")[2]
    spellings = [
        one(verb, group, resource),
        one("*", group, resource),
        one(verb, "*", resource),
        one(verb, group, "*"),
        PolicyRule(verbs=("*",), api_groups=("*",), resources=("*",)),
    ]
    if sub:
        spellings.append(one(verb, group, f"*/{sub}"))
    for rule in spellings:
        assert power.name in names(rule), rule


def test_powers_are_named_and_explained() -> None:
    assert len(BY_NAME) == len(FORBIDDEN)
    for p in FORBIDDEN:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", p.name)
        assert p.does and p.why.endswith(".") and p.access


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param(one("impersonate", "", "serviceaccounts"), [], id="impersonate-serviceaccounts-as-edit"),
        pytest.param(
            one("impersonate:serviceaccount", "authentication.k8s.io", "serviceaccounts"), [], id="constrained-sa"
        ),
        pytest.param(one("*", "", "serviceaccounts"), [], id="star-on-serviceaccounts"),
        pytest.param(one("impersonate", "authentication.k8s.io", "users"), [], id="legacy-users-are-core"),
        pytest.param(one("impersonate:user-info", "authentication.k8s.io", "users"), ["impersonate"]),
        pytest.param(one("impersonate:associated-node", "authentication.k8s.io", "nodes"), ["impersonate"]),
        pytest.param(one("impersonate-on:user-info:get", "", "pods"), [], id="secondary-check-alone"),
        pytest.param(one("get", "", "namespaces"), [], id="read-namespace"),
        pytest.param(one("get", "", "namespaces/status"), [], id="read-namespace-status"),
        pytest.param(one("update", "", "pods/*"), [], id="pods-star-literal"),
        pytest.param(one("create", "", "pods/eviction"), [], id="eviction-as-edit"),
        pytest.param(one("create", "", "serviceaccounts/token"), [], id="token-as-edit"),
        pytest.param(one("*", "networking.k8s.io", "networkpolicies"), [], id="networkpolicies"),
        pytest.param(one("update", "apps", "deployments/status"), [], id="other-status"),
        pytest.param(
            one("update", "", "*/status"),
            ["namespace-writes", "pod-status-writes", "service-status-writes", "quota-writes", "node-access"],
            id="core-star-status",
        ),
        pytest.param(one("get", "", "*/proxy"), ["node-access"], id="star-proxy-reaches-nodes-proxy"),
        pytest.param(one("create", "", "bindings"), ["pod-binding"]),
        pytest.param(one("patch", "", "resourcequotas", resource_names=("q",)), ["quota-writes"], id="named"),
        pytest.param(one("deletecollection", "", "resourcequotas", resource_names=("q",)), [], id="named-collection"),
    ],
)
def test_held(rule: PolicyRule, expected: list[str]) -> None:
    assert names(rule) == expected


def test_held_reports_verbs_resources_and_entries() -> None:
    rule = PolicyRule(verbs=("*",), api_groups=("", "apps"), resources=("*/status", "pods", "nodes/proxy"))
    by_name = {h.power.name: h for h in held(rule)}
    pod = by_name["pod-status-writes"]
    assert (pod.verbs, pod.resources, pod.through) == (("update", "patch"), ("pods/status",), ("*/status",))
    nodes = by_name["node-access"]
    assert nodes.resources == ("nodes/status", "nodes/proxy")  # in the order of the rule's entries
    assert nodes.through == ("*/status", "nodes/proxy")


def test_markdown_lists_every_power() -> None:
    table = markdown()
    for p in FORBIDDEN:
        assert f"| `{p.name}` |" in table
    assert "`userextras/<key>`" in table  # in backticks: `<key>` is no HTML tag


def _cluster_roles(file: str) -> dict[str, list[PolicyRule]]:
    path = Path(__file__).resolve().parents[2] / "examples" / "platform" / file
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d and d["kind"] == "ClusterRole"]
    return {d["metadata"]["name"]: list(parse_rules(d.get("rules"))) for d in docs}


def test_example_tenant_role_holds_no_forbidden_power_and_the_broad_one_escalate_and_bind() -> None:
    least = _cluster_roles("tenant-rbac.yaml")
    assert set(least) == {"tenant-developer", "tenant-developer-extras"}
    assert [h.power.name for rules in least.values() for r in rules for h in held(r)] == []
    broad = _cluster_roles("tenant-rbac-broad.yaml")
    assert sorted({h.power.name for r in broad["tenant-developer-broad"] for h in held(r)}) == ["bind", "escalate"]
