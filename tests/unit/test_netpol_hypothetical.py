"""Hypothetical pods: what a pod started in a namespace without pods would reach, apart from the real views."""

from __future__ import annotations

import pytest

from tenantguard.policies.netpol import PodInfo, analyze
from tests.unit.test_netpol import NAMESPACES, PODS, POLICIES, TENANT_OF, deny_all, pod
from tests.unit.test_netpol_table import labels, netpol

# initech has no pods now: its namespace is where a new pod would start.
REAL = [p for p in PODS if p.namespace != "initech"]
NEW = PodInfo(namespace="initech", name="(a new pod)", labels={"tenant": "initech"})


def test_hypothetical_pods_change_no_real_view() -> None:
    real = analyze(NAMESPACES, REAL, POLICIES)
    imagined = analyze(NAMESPACES, REAL, POLICIES, hypothetical=[NEW])
    assert imagined.namespace_matrix() == real.namespace_matrix()
    assert imagined.tenant_matrix(TENANT_OF) == real.tenant_matrix(TENANT_OF)
    assert imagined.cross_tenant_paths(TENANT_OF) == real.cross_tenant_paths(TENANT_OF)
    assert imagined.uncovered() == real.uncovered()
    assert imagined.external_matrix() == real.external_matrix()
    assert real.tenant_matrix(TENANT_OF)["initech"] == dict.fromkeys(["acme", "globex", "initech"], False)


def test_a_namespace_without_policies_would_be_open_both_ways() -> None:
    exposure = analyze(NAMESPACES, REAL, POLICIES, hypothetical=[NEW]).hypothetical_reach()
    # Every other namespace denies ingress from initech (default deny + same tenant + gateway), so the new
    # pod reaches only the gateway; the gateway pod (not isolated) can reach it on anything.
    assert exposure["initech"].reaches == {"gateway": ("*",)}
    assert exposure["initech"].reachable_from == {"gateway": ("*",)}


def test_a_policy_opening_an_empty_namespace_is_seen_before_its_first_pod() -> None:
    opened = netpol("initech", "allow-acme", ingress=[{"from": [{"namespaceSelector": labels(tenant="acme")}]}])
    policies = [*(p for p in POLICIES if p["metadata"]["name"] != "same-tenant"), deny_all("initech"), opened]
    exposure = analyze(NAMESPACES, REAL, policies, hypothetical=[NEW]).hypothetical_reach()
    # acme's pods may send only where acme-prod/to-redis lets vllm go; no acme pod may egress to initech.
    assert exposure["initech"].reachable_from == {}
    policies.append(netpol("acme-dev", "egress-all", types=["Egress"], egress=[{}]))
    exposure = analyze(NAMESPACES, REAL, policies, hypothetical=[NEW]).hypothetical_reach()
    assert exposure["initech"].reachable_from == {"acme-dev": ("*",)}
    assert exposure["initech"].reaches == {}


def test_missing_isolation_judges_pods_the_analysis_was_not_given() -> None:
    analysis = analyze(NAMESPACES, REAL, [deny_all("acme-prod"), netpol("acme-dev", "only-ui", labels(app="ui"))])
    assert analysis.missing_isolation(pod("acme-prod/new", "anything")) == ()
    assert analysis.missing_isolation(pod("acme-dev/new", "other")) == ("ingress", "egress")
    assert analysis.missing_isolation(pod("acme-dev/new", "ui")) == ("egress",)
    host = PodInfo(namespace="acme-dev", name="host", labels={}, host_network=True)
    assert analysis.missing_isolation(host) == ("ingress", "egress")  # no policy can select it


def test_a_hypothetical_pod_must_be_alone_in_its_namespace() -> None:
    with pytest.raises(ValueError, match="only pod of its namespace"):
        analyze(NAMESPACES, REAL, POLICIES, hypothetical=[PodInfo(namespace="acme-prod", name="x", labels={})])
    with pytest.raises(ValueError, match="only pod of its namespace"):
        analyze(NAMESPACES, REAL, POLICIES, hypothetical=[NEW, NEW])
