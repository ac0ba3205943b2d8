"""RBAC exposure: effective grants of tenant subjects, cross-tenant access and risky grants.

Expected results follow the Kubernetes RBAC documentation and the authorizer's matching rules
(pkg/apis/rbac/v1/evaluation_helpers.go) and ClusterRole aggregation controller.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tenantguard.audit.rbac_exposure import CROSS_TENANT_NAMESPACES, analyze
from tenantguard.policies.rbac.aggregation import aggregate
from tenantguard.policies.rbac.risks import Risk
from tenantguard.policies.rbac.rules import PolicyRule
from tenantguard.policies.tenancy import RbacSubject, Tenant, TenantIndex

RBAC = "rbac.authorization.k8s.io"
Obj = dict[str, Any]

TENANTS = TenantIndex.build(
    [
        Tenant(
            name="acme",
            namespaces=("acme-dev", "acme-prod"),
            owners=(RbacSubject(kind="User", name="alice"),),
            members=(RbacSubject(kind="Group", name="acme-devs"), RbacSubject(kind="Group", name="ml-platform")),
        ),
        Tenant(
            name="globex",
            namespaces=("globex-prod",),
            members=(RbacSubject(kind="Group", name="globex-devs"), RbacSubject(kind="Group", name="ml-platform")),
        ),
    ]
)


def rule(verbs: list[str], resources: list[str], groups: list[str] | None = None, **extra: Any) -> Obj:
    return {"apiGroups": [""] if groups is None else groups, "resources": resources, "verbs": verbs, **extra}


READ_PODS = rule(["get", "list"], ["pods"])


def role(ns: str, name: str, *rules: Obj) -> Obj:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "Role",
        "metadata": {"name": name, "namespace": ns},
        "rules": list(rules),
    }


def cluster_role(name: str, *rules: Obj, labels: dict[str, str] | None = None, selectors: Any = None) -> Obj:
    obj: Obj = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": {"name": name}, "rules": list(rules)}
    if labels:
        obj["metadata"]["labels"] = labels
    if selectors is not None:
        obj["aggregationRule"] = {"clusterRoleSelectors": selectors}
    return obj


def role_binding(ns: str, name: str, ref: str, *subjects: Obj, ref_kind: str = "ClusterRole") -> Obj:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": {"name": name, "namespace": ns},
        "roleRef": {"apiGroup": RBAC, "kind": ref_kind, "name": ref},
        "subjects": list(subjects),
    }


def cluster_role_binding(name: str, ref: str, *subjects: Obj, ref_kind: str = "ClusterRole") -> Obj:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": name},
        "roleRef": {"apiGroup": RBAC, "kind": ref_kind, "name": ref},
        "subjects": list(subjects),
    }


def group(name: str) -> Obj:
    return {"kind": "Group", "name": name, "apiGroup": RBAC}


def user(name: str) -> Obj:
    return {"kind": "User", "name": name, "apiGroup": RBAC}


def sa(name: str, ns: str | None = None) -> Obj:
    return {"kind": "ServiceAccount", "name": name, **({"namespace": ns} if ns is not None else {})}


def report(*objects: Obj, tenants: TenantIndex = TENANTS, namespaces: tuple[str, ...] = ()) -> dict[str, Any]:
    return analyze(list(objects), tenants, namespaces=namespaces).to_json()


def subject_keys(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(s["tenant"], s["kind"], s["namespace"], s["name"]) for s in result["subjects"]]


def grants(result: dict[str, Any], tenant: str, kind: str, name: str, namespace: str = "") -> list[dict[str, Any]]:
    for s in result["subjects"]:
        if (s["tenant"], s["kind"], s["name"], s["namespace"]) == (tenant, kind, name, namespace):
            return list(s["grants"])
    return []


def risks(result: dict[str, Any], subject: str | None = None) -> set[tuple[str, str, str]]:
    return {
        (r["subject"], r["namespace"], r["risk"])
        for r in result["riskyGrants"]
        if subject is None or r["subject"] == subject
    }


def cross(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [
        (c["subject"], c["subjectTenant"], c["namespace"], c["namespaceTenant"], c["via"])
        for c in result["crossTenantAccess"]
    ]


# --- bindings and role references -------------------------------------------------------------------------


def test_rolebinding_to_role_grants_in_its_namespace() -> None:
    result = report(
        role("acme-dev", "pod-reader", READ_PODS),
        role_binding("acme-dev", "devs", "pod-reader", group("acme-devs"), ref_kind="Role"),
    )
    assert result["subjects"] == [
        {
            "tenant": "acme",
            "kind": "Group",
            "name": "acme-devs",
            "namespace": "",
            "broad": False,
            "grants": [
                {
                    "namespace": "acme-dev",
                    "verbs": ["get", "list"],
                    "resources": ["pods"],
                    "apiGroups": [""],
                    "via": "RoleBinding acme-dev/devs -> Role pod-reader",
                }
            ],
        }
    ]
    assert result["crossTenantAccess"] == []
    assert result["riskyGrants"] == []


def test_rolebinding_role_ref_is_looked_up_in_the_bindings_namespace_only() -> None:
    result = report(
        role("acme-prod", "pod-reader", READ_PODS),
        role_binding("acme-dev", "devs", "pod-reader", group("acme-devs"), ref_kind="Role"),
    )
    assert result["subjects"] == []


def test_rolebinding_to_clusterrole_grants_only_in_the_bindings_namespace() -> None:
    result = report(
        cluster_role("pod-reader", READ_PODS),
        role_binding("acme-dev", "devs", "pod-reader", group("acme-devs")),
    )
    assert [(g["namespace"], g["via"]) for g in grants(result, "acme", "Group", "acme-devs")] == [
        ("acme-dev", "RoleBinding acme-dev/devs -> ClusterRole pod-reader")
    ]


def test_clusterrolebinding_grants_cluster_wide() -> None:
    result = report(cluster_role("pod-reader", READ_PODS), cluster_role_binding("devs", "pod-reader", user("alice")))
    assert [(g["namespace"], g["via"]) for g in grants(result, "acme", "User", "alice")] == [
        ("*", "ClusterRoleBinding devs -> ClusterRole pod-reader")
    ]


def test_clusterrolebinding_cannot_reference_a_role() -> None:
    result = report(
        role("acme-dev", "pod-reader", READ_PODS),
        cluster_role_binding("devs", "pod-reader", user("alice"), ref_kind="Role"),
    )
    assert result["subjects"] == []


def test_binding_to_a_missing_role_grants_nothing() -> None:
    assert report(role_binding("acme-dev", "devs", "ghost", group("acme-devs")))["subjects"] == []


def test_rolebinding_without_namespace_is_not_cluster_wide() -> None:
    binding = role_binding("acme-dev", "devs", "view", group("acme-devs"))
    del binding["metadata"]["namespace"]
    assert report(cluster_role("view", READ_PODS), binding)["subjects"] == []


def test_non_resource_urls_count_only_in_clusterrolebindings() -> None:
    metrics = {"verbs": ["get"], "nonResourceURLs": ["/metrics"]}
    objects = [cluster_role("metrics", metrics, READ_PODS)]
    namespaced = report(*objects, role_binding("acme-dev", "m", "metrics", user("alice")))
    assert [g["resources"] for g in grants(namespaced, "acme", "User", "alice")] == [["pods"]]
    wide = report(*objects, cluster_role_binding("m", "metrics", user("alice")))
    assert {
        "namespace": "*",
        "verbs": ["get"],
        "resources": [],
        "apiGroups": [],
        "nonResourceURLs": ["/metrics"],
        "via": "ClusterRoleBinding m -> ClusterRole metrics",
    } in grants(wide, "acme", "User", "alice")


def test_resource_names_are_reported_when_set() -> None:
    result = report(
        role("acme-dev", "one-secret", rule(["get"], ["secrets"], resourceNames=["hf-token"])),
        role_binding("acme-dev", "x", "one-secret", user("alice"), ref_kind="Role"),
    )
    (grant,) = grants(result, "acme", "User", "alice")
    assert grant["resourceNames"] == ["hf-token"]


def test_grant_lists_are_sorted_and_deduplicated() -> None:
    result = report(
        role("acme-dev", "r", rule(["watch", "get", "get"], ["pods", "pods/log"], ["", "apps"]), READ_PODS, READ_PODS),
        role_binding("acme-dev", "x", "r", user("alice"), user("alice"), ref_kind="Role"),
    )
    assert [(g["verbs"], g["resources"], g["apiGroups"]) for g in grants(result, "acme", "User", "alice")] == [
        (["get", "list"], ["pods"], [""]),
        (["get", "watch"], ["pods", "pods/log"], ["", "apps"]),
    ]


# --- subjects ------------------------------------------------------------------------------------------------


def test_serviceaccount_without_namespace_is_in_the_bindings_namespace() -> None:
    result = report(
        cluster_role("view", READ_PODS),
        role_binding("acme-dev", "ci", "view", sa("ci")),
        role_binding("globex-prod", "ci", "view", sa("ci")),
    )
    assert subject_keys(result) == [
        ("acme", "ServiceAccount", "acme-dev", "ci"),
        ("globex", "ServiceAccount", "globex-prod", "ci"),
    ]
    assert result["crossTenantAccess"] == []


def test_serviceaccount_user_name_is_the_same_subject() -> None:
    result = report(
        cluster_role("view", READ_PODS),
        cluster_role("logs", rule(["get"], ["pods/log"])),
        role_binding("acme-dev", "a", "view", sa("trainer", "acme-prod")),
        role_binding("acme-dev", "b", "logs", user("system:serviceaccount:acme-prod:trainer")),
    )
    assert subject_keys(result) == [("acme", "ServiceAccount", "acme-prod", "trainer")]
    assert [g["via"] for g in grants(result, "acme", "ServiceAccount", "trainer", "acme-prod")] == [
        "RoleBinding acme-dev/a -> ClusterRole view",
        "RoleBinding acme-dev/b -> ClusterRole logs",
    ]


def test_namespace_serviceaccounts_group_belongs_to_the_namespaces_tenant() -> None:
    result = report(
        cluster_role("view", READ_PODS),
        role_binding("acme-dev", "x", "view", group("system:serviceaccounts:acme-prod")),
    )
    assert subject_keys(result) == [("acme", "Group", "", "system:serviceaccounts:acme-prod")]


@pytest.mark.parametrize(
    "subject",
    [
        pytest.param(user("mallory"), id="unknown-user"),
        pytest.param(group("contractors"), id="unknown-group"),
        pytest.param(sa("coredns", "kube-system"), id="platform-sa"),
        pytest.param(user("system:serviceaccount:kube-system:coredns"), id="platform-sa-user"),
        pytest.param(group("system:serviceaccounts:kube-system"), id="platform-sa-group"),
        pytest.param(group("system:unauthenticated"), id="anonymous"),
        pytest.param({"kind": "Robot", "name": "alice"}, id="unknown-kind"),
        pytest.param(user("acme-devs"), id="group-name-as-user"),
    ],
)
def test_non_tenant_subjects_are_ignored(subject: Obj) -> None:
    result = report(cluster_role("admin", rule(["*"], ["*"], ["*"])), role_binding("acme-dev", "x", "admin", subject))
    assert result == {"subjects": [], "crossTenantAccess": [], "riskyGrants": []}


def test_other_kinds_and_malformed_objects_are_ignored() -> None:
    objects: list[Any] = [
        {"kind": "Pod", "metadata": {"name": "p", "namespace": "acme-dev"}},
        {"kind": "RoleBinding"},
        {"kind": "RoleBinding", "metadata": {"name": "x", "namespace": "acme-dev"}, "roleRef": "edit"},
        {"kind": "ClusterRole", "metadata": {"name": "bad"}, "rules": [42, {"verbs": "get"}]},
        role_binding("acme-dev", "y", "bad", user("alice")),
    ]
    assert analyze(objects, TENANTS).to_json() == {"subjects": [], "crossTenantAccess": [], "riskyGrants": []}


def test_subject_listed_by_two_tenants_is_reported_under_each() -> None:
    result = report(cluster_role("view", READ_PODS), role_binding("globex-prod", "x", "view", group("ml-platform")))
    assert subject_keys(result) == [("acme", "Group", "", "ml-platform"), ("globex", "Group", "", "ml-platform")]
    # globex lists the group itself: not cross-tenant.
    assert result["crossTenantAccess"] == []


def test_tenant_spec_serviceaccount_user_form_matches_serviceaccount_subject() -> None:
    index = TenantIndex.build(
        [
            Tenant(
                name="acme",
                namespaces=("acme-dev",),
                members=(RbacSubject(kind="User", name="system:serviceaccount:ci:runner"),),
            )
        ]
    )
    result = report(
        cluster_role("view", READ_PODS), role_binding("acme-dev", "x", "view", sa("runner", "ci")), tenants=index
    )
    assert subject_keys(result) == [("acme", "ServiceAccount", "ci", "runner")]


# --- aggregation ---------------------------------------------------------------------------------------------

AGG_EDIT = {"rbac.example.com/aggregate-to-edit": "true"}


def test_aggregated_clusterrole_gets_rules_of_matching_roles() -> None:
    result = report(
        cluster_role("edit", selectors=[{"matchLabels": AGG_EDIT}]),
        cluster_role("inference-edit", rule(["create"], ["inferenceservices"], ["serving.kserve.io"]), labels=AGG_EDIT),
        cluster_role("unrelated", rule(["delete"], ["nodes"])),
        role_binding("acme-dev", "devs", "edit", group("acme-devs")),
    )
    assert [(g["resources"], g["via"]) for g in grants(result, "acme", "Group", "acme-devs")] == [
        (["inferenceservices"], "RoleBinding acme-dev/devs -> ClusterRole edit")
    ]


def test_aggregation_unions_filled_in_rules_with_selected_roles() -> None:
    rules = aggregate(
        {
            "edit": cluster_role("edit", READ_PODS, selectors=[{"matchLabels": AGG_EDIT}]),
            "extra": cluster_role("extra", READ_PODS, rule(["get"], ["configmaps"]), labels=AGG_EDIT),
        }
    )
    assert rules["edit"] == (
        PolicyRule(verbs=("get", "list"), api_groups=("",), resources=("pods",)),
        PolicyRule(verbs=("get",), api_groups=("",), resources=("configmaps",)),
    )
    assert rules["extra"] == rules["edit"]


def test_nested_aggregation_is_transitive() -> None:
    rules = aggregate(
        {
            "admin": cluster_role("admin", selectors=[{"matchLabels": {"to-admin": "true"}}]),
            "edit": cluster_role("edit", labels={"to-admin": "true"}, selectors=[{"matchLabels": {"to-edit": "true"}}]),
            "view": cluster_role("view", READ_PODS, labels={"to-edit": "true"}),
        }
    )
    assert [r.resources for r in rules["admin"]] == [("pods",)]
    assert [r.resources for r in rules["edit"]] == [("pods",)]


def test_aggregation_cycle_terminates_and_unions_both() -> None:
    rules = aggregate(
        {
            "a": cluster_role("a", READ_PODS, labels={"x": "a"}, selectors=[{"matchLabels": {"x": "b"}}]),
            "b": cluster_role(
                "b", rule(["get"], ["secrets"]), labels={"x": "b"}, selectors=[{"matchLabels": {"x": "a"}}]
            ),
        }
    )
    assert {r.resources for r in rules["a"]} == {r.resources for r in rules["b"]} == {("pods",), ("secrets",)}


def test_self_matching_selector_is_harmless() -> None:
    rules = aggregate({"a": cluster_role("a", READ_PODS, labels={"x": "a"}, selectors=[{"matchLabels": {"x": "a"}}])})
    assert [r.resources for r in rules["a"]] == [("pods",)]


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        pytest.param({}, {}, True, id="empty-selects-everything"),
        pytest.param({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True, id="labels"),
        pytest.param({"matchLabels": {"a": "1"}}, {"a": "2"}, False, id="labels-differ"),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True, id="in"
        ),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {}, False, id="in-absent"
        ),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True, id="notin-absent"
        ),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"}, False, id="notin"
        ),
        pytest.param({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"a": ""}, True, id="exists"),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"a": "1"}, False, id="doesnotexist"
        ),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}, {"a": "1"}, False, id="in-no-values"
        ),
        pytest.param(
            {"matchExpressions": [{"key": "a", "operator": "Like", "values": ["1"]}]}, {"a": "1"}, False, id="bad-op"
        ),
        pytest.param(
            {"matchLabels": {"a": "1"}, "matchExpressions": [{"key": "b", "operator": "Exists"}]},
            {"a": "1"},
            False,
            id="and",
        ),
    ],
)
def test_aggregation_label_selectors(selector: Obj, labels: dict[str, str], matches: bool) -> None:
    rules = aggregate(
        {"agg": cluster_role("agg", selectors=[selector]), "src": cluster_role("src", READ_PODS, labels=labels)}
    )
    assert bool(rules["agg"]) is matches


def test_any_of_several_selectors_aggregates() -> None:
    rules = aggregate(
        {
            "agg": cluster_role("agg", selectors=[{"matchLabels": {"a": "1"}}, {"matchLabels": {"b": "1"}}]),
            "one": cluster_role("one", READ_PODS, labels={"b": "1"}),
        }
    )
    assert len(rules["agg"]) == 1


# --- cross-tenant access -----------------------------------------------------------------------------------


def test_rolebinding_in_another_tenants_namespace_is_cross_tenant() -> None:
    result = report(
        cluster_role("admin", rule(["*"], ["*"], ["*"])),
        role_binding("globex-prod", "leak", "admin", group("acme-devs"), sa("ci", "acme-dev")),
    )
    assert result["crossTenantAccess"] == [
        {
            "subject": "Group/acme-devs",
            "subjectTenant": "acme",
            "namespace": "globex-prod",
            "namespaceTenant": "globex",
            "verbs": ["*"],
            "resources": ["*"],
            "via": "RoleBinding globex-prod/leak -> ClusterRole admin",
            "broad": False,
        },
        {
            "subject": "ServiceAccount/acme-dev/ci",
            "subjectTenant": "acme",
            "namespace": "globex-prod",
            "namespaceTenant": "globex",
            "verbs": ["*"],
            "resources": ["*"],
            "via": "RoleBinding globex-prod/leak -> ClusterRole admin",
            "broad": False,
        },
    ]


def test_cross_tenant_entry_unions_the_bindings_rules() -> None:
    result = report(
        cluster_role("edit", READ_PODS, rule(["create", "delete"], ["deployments"], ["apps"])),
        role_binding("globex-prod", "x", "edit", user("alice")),
    )
    (entry,) = result["crossTenantAccess"]
    assert (entry["verbs"], entry["resources"]) == (["create", "delete", "get", "list"], ["deployments", "pods"])


def test_rolebinding_in_own_or_platform_namespace_is_not_cross_tenant() -> None:
    result = report(
        cluster_role("view", READ_PODS),
        role_binding("acme-prod", "x", "view", group("acme-devs")),
        role_binding("monitoring", "y", "view", group("acme-devs")),
    )
    assert [g["namespace"] for g in grants(result, "acme", "Group", "acme-devs")] == ["acme-prod", "monitoring"]
    assert result["crossTenantAccess"] == []


def test_clusterrolebinding_to_tenant_group_reaches_every_other_tenant_namespace() -> None:
    result = report(cluster_role("view", READ_PODS), cluster_role_binding("devs-view", "view", group("acme-devs")))
    assert cross(result) == [
        ("Group/acme-devs", "acme", "globex-prod", "globex", "ClusterRoleBinding devs-view -> ClusterRole view")
    ]


def test_clusterwide_grant_is_capped_with_a_star_entry_for_the_rest() -> None:
    many = TenantIndex.build(
        [Tenant(name="acme", namespaces=("acme",), members=(RbacSubject(kind="Group", name="acme-devs"),))]
        + [Tenant(name=f"t{i:02}", namespaces=(f"t{i:02}-a", f"t{i:02}-b")) for i in range(8)]
    )
    result = report(
        cluster_role("view", READ_PODS), cluster_role_binding("v", "view", group("acme-devs")), tenants=many
    )
    namespaces = [(c[2], c[3]) for c in cross(result)]
    assert len(namespaces) == CROSS_TENANT_NAMESPACES + 1
    assert namespaces[:3] == [("t00-a", "t00"), ("t00-b", "t00"), ("t01-a", "t01")]
    assert namespaces[-1] == ("*", "*")


def test_clusterwide_grant_lists_all_when_under_the_cap() -> None:
    few = TenantIndex.build(
        [Tenant(name="acme", namespaces=("acme",), members=(RbacSubject(kind="Group", name="acme-devs"),))]
        + [Tenant(name=f"t{i}", namespaces=(f"t{i}",)) for i in range(CROSS_TENANT_NAMESPACES)]
    )
    result = report(cluster_role("view", READ_PODS), cluster_role_binding("v", "view", group("acme-devs")), tenants=few)
    assert [c[2] for c in cross(result)] == [f"t{i}" for i in range(CROSS_TENANT_NAMESPACES)]


def test_namespaces_argument_limits_clusterwide_expansion_to_existing_namespaces() -> None:
    index = TenantIndex.build(
        [
            Tenant(name="acme", namespaces=("acme",), members=(RbacSubject(kind="Group", name="acme-devs"),)),
            Tenant(name="globex", namespaces=("globex-prod", "globex-future")),
        ]
    )
    objects = [cluster_role("view", READ_PODS), cluster_role_binding("v", "view", group("acme-devs"))]
    assert [c[2] for c in cross(report(*objects, tenants=index))] == ["globex-future", "globex-prod"]
    existing = report(*objects, tenants=index, namespaces=("acme", "globex-prod", "kube-system"))
    assert [c[2] for c in cross(existing)] == ["globex-prod"]


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param([rule(["create"], ["selfsubjectaccessreviews"], ["authorization.k8s.io"])], id="self-review"),
        pytest.param([{"verbs": ["get"], "nonResourceURLs": ["/version"]}], id="non-resource"),
        pytest.param([rule(["list"], ["nodes", "namespaces"])], id="cluster-scoped"),
    ],
)
def test_clusterwide_grants_on_cluster_scoped_resources_are_not_cross_tenant(rules: list[Obj]) -> None:
    result = report(cluster_role("r", *rules), cluster_role_binding("b", "r", user("alice")))
    assert grants(result, "acme", "User", "alice")
    assert result["crossTenantAccess"] == []


def test_namespace_object_in_another_tenants_namespace_counts() -> None:
    result = report(
        cluster_role("ns-reader", rule(["get"], ["namespaces"])),
        role_binding("globex-prod", "x", "ns-reader", user("alice")),
    )
    assert [c[2] for c in cross(result)] == ["globex-prod"]


# --- broad groups ------------------------------------------------------------------------------------------


def test_broad_group_grant_in_a_tenant_namespace_reaches_every_other_tenant() -> None:
    result = report(
        cluster_role("view", READ_PODS), role_binding("globex-prod", "open", "view", group("system:authenticated"))
    )
    assert subject_keys(result) == [
        ("acme", "Group", "", "system:authenticated"),
        ("globex", "Group", "", "system:authenticated"),
    ]
    assert all(s["broad"] for s in result["subjects"])
    assert result["crossTenantAccess"] == [
        {
            "subject": "Group/system:authenticated",
            "subjectTenant": "acme",
            "namespace": "globex-prod",
            "namespaceTenant": "globex",
            "verbs": ["get", "list"],
            "resources": ["pods"],
            "via": "RoleBinding globex-prod/open -> ClusterRole view",
            "broad": True,
        },
    ]


def test_broad_serviceaccounts_group_risky_grant_is_flagged_for_every_tenant() -> None:
    result = report(
        cluster_role("secrets", rule(["list"], ["secrets"])),
        cluster_role_binding("all-sa", "secrets", group("system:serviceaccounts")),
    )
    assert [(r["tenant"], r["risk"], r["broad"]) for r in result["riskyGrants"]] == [
        ("acme", "secrets-read", True),
        ("globex", "secrets-read", True),
    ]
    assert {(c[1], c[3]) for c in cross(result)} == {("acme", "globex"), ("globex", "acme")}


def test_kubernetes_default_grants_to_everyone_are_left_out() -> None:
    result = report(
        cluster_role(
            "system:basic-user",
            rule(["create"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["authorization.k8s.io"]),
        ),
        cluster_role("system:discovery", {"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/version"]}),
        cluster_role_binding("system:basic-user", "system:basic-user", group("system:authenticated")),
        cluster_role_binding("system:discovery", "system:discovery", group("system:authenticated")),
    )
    assert result == {"subjects": [], "crossTenantAccess": [], "riskyGrants": []}


# --- risky grants ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param([rule(["get"], ["secrets"])], {"secrets-read"}, id="get-secrets"),
        pytest.param([rule(["watch"], ["secrets"], resourceNames=["x"])], {"secrets-read"}, id="watch-named-secret"),
        pytest.param([rule(["create", "delete", "update"], ["secrets"])], set(), id="write-only-secrets"),
        pytest.param([rule(["get"], ["secrets"], ["apps"])], set(), id="secrets-in-other-group"),
        pytest.param(
            [rule(["get", "list"], ["*"], ["*"])], {"secrets-read", "pods-exec", "wildcard"}, id="read-everything"
        ),
        pytest.param([rule(["create"], ["pods/exec"])], {"pods-exec"}, id="create-exec"),
        pytest.param([rule(["get"], ["pods/attach"])], {"pods-exec"}, id="get-attach"),
        pytest.param([rule(["create"], ["*/exec"])], {"pods-exec"}, id="star-slash-exec"),
        pytest.param([rule(["create"], ["pods/*"])], set(), id="pods-slash-star-is-literal"),
        pytest.param([rule(["create"], ["pods"])], set(), id="create-pods"),
        pytest.param([rule(["get"], ["pods/log", "pods/portforward"])], set(), id="logs"),
        pytest.param([rule(["escalate"], ["roles"], [RBAC])], {"escalate"}, id="escalate"),
        pytest.param([rule(["bind"], ["clusterroles"], [RBAC], resourceNames=["view"])], {"bind"}, id="bind"),
        pytest.param([rule(["bind"], ["roles"], [""])], set(), id="bind-wrong-group"),
        pytest.param([rule(["impersonate"], ["serviceaccounts"])], {"impersonate"}, id="impersonate-sa"),
        pytest.param([rule(["impersonate"], ["users", "groups"])], set(), id="impersonate-users-namespaced"),
        pytest.param(
            [rule(["impersonate:serviceaccount"], ["serviceaccounts"], ["authentication.k8s.io"])],
            {"impersonate"},
            id="constrained-impersonate-sa",
        ),
        pytest.param([rule(["*"], ["pods"])], {"wildcard"}, id="star-verb"),
        pytest.param([rule(["get"], ["*"], ["apps"])], {"wildcard"}, id="star-resource"),
        pytest.param([rule(["*"], ["roles"], [RBAC])], {"wildcard", "escalate", "bind"}, id="star-on-roles"),
        pytest.param([rule(["get"], ["nodes/proxy"])], set(), id="nodes-proxy-namespaced"),
        pytest.param([rule(["create"], ["serviceaccounts/token"])], {"token-request"}, id="token-request"),
        pytest.param([rule(["get"], ["serviceaccounts"])], set(), id="get-serviceaccounts"),
    ],
)
def test_risky_grants_in_a_rolebinding(rules: list[Obj], expected: set[str]) -> None:
    result = report(cluster_role("r", *rules), role_binding("acme-dev", "x", "r", group("acme-devs")))
    assert {risk for _, _, risk in risks(result)} == expected
    assert all(r["via"] == "RoleBinding acme-dev/x -> ClusterRole r" for r in result["riskyGrants"])
    assert all(r["namespace"] == "acme-dev" and r["tenant"] == "acme" for r in result["riskyGrants"])


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        pytest.param([rule(["get"], ["nodes/proxy"])], {"nodes-proxy"}, id="nodes-proxy"),
        pytest.param([rule(["create"], ["*/proxy"])], {"nodes-proxy"}, id="star-slash-proxy"),
        pytest.param([rule(["get"], ["nodes", "nodes/stats"])], set(), id="nodes-stats"),
        pytest.param([rule(["impersonate"], ["users"])], {"impersonate"}, id="impersonate-users"),
        pytest.param([rule(["impersonate"], ["uids"], ["authentication.k8s.io"])], {"impersonate"}, id="uids"),
        pytest.param(
            [rule(["impersonate"], ["userextras/scopes"], ["authentication.k8s.io"])], {"impersonate"}, id="extras"
        ),
        pytest.param(
            [rule(["impersonate:user-info"], ["users"], ["authentication.k8s.io"])],
            {"impersonate"},
            id="constrained-impersonate-user",
        ),
        pytest.param(
            [rule(["impersonate:arbitrary-node"], ["nodes"], ["authentication.k8s.io"])],
            {"impersonate"},
            id="constrained-impersonate-node",
        ),
        pytest.param(
            [rule(["*"], ["*"], ["*"])],
            {
                "secrets-read",
                "pods-exec",
                "escalate",
                "bind",
                "impersonate",
                "wildcard",
                "nodes-proxy",
                "token-request",
            },
            id="cluster-admin",
        ),
    ],
)
def test_risky_grants_in_a_clusterrolebinding(rules: list[Obj], expected: set[str]) -> None:
    result = report(cluster_role("r", *rules), cluster_role_binding("x", "r", user("alice")))
    assert {risk for _, _, risk in risks(result)} == expected
    assert all(r["namespace"] == "*" for r in result["riskyGrants"])


def test_every_risk_slug_is_covered() -> None:
    assert {str(r) for r in Risk} == {
        "secrets-read",
        "pods-exec",
        "escalate",
        "bind",
        "impersonate",
        "wildcard",
        "nodes-proxy",
        "token-request",
    }


def test_risky_grant_shape() -> None:
    result = report(
        cluster_role("edit", rule(["get"], ["secrets"])), role_binding("acme-dev", "devs", "edit", group("acme-devs"))
    )
    assert result["riskyGrants"] == [
        {
            "subject": "Group/acme-devs",
            "tenant": "acme",
            "namespace": "acme-dev",
            "risk": "secrets-read",
            "via": "RoleBinding acme-dev/devs -> ClusterRole edit",
            "broad": False,
        }
    ]


@pytest.mark.parametrize(
    ("verb", "group", "resource", "allowed"),
    [
        ("get", "", "pods", True),
        ("get", "", "pods/log", False),  # "pods" does not include subresources
        ("delete", "", "pods", False),
        ("get", "apps", "pods", False),
        ("get", "", "services", False),
    ],
)
def test_policy_rule_matching(verb: str, group: str, resource: str, allowed: bool) -> None:
    assert (
        PolicyRule(verbs=("get", "list"), api_groups=("",), resources=("pods",)).allows(verb, group, resource)
        is allowed
    )


def test_wildcards_match_everything() -> None:
    everything = PolicyRule(verbs=("*",), api_groups=("*",), resources=("*",))
    assert everything.allows("escalate", RBAC, "clusterroles")
    assert everything.allows("create", "", "pods/exec")


# --- determinism and scale ---------------------------------------------------------------------------------


def _cluster() -> list[Obj]:
    return [
        cluster_role("edit", READ_PODS, rule(["get"], ["secrets"]), selectors=[{"matchLabels": AGG_EDIT}]),
        cluster_role("kserve-edit", rule(["*"], ["inferenceservices"], ["serving.kserve.io"]), labels=AGG_EDIT),
        cluster_role("admin", rule(["*"], ["*"], ["*"])),
        role("acme-dev", "exec", rule(["create"], ["pods/exec"])),
        role_binding("acme-dev", "devs", "edit", group("acme-devs"), sa("ci"), user("alice")),
        role_binding("acme-dev", "exec", "exec", group("acme-devs"), ref_kind="Role"),
        role_binding("globex-prod", "leak", "admin", group("acme-devs"), group("system:authenticated")),
        cluster_role_binding("platform", "edit", group("ml-platform"), user("system:serviceaccount:acme-prod:trainer")),
    ]


def test_output_does_not_depend_on_input_order() -> None:
    expected = report(*_cluster())
    rng = random.Random(7)
    for _ in range(5):
        objects = _cluster()
        rng.shuffle(objects)
        for obj in objects:
            if "subjects" in obj:
                rng.shuffle(obj["subjects"])
        assert report(*objects) == expected
    assert [s["name"] for s in expected["subjects"]] == [
        "acme-devs",
        "ml-platform",
        "system:authenticated",
        "ci",
        "trainer",
        "alice",
        "ml-platform",
        "system:authenticated",
    ]


def test_scale_ten_thousand_rolebindings_and_a_thousand_tenants() -> None:
    tenants = TenantIndex.build(
        Tenant(
            name=f"t{i:04}",
            namespaces=(f"t{i:04}-dev", f"t{i:04}-prod"),
            owners=(RbacSubject(kind="User", name=f"owner-{i}"),),
            members=(RbacSubject(kind="Group", name=f"devs-{i}"),),
        )
        for i in range(1000)
    )
    objects: list[Obj] = [
        cluster_role("edit", READ_PODS, rule(["get", "list"], ["secrets"]), rule(["create"], ["pods/exec"])),
        cluster_role_binding("ops", "edit", group("devs-0")),
    ]
    for i in range(10_000):
        t = i % 1000
        ns = f"t{t:04}-{'dev' if i % 2 else 'prod'}"
        subjects = [group(f"devs-{t}"), sa(f"sa-{i}"), user(f"owner-{(t + 1) % 1000 if i % 97 == 0 else t}"), user("x")]
        objects.append(role_binding(ns, f"rb-{i}", "edit", *subjects))
    # Speed is measured in benchmarks, not asserted here: this checks the results at scale.
    result = report(*objects, tenants=tenants)
    assert len({(s["tenant"], s["kind"], s["name"]) for s in result["subjects"]}) == 1000 * 2 + 10_000
    assert sum(1 for c in result["crossTenantAccess"] if c["via"].startswith("RoleBinding")) == 104
    assert sum(1 for c in result["crossTenantAccess"] if c["via"].startswith("ClusterRoleBinding")) == 11
