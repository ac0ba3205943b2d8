"""The desired objects (policies/generated): what each says, judged by the NetworkPolicy semantics where it matters."""

from __future__ import annotations

from datetime import datetime
from fractions import Fraction
from typing import Any

import pytest

from tenantguard.policies import netpol
from tenantguard.policies.generated import labels, mesh, netpols, quotas
from tenantguard.policies.generated.compare import differences
from tenantguard.policies.generated.namespaces import namespace_labels
from tenantguard.policies.generated.status import Observation, Problem, tenant_status
from tenantguard.policies.isolation.baseline import baseline_findings
from tenantguard.policies.mutation_cel import MODE_LABEL
from tenantguard.policies.settings import DEFAULT_SETTINGS, parse_settings
from tenantguard.policies.tenancy import Tenant, TenantIndex, parse_tenant
from tests.support.fixtures import ACME_SPEC, GLOBEX_SPEC, tenant_object

NOW = datetime(2026, 11, 27, 12, 0)
LABEL = "tenantguard.io/tenant"
ACME = parse_tenant(tenant_object("acme", ACME_SPEC))
GLOBEX = parse_tenant(tenant_object("globex", GLOBEX_SPEC))


def tenant(**spec: Any) -> Tenant:
    """acme with `spec` over its spec (None removes a field)."""
    merged = {k: v for k, v in {**ACME_SPEC, **spec}.items() if v is not None}
    return parse_tenant(tenant_object("acme", merged))


# NetworkPolicies --------------------------------------------------------------------------------------------------
NAMESPACES = {
    "acme-prod": {LABEL: "acme", "kubernetes.io/metadata.name": "acme-prod"},
    "acme-dev": {LABEL: "acme", "kubernetes.io/metadata.name": "acme-dev"},
    "globex-prod": {LABEL: "globex", "kubernetes.io/metadata.name": "globex-prod"},
    "llm-gateway": {"kubernetes.io/metadata.name": "llm-gateway"},
    "kube-system": {"kubernetes.io/metadata.name": "kube-system"},
}


def pod(ns: str, name: str, **labels: str) -> netpol.PodInfo:
    return netpol.PodInfo(namespace=ns, name=name, labels=labels, ip=f"10.0.{len(ns)}.{len(name)}")


PODS = {
    "prod": pod("acme-prod", "vllm"),
    "dev": pod("acme-dev", "client"),
    "prod2": pod("acme-prod", "router"),
    "globex": pod("globex-prod", "api"),
    "gateway": pod("llm-gateway", "envoy"),
    "dns": pod("kube-system", "coredns", **{"k8s-app": "kube-dns"}),
    "kube": pod("kube-system", "other"),
}


def analysis(*tenants: Tenant) -> netpol.NetworkAnalysis:
    policies = [p for t in tenants for ns in t.namespaces for p in netpols.network_policies(t, ns, DEFAULT_SETTINGS)]
    return netpol.analyze(NAMESPACES, PODS.values(), policies)


@pytest.mark.parametrize(
    ("src", "dst", "port", "protocol", "allowed"),
    [
        pytest.param("dev", "prod", 8443, "TCP", True, id="same-tenant-on-the-sidecar-port"),
        pytest.param("dev", "prod", 8000, "TCP", False, id="same-tenant-not-around-the-sidecar"),
        pytest.param("prod2", "prod", 8000, "TCP", True, id="same-namespace-any-port"),
        pytest.param("gateway", "prod", 8443, "TCP", True, id="gateway-on-the-sidecar-port"),
        pytest.param("gateway", "prod", 8000, "TCP", False, id="gateway-not-around-the-sidecar"),
        pytest.param("globex", "prod", 8443, "TCP", False, id="other-tenant-in"),
        pytest.param("prod", "globex", 80, "TCP", False, id="other-tenant-out"),
        pytest.param("prod", "dns", 53, "UDP", True, id="dns-udp"),
        pytest.param("prod", "dns", 53, "TCP", True, id="dns-tcp"),
        pytest.param("prod", "dns", 8080, "TCP", False, id="dns-pods-only-on-53"),
        pytest.param("prod", "kube", 53, "UDP", False, id="only-the-dns-pods"),
        pytest.param("prod", "dev", 9000, "TCP", False, id="the-destination-admits-only-its-sidecar-port"),
    ],
)
def test_native_baseline_reachability(src: str, dst: str, port: int, protocol: str, allowed: bool) -> None:
    result = analysis(ACME, GLOBEX).allowed(PODS[src], PODS[dst], port, protocol)
    assert result is allowed


def test_without_native_mtls_the_tenant_and_gateways_reach_every_port() -> None:
    plain = tenant(mtls={"mode": "none"})
    found = analysis(plain, GLOBEX)
    assert found.allowed(PODS["dev"], PODS["prod"], 8000)
    assert found.allowed(PODS["gateway"], PODS["prod"], 8000)
    assert not found.allowed(PODS["globex"], PODS["prod"], 8000)


def test_every_tenant_pod_is_isolated_both_ways() -> None:
    uncovered = {(p.namespace, p.name) for p, _ in analysis(ACME, GLOBEX).uncovered()}
    assert not uncovered & {("acme-prod", "vllm"), ("acme-dev", "client"), ("globex-prod", "api")}


def test_egress_cidrs_and_ingress_namespaces_each_have_a_policy_only_when_asked_for() -> None:
    assert netpols.baseline_names(ACME, DEFAULT_SETTINGS) == (
        "tenantguard-allow-same-tenant",
        "tenantguard-allow-dns",
        "tenantguard-allow-ingress",
        "tenantguard-allow-egress",
        "tenantguard-default-deny",
    )
    bare = tenant(network=None)
    none = parse_settings({"gatewayNamespaces": []})
    assert netpols.baseline_names(bare, none) == (
        "tenantguard-allow-same-tenant",
        "tenantguard-allow-dns",
        "tenantguard-default-deny",
    )
    egress = next(
        p
        for p in netpols.network_policies(ACME, "acme-prod", DEFAULT_SETTINGS)
        if p["metadata"]["name"] == netpols.ALLOW_EGRESS
    )
    assert egress["spec"]["egress"] == [{"to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]}]


def test_every_generated_policy_is_labelled_and_named_as_the_platforms() -> None:
    for policy in netpols.network_policies(ACME, "acme-prod", DEFAULT_SETTINGS):
        assert policy["metadata"]["name"].startswith(labels.PREFIX)
        assert policy["metadata"]["labels"] == {"tenantguard.io/managed": "true", LABEL: "acme"}
        for rule in (*policy["spec"].get("ingress", ()), *policy["spec"].get("egress", ())):
            assert all("protocol" in p for p in rule.get("ports", ())), "defaults written out: compares equal"


def test_the_dns_pods_come_from_the_settings() -> None:
    settings = parse_settings({"clusterDns": {"namespace": "dns", "podLabels": {"app": "coredns"}}})
    dns = next(
        p for p in netpols.network_policies(ACME, "acme-prod", settings) if p["metadata"]["name"] == netpols.ALLOW_DNS
    )
    (peer,) = dns["spec"]["egress"][0]["to"]
    assert peer == {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dns"}},
        "podSelector": {"matchLabels": {"app": "coredns"}},
    }


# GPU quotas -------------------------------------------------------------------------------------------------------
def test_caps_per_resource_come_from_max_devices_and_what_max_total_implies() -> None:
    assert quotas.gpu_caps(ACME) == {"nvidia.com/gpu": 8, "nvidia.com/mig-1g.10gb": 56, "nvidia.com/mig-3g.40gb": 18}
    capped = tenant(
        gpu={
            "maxPerPod": 2,
            "maxTotal": 8,
            "maxDevices": {"nvidia.com/gpu": 3, "nvidia.com/mig-1g.10gb": 99},
            "allowedResources": ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"],
        }
    )
    assert quotas.gpu_caps(capped) == {"nvidia.com/gpu": 3, "nvidia.com/mig-1g.10gb": 56}
    assert quotas.gpu_caps(tenant(gpu=None)) == {}


def test_every_other_known_gpu_resource_is_denied() -> None:
    denied = quotas.denied_resources(ACME, DEFAULT_SETTINGS)
    assert "nvidia.com/gpu" not in denied and "nvidia.com/mig-7g.80gb" in denied
    assert "nvidia.com/mig-1g.10gb.me" in denied, "a +me profile is its own resource"
    assert "nvidia.com/gpu" in quotas.denied_resources(tenant(gpu=None), DEFAULT_SETTINGS)


def test_each_namespace_may_hold_what_the_others_leave() -> None:
    caps = {"nvidia.com/gpu": 8}
    used = {"a": {"nvidia.com/gpu": 3}, "b": {"nvidia.com/gpu": 2}, "c": {}}
    assert quotas.namespace_hard(caps, quotas.used_elsewhere("c", used)) == {"nvidia.com/gpu": 3}
    assert quotas.namespace_hard(caps, quotas.used_elsewhere("a", used)) == {"nvidia.com/gpu": 6}
    assert quotas.namespace_hard(caps, {"nvidia.com/gpu": 11}) == {"nvidia.com/gpu": 0}
    # Whatever each namespace adds within its own limit, sequentially the tenant never passes its cap.
    hard_c = quotas.namespace_hard(caps, quotas.used_elsewhere("c", used))["nvidia.com/gpu"]
    assert sum(d.get("nvidia.com/gpu", 0) for d in used.values()) + hard_c == caps["nvidia.com/gpu"]


def test_quota_objects() -> None:
    gpu, denied = quotas.resource_quotas(ACME, "acme-prod", DEFAULT_SETTINGS, {"nvidia.com/gpu": 4})
    assert gpu["metadata"]["name"] == "tenantguard-gpu" and gpu["spec"]["hard"] == {"requests.nvidia.com/gpu": "4"}
    assert denied["metadata"]["name"] == "tenantguard-gpu-denied"
    assert set(denied["spec"]["hard"].values()) == {"0"}
    (only,) = quotas.resource_quotas(tenant(gpu=None), "acme-prod", DEFAULT_SETTINGS, {})
    assert only["metadata"]["name"] == "tenantguard-gpu-denied"
    assert quotas.quota_devices(
        {"requests.nvidia.com/gpu": "2", "requests.nvidia.com/mig-1g.10gb": "1k"},
        ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb", "x"],
    ) == {"nvidia.com/gpu": 2, "nvidia.com/mig-1g.10gb": 1000}


# namespace labels, mesh ---------------------------------------------------------------------------------------------
def test_namespace_labels_follow_the_tenant_and_keep_a_stricter_level() -> None:
    base = parse_tenant(tenant_object("globex", GLOBEX_SPEC))
    assert namespace_labels(base, "globex-prod", DEFAULT_SETTINGS, {}, now=NOW) == {
        LABEL: "globex",
        MODE_LABEL: "istio",
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "latest",
    }
    stricter = {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.30",
    }
    found = namespace_labels(base, "globex-prod", DEFAULT_SETTINGS, stricter, now=NOW)
    assert found["pod-security.kubernetes.io/enforce"] == "restricted", "never lowered"
    assert found["pod-security.kubernetes.io/enforce-version"] == "latest", "the version must match"


def test_a_waived_namespace_keeps_its_pod_security_labels_and_warn_mode_writes_the_warn_label() -> None:
    waived = parse_settings(
        {
            "exceptions": [
                {"rule": "PSS020", "kind": "Namespace", "name": "acme-dev", "reason": "INC-1", "until": "2027-01-01"}
            ]
        }
    )
    assert namespace_labels(ACME, "acme-dev", waived, {}, now=NOW) == {LABEL: "acme", MODE_LABEL: "native"}
    warn = parse_settings({"enforcement": {"pod-security": "warn"}})
    assert "pod-security.kubernetes.io/warn" in namespace_labels(ACME, "acme-dev", warn, {}, now=NOW)


def test_peer_authentication_is_strict_and_namespace_wide() -> None:
    pa = mesh.peer_authentication(GLOBEX, "globex-prod", DEFAULT_SETTINGS)
    assert pa["apiVersion"] == "security.istio.io/v1" and pa["spec"] == {"mtls": {"mode": "STRICT"}}
    assert "selector" not in pa["spec"]


# comparison, status, ISO009 ----------------------------------------------------------------------------------------
def test_differences_name_what_changed_and_ignore_what_kube_apiserver_adds() -> None:
    (desired, *_) = netpols.network_policies(ACME, "acme-prod", DEFAULT_SETTINGS)
    stored = {
        **desired,
        "metadata": {**desired["metadata"], "uid": "1", "labels": {**desired["metadata"]["labels"], "x": "y"}},
        "status": {},
    }
    assert differences(stored, desired) == []
    assert differences(None, desired) == ["missing"]
    relabelled = {**desired, "metadata": {"name": "x", "labels": {LABEL: "globex"}}, "spec": {}}
    assert differences(relabelled, desired) == [
        'label "tenantguard.io/managed" is missing, wants "true"',
        'label "tenantguard.io/tenant" is "globex", wants "acme"',
        "spec differs",
    ]


def test_status_conditions_and_their_transition_times() -> None:
    ok = Observation(
        namespaces={"acme-prod": (), "acme-dev": ()},
        equivalents=Fraction(3, 7),
        devices_used={"nvidia.com/mig-3g.40gb": 1},
        device_caps={"nvidia.com/mig-3g.40gb": 18},
    )
    first = tenant_status(ACME, ok, generation=2, previous=None, now=NOW)
    assert first["namespaces"]["summary"] == "2/2" and first["gpu"]["summary"] == "0.43/8"
    assert first["gpu"]["devices"] == [{"resource": "nvidia.com/mig-3g.40gb", "used": 1, "cap": 18}]
    ready, degraded = first["conditions"]
    assert (ready["status"], ready["reason"], ready["observedGeneration"]) == ("True", "Reconciled", 2)
    assert (degraded["status"], degraded["reason"]) == ("False", "AsExpected")
    later = datetime(2026, 11, 27, 13, 0)
    same = tenant_status(ACME, ok, generation=2, previous=first, now=later)
    assert same == first, "nothing changed: no new transition time, no write"
    broken = Observation(
        namespaces={"acme-prod": (Problem(reason="ApplyFailed", message="boom"),), "acme-dev": ()},
        degraded=(Problem(reason="ApplyFailed", message="boom"),),
    )
    after = tenant_status(ACME, broken, generation=2, previous=first, now=later)
    ready, degraded = after["conditions"]
    assert (ready["status"], ready["reason"], ready["message"]) == ("False", "ApplyFailed", "acme-prod: boom")
    assert ready["lastTransitionTime"] == "2026-11-27T13:00:00Z" and degraded["status"] == "True"
    assert after["namespaces"]["notReady"] == [{"name": "acme-prod", "reason": "ApplyFailed", "message": "boom"}]


def test_iso009_names_missing_changed_and_stale_policies_per_namespace() -> None:
    index = TenantIndex.build([ACME, GLOBEX])
    policies = netpols.network_policies(ACME, "acme-prod", DEFAULT_SETTINGS)
    changed = [
        p if p["metadata"]["name"] != netpols.DEFAULT_DENY else {**p, "spec": {"podSelector": {}}} for p in policies
    ]
    stale = {**policies[0], "metadata": {**policies[0]["metadata"], "name": "tenantguard-old"}}
    complete = [p for ns in ("acme-dev",) for p in netpols.network_policies(ACME, ns, DEFAULT_SETTINGS)]
    found = list(
        baseline_findings(
            index, {"acme-prod", "acme-dev", "globex-prod"}, [*changed, stale, *complete], DEFAULT_SETTINGS
        )
    )
    by_ns = {f.namespace: f.message for f in found}
    assert set(by_ns) == {"acme-prod", "globex-prod"}, "acme-dev is as generated; a missing namespace is ISO003's"
    assert "tenantguard-default-deny: spec differs" in by_ns["acme-prod"]
    assert "tenantguard-old: managed but not generated for this tenant" in by_ns["acme-prod"]
    assert "tenantguard-default-deny: missing" in by_ns["globex-prod"]
    assert all(f.check.id == "ISO009" and f.kind == "Namespace" for f in found)
