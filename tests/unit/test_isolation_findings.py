"""policies.isolation: the catalogue, each finding from its report shape, and the order by impact."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tenantguard.policies.isolation import BY_ID, CHECKS, by_impact, findings
from tenantguard.policies.model import Severity
from tenantguard.policies.netpol import ContainerPort
from tenantguard.policies.registry import RULES

ROOT = Path(__file__).resolve().parents[2]


def path(ports: list[str], *, pods: tuple[str, ...] = ("vllm-0",), opened_by: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "from": {"tenant": "globex", "namespace": "globex-prod", "pods": ["client"]},
        "to": {"tenant": "acme", "namespace": "acme-prod", "pods": list(pods)},
        "ports": ports,
        "ingressPolicies": list(opened_by),
        "egressPolicies": [],
    }


DECLARED = {("acme-prod", "vllm-0"): (ContainerPort(port=8000, name="http"),)}


def test_the_catalogue_is_complete_and_stable() -> None:
    ids = [c.id for c in CHECKS]
    assert all(re.fullmatch(r"ISO\d{3}", i) for i in ids) and len(set(ids)) == len(ids)
    # IDs never change meaning: the catalogue's order is impact, the IDs are the order checks were added
    assert {"ISO001", "ISO004", "ISO008", "ISO010", "ISO011"} <= set(ids)
    assert not {c.id for c in CHECKS} & {r.id for r in RULES}
    for check in CHECKS:
        assert check.title and check.what and check.why and check.fix and check.reported_on, check.id
        assert re.fullmatch(r"[a-z0-9-]+", check.slug), check.slug
    # impact order: every error before every warning
    ranks = [c.severity.rank for c in CHECKS]
    assert ranks == sorted(ranks, reverse=True)
    rules_md = (ROOT / "docs/rules.md").read_text()
    for check in CHECKS:
        assert f'<a id="{check.anchor}"></a>' in rules_md and f"[{check.id}](#{check.anchor})" in rules_md


@pytest.mark.parametrize(
    ("ports", "check"),
    [
        pytest.param(["*"], "ISO001", id="anything"),
        pytest.param(["TCP/*"], "ISO001", id="every-tcp-port"),
        pytest.param(["TCP/8000"], "ISO001", id="the-serving-port"),
        pytest.param(["TCP/7000-9000"], "ISO001", id="a-range-holding-the-serving-port"),
        pytest.param(["TCP/6379"], "ISO006", id="an-undeclared-port"),
        pytest.param(["UDP/8000"], "ISO006", id="the-port-on-another-protocol"),
    ],
)
def test_a_cross_tenant_path_is_an_error_when_it_exposes_a_serving_port_or_anything(
    ports: list[str], check: str
) -> None:
    (found,) = findings.path_findings([path(ports)], DECLARED)
    assert found.check is BY_ID[check]
    assert (found.kind, found.namespace, found.name, found.tenant) == ("Namespace", "acme-prod", "acme-prod", "acme")
    assert found.message == (
        f"pods of tenant 'globex' in 'globex-prod' can open connections to vllm-0 on {', '.join(ports)} "
        "(no policy isolates either end)"
    )


def test_a_path_names_the_policies_opening_it_and_caps_long_lists() -> None:
    pods = tuple(f"p{i}" for i in range(8))
    (found,) = findings.path_findings([path(["TCP/8080"], pods=pods, opened_by=("acme-prod/allow-globex",))], {})
    assert found.check.id == "ISO006"
    assert "to p0, p1, p2, p3, p4 and 3 more on TCP/8080 (opened by acme-prod/allow-globex)" in found.message


def access(namespace: str, via: str, owner: str = "acme") -> dict[str, Any]:
    return {
        "subject": "Group/globex-devs",
        "subjectTenant": "globex",
        "namespace": namespace,
        "namespaceTenant": owner,
        "verbs": ["get", "list"],
        "resources": ["pods", "secrets"],
        "via": via,
    }


def test_rbac_access_across_tenants_names_the_binding_where_it_exposes() -> None:
    found = list(
        findings.rbac_findings(
            [
                access("acme-prod", "RoleBinding acme-prod/leak -> ClusterRole view"),
                access("acme-dev", "ClusterRoleBinding wide -> ClusterRole view"),
                access("*", "ClusterRoleBinding wide -> ClusterRole view", owner="*"),
            ]
        )
    )
    assert [(f.check.id, f.kind, f.namespace, f.name, f.tenant) for f in found] == [
        ("ISO002", "RoleBinding", "acme-prod", "leak", "acme"),
        ("ISO002", "ClusterRoleBinding", "acme-dev", "wide", "acme"),
        ("ISO002", "ClusterRoleBinding", "", "wide", None),
    ]
    assert found[0].message == (
        "Group/globex-devs of tenant 'globex' may get, list pods, secrets in 'acme-prod' (tenant 'acme') "
        "via RoleBinding acme-prod/leak -> ClusterRole view"
    )


def test_a_listed_namespace_without_the_tenant_label_is_not_policed() -> None:
    labels = {
        "acme-prod": {"tenantguard.io/tenant": "acme"},
        "acme-dev": {"kubernetes.io/metadata.name": "acme-dev"},
        "globex-prod": {"tenantguard.io/tenant": "acme"},
    }
    owner_of = {"acme-prod": "acme", "acme-dev": "acme", "globex-prod": "globex", "globex-new": "globex"}
    found = list(findings.namespace_label_findings(labels, owner_of, "tenantguard.io/tenant"))
    assert [(f.check.id, f.name, f.tenant) for f in found] == [
        ("ISO003", "acme-dev", "acme"),
        ("ISO003", "globex-prod", "globex"),
    ]  # globex-new does not exist: nothing to police
    assert "lacks the label tenantguard.io/tenant, so no admission webhook polices it" in found[0].message
    assert "policed as tenant 'acme''s" in found[1].message


def test_uncovered_pods_unmeshed_pods_and_open_namespaces() -> None:
    (pod,) = findings.uncovered_pod_findings(
        [{"tenant": "acme", "namespace": "acme-dev", "name": "debug", "missing": ["ingress"]}]
    )
    assert (pod.check.id, pod.kind, pod.name) == ("ISO004", "Pod", "debug")
    assert pod.message == "no NetworkPolicy isolates the pod for ingress: any pod in the cluster can connect to it"
    (mtls,) = findings.mtls_findings(
        [{"tenant": "acme", "namespace": "acme-prod", "name": "vllm", "reason": "no sidecar"}]
    )
    assert (mtls.check.id, mtls.message) == ("ISO005", "serving pod without mTLS: no sidecar")
    found = list(findings.default_deny_findings({"acme-dev": ("acme", ("egress",)), "acme-prod": ("acme", ())}))
    assert [(f.check.id, f.name) for f in found] == [("ISO007", "acme-dev")]
    assert (
        found[0].message
        == "a new pod in 'acme-dev' would not be isolated for egress: no default deny selects every pod"
    )


def test_an_empty_namespace_is_a_finding_only_when_a_new_pod_would_cross_tenants() -> None:
    entries: list[dict[str, Any]] = [
        {"tenant": "acme", "namespace": "acme-dev", "missing": [], "reachableFrom": [], "reaches": []},
        {
            "tenant": "acme",
            "namespace": "acme-new",
            "missing": ["ingress"],
            "reachableFrom": [{"tenant": "globex", "namespace": "globex-prod", "ports": ["*"]}],
            "reaches": [],
        },
    ]
    (found,) = findings.empty_namespace_findings(entries)
    assert (found.check.id, found.name, found.check.severity) == ("ISO008", "acme-new", Severity.WARNING)
    assert found.message == "'acme-new' has no pods yet; a pod started there could be reached from globex-prod"


def test_findings_sort_by_severity_then_catalogue_order() -> None:
    found = [
        *findings.empty_namespace_findings(
            [
                {
                    "tenant": "a",
                    "namespace": "a-1",
                    "missing": [],
                    "reachableFrom": [],
                    "reaches": [{"tenant": "b", "namespace": "b-1", "ports": ["*"]}],
                }
            ]
        ),
        *findings.mtls_findings([{"tenant": "a", "namespace": "a-1", "name": "vllm", "reason": "no sidecar"}]),
        *findings.path_findings([path(["TCP/6379"]), path(["*"])], {}),
        *findings.uncovered_pod_findings([{"tenant": "a", "namespace": "a-1", "name": "x", "missing": ["egress"]}]),
    ]
    assert [f.check.id for f in by_impact(found)] == ["ISO001", "ISO004", "ISO005", "ISO006", "ISO008"]
