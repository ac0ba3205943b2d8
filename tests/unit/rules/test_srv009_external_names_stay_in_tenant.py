"""SRV009 external-names-stay-in-tenant: an ExternalName Service aliases external hosts or the tenant's own
Services, never another tenant's or the platform's."""

from __future__ import annotations

import pytest

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.request import Request
from tests.support.fixtures import cluster_for, request


def fired(obj: Obj, cluster: ClusterState | None = None, req: Request | None = None) -> list[Violation]:
    result = evaluate(obj, cluster or cluster_for(), req or request())
    return [v for v in result.violations if v.rule == "SRV009"]


def alias(target: str, *, namespace: str = "acme-prod", type_: str = "ExternalName") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "alias", "namespace": namespace},
        "spec": {"type": type_, "externalName": target},
    }


# The attacks: every spelling by which a resolver with the pod search path reaches globex's model server.
@pytest.mark.parametrize(
    "target",
    [
        "vllm.globex-prod.svc.cluster.local",
        "vllm.globex-prod.svc.cluster.local.",
        "VLLM.Globex-Prod.SVC.cluster.local",
        "vllm.globex-prod.svc",
        "vllm.globex-prod",
        "vllm.globex-prod.svc.example-cluster.internal",
        "vllm-0.vllm.globex-prod.svc.cluster.local",
        "10-1-2-3.globex-prod.pod.cluster.local",
    ],
)
def test_alias_of_another_tenants_service_is_denied(target: str) -> None:
    (v,) = fired(alias(target))
    assert v.path == "spec.externalName"
    assert "'globex-prod' belongs to tenant 'globex'" in v.message
    assert v.fix.startswith("alias an external DNS name")


@pytest.mark.parametrize(
    ("target", "namespace"),
    [
        ("kube-dns.kube-system.svc.cluster.local", "kube-system"),
        ("kubernetes.default.svc", "default"),
        ("kubernetes.default", "default"),
        ("tenantguard.tenantguard-system.svc", "tenantguard-system"),
        ("grafana.monitoring.svc.cluster.local", "monitoring"),  # unknown namespace, certain reading
    ],
)
def test_alias_of_a_platform_service_is_denied(target: str, namespace: str) -> None:
    (v,) = fired(alias(target))
    assert f"namespace {namespace!r} is not one of the tenant's namespaces nor a gateway namespace" in v.message


def test_two_label_name_is_judged_when_the_cluster_knows_the_namespace() -> None:
    cluster = cluster_for()
    assert fired(alias("grafana.monitoring"), cluster) == []  # could be a public name
    cluster.put_namespace({"metadata": {"name": "monitoring"}})
    (v,) = fired(alias("grafana.monitoring"), cluster)
    assert "'monitoring'" in v.message


@pytest.mark.parametrize(
    "target",
    [
        "db.example.com",
        "api.openai.com.",
        "huggingface.co",
        "postgres.acme-dev.svc.cluster.local",  # the tenant's own namespace
        "vllm.acme-prod",
        "vllm",  # same namespace
        "envoy.llm-gateway.svc.cluster.local",  # a gateway namespace
        "10.20.4.5",  # an IP literal inside the tenant's egress CIDRs
    ],
)
def test_external_and_own_names_are_allowed(target: str) -> None:
    assert fired(alias(target)) == []


@pytest.mark.parametrize("target", ["10.244.1.7", "127.0.0.1", "::ffff:10.244.1.7", "localhost", "x.localhost."])
def test_ip_literals_outside_egress_cidrs_and_loopback_names_are_denied(target: str) -> None:
    (v,) = fired(alias(target))
    assert v.path == "spec.externalName"


@pytest.mark.parametrize("target", ["10.244.3.17.nip.io", "10-244-3-17.sslip.io", "app-10-244-3-17.sslip.io."])
def test_names_that_spell_an_internal_address_are_judged_as_that_address(target: str) -> None:
    (v,) = fired(alias(target))
    assert "resolves to the internal address 10.244.3.17, outside the tenant's egress CIDRs" in v.message


@pytest.mark.parametrize(
    "target", ["10-20-3-4.sslip.io", "ec2-54-210-1-2.compute-1.amazonaws.com", "v1.2.3.example.com"]
)
def test_names_that_spell_an_allowed_or_public_address_are_allowed(target: str) -> None:
    assert fired(alias(target)) == []


def test_ip_literal_message_names_the_egress_cidrs() -> None:
    (v,) = fired(alias("10.244.1.7"))
    assert "outside the tenant's egress CIDRs (10.20.0.0/16)" in v.message


def test_only_external_name_services_are_judged() -> None:
    assert fired(alias("vllm.globex-prod.svc", type_="ClusterIP")) == []


def test_changing_a_service_into_an_alias_is_judged_on_update() -> None:
    old = alias("db.example.com", type_="ClusterIP")
    assert len(fired(alias("vllm.globex-prod.svc"), req=request("UPDATE", old))) == 1


def test_another_tenant_may_alias_its_own_service() -> None:
    assert fired(alias("vllm.globex-prod.svc.cluster.local", namespace="globex-prod")) == []
