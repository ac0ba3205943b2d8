"""policies/rbac/rules.py against kube-apiserver's RBAC authorizer.

Cases from plugin/pkg/auth/authorizer/rbac/rbac_test.go (TestRuleMatches), pkg/apis/rbac/v1/evaluation_helpers.go
and the RBAC documentation (kubernetes.io/docs/reference/access-authn-authz/rbac/): "*" in verbs, apiGroups and
resources; "*/subresource"; `pods/*` is no wildcard; the core group "" is a group like any other; resourceNames
cannot restrict deletecollection or a create by POST; nonResourceURLs with a trailing "*".
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.rbac.rules import PolicyRule, indexed_rules, parse_rule, parse_rules


def rule(verbs: str, groups: str = "", resources: str = "", names: str = "", urls: str = "") -> PolicyRule:
    def split(s: str) -> tuple[str, ...]:
        return tuple(s.split(",")) if s else ()

    return PolicyRule(
        verbs=split(verbs),
        api_groups=tuple(groups.split(",")) if resources else (),
        resources=split(resources),
        resource_names=split(names),
        non_resource_urls=split(urls),
    )


# (rule, verb, group, resource, name, allowed)
CASES: list[Any] = [
    # verbs
    pytest.param(rule("*", "group1", "resource1"), "verb1", "group1", "resource1", None, True, id="star-verb"),
    pytest.param(rule("*", "group1", "resource1"), "verb1", "group2", "resource1", None, False, id="star-verb-group"),
    pytest.param(rule("get", "", "pods"), "list", "", "pods", None, False, id="other-verb"),
    pytest.param(rule("get,list", "", "pods"), "list", "", "pods", None, True, id="verb-listed"),
    pytest.param(rule("*", "", "pods"), "impersonate", "", "pods", None, True, id="star-includes-any-verb"),
    # apiGroups
    pytest.param(rule("get", "*", "resource1"), "get", "group2", "resource1", None, True, id="star-group"),
    pytest.param(rule("get", "", "deployments"), "get", "apps", "deployments", None, False, id="core-is-not-apps"),
    pytest.param(rule("get", "apps", "pods"), "get", "", "pods", None, False, id="apps-is-not-core"),
    pytest.param(rule("get", ",apps", "pods"), "get", "", "pods", None, True, id="core-listed"),
    # resources
    pytest.param(rule("get", "group1", "*"), "get", "group1", "resource2", None, True, id="star-resource"),
    pytest.param(rule("get", "", "*"), "get", "", "pods/exec", None, True, id="star-includes-subresources"),
    pytest.param(rule("get", "", "pods"), "get", "", "pods/log", None, False, id="resource-excludes-subresources"),
    pytest.param(rule("get", "", "pods/log"), "get", "", "pods", None, False, id="subresource-excludes-resource"),
    pytest.param(rule("get", "", "pods/log"), "get", "", "pods/log", None, True, id="subresource-exact"),
    pytest.param(rule("get", "", "pods/log"), "get", "", "pods/exec", None, False, id="other-subresource"),
    pytest.param(rule("update", "", "*/status"), "update", "", "pods/status", None, True, id="star-slash-sub"),
    pytest.param(rule("update", "", "*/status"), "update", "", "namespaces/status", None, True, id="star-sub-any"),
    pytest.param(rule("update", "", "*/status"), "update", "", "pods", None, False, id="star-sub-not-resource"),
    pytest.param(rule("update", "", "*/status"), "update", "", "pods/log", None, False, id="star-sub-other"),
    pytest.param(rule("update", "", "pods/*"), "update", "", "pods/status", None, False, id="pods-star-no-wildcard"),
    pytest.param(rule("update", "", "pods/*"), "update", "", "pods", None, False, id="pods-star-not-pods"),
    pytest.param(rule("get", "", "*/*"), "get", "", "pods/log", None, False, id="star-star-literal"),
    pytest.param(
        rule("impersonate", "authentication.k8s.io", "*/example.com/scopes"),
        "impersonate",
        "authentication.k8s.io",
        "userextras/example.com/scopes",
        None,
        True,
        id="subresource-with-slashes",
    ),
    # resourceNames
    pytest.param(rule("get", "", "secrets", "a"), "get", "", "secrets", "a", True, id="name-listed"),
    pytest.param(rule("get", "", "secrets", "a"), "get", "", "secrets", "b", False, id="name-not-listed"),
    pytest.param(rule("get", "", "secrets"), "get", "", "secrets", "b", True, id="no-names-every-object"),
    pytest.param(rule("get", "", "secrets", "a"), "get", "", "secrets", None, True, id="some-object-named"),
    pytest.param(rule("create", "", "secrets", "a"), "create", "", "secrets", "", False, id="create-by-post-nameless"),
    pytest.param(rule("create", "", "secrets", "a"), "create", "", "secrets", "a", True, id="create-on-update-named"),
    pytest.param(
        rule("deletecollection", "", "secrets", "a"), "deletecollection", "", "secrets", None, False, id="deletecoll"
    ),
    pytest.param(rule("list", "", "secrets", "a"), "list", "", "secrets", "", False, id="list-without-selector"),
]


@pytest.mark.parametrize(("policy", "verb", "group", "resource", "name", "allowed"), CASES)
def test_resource_requests(
    policy: PolicyRule, verb: str, group: str, resource: str, name: str | None, allowed: bool
) -> None:
    assert policy.allows(verb, group, resource, name) is allowed


@pytest.mark.parametrize(
    ("urls", "verb", "path", "allowed"),
    [
        pytest.param("*", "get", "/foo/bar/one", True, id="star"),
        pytest.param("*", "post", "/foo", False, id="star-other-verb"),
        pytest.param("/foo/*", "get", "/foo", False, id="subpath-not-parent"),
        pytest.param("/foo/*", "get", "/foo/bar/one", True, id="subpath"),
        pytest.param("/foo/*", "get", "/notfoo/bar", False, id="subpath-other"),
        pytest.param("/foo,/foo/bar/one", "get", "/foo/bar", False, id="exact-only"),
        pytest.param("/healthz*", "get", "/healthz/etcd", True, id="prefix-without-slash"),
    ],
)
def test_non_resource_urls(urls: str, verb: str, path: str, allowed: bool) -> None:
    assert rule("get", urls=urls).allows_url(verb, path) is allowed


def test_resource_rules_do_not_match_urls_nor_url_rules_resources() -> None:
    assert not rule("get", "*", "*").allows_url("get", "/metrics")
    assert not rule("get", urls="*").allows("get", "", "pods")


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        pytest.param("*", ("*",), id="star"),
        pytest.param("*/scopes,pods", ("*/scopes",), id="star-sub"),
        pytest.param("userextras/scopes,userextras", ("userextras/scopes",), id="named-key"),
        pytest.param("userextras,pods/log", (), id="none"),
    ],
)
def test_subresource_entries(resources: str, expected: tuple[str, ...]) -> None:
    policy = rule("impersonate", "authentication.k8s.io", resources)
    assert policy.subresource_entries("userextras") == tuple(sorted(expected))
    assert policy.allows_some_subresource("impersonate", "authentication.k8s.io", "userextras") is bool(expected)


def test_resource_entries_name_what_to_remove() -> None:
    policy = rule("update", "", "*,*/status,pods/status,pods")
    assert policy.resource_entries("pods/status") == ("*", "*/status", "pods/status")
    assert policy.resource_entries("pods") == ("*", "pods")


def test_parse_drops_what_allows_nothing_and_keeps_indexes() -> None:
    raw = [
        {"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]},
        {"verbs": [], "apiGroups": [""], "resources": ["pods"]},
        "not a rule",
        {"verbs": ["get"], "apiGroups": [""]},
        {"verbs": ["get"], "nonResourceURLs": ["/metrics"]},
        {"verbs": ["get", "get", 3], "apiGroups": [""], "resources": ["pods"]},
    ]
    assert [i for i, _ in indexed_rules(raw)] == [0, 4, 5]
    assert len(parse_rules(raw)) == 2  # rules 0 and 5 are the same rule
    assert parse_rule(raw[5]) == PolicyRule(verbs=("get",), api_groups=("",), resources=("pods",))
    assert parse_rules("nope") == ()
