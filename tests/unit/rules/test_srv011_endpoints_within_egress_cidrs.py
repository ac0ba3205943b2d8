"""SRV011 endpoints-within-egress-cidrs: addresses a tenant writes into EndpointSlices and Endpoints stay in
its egress CIDRs; Kubernetes' own controllers are not judged."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.request import Request
from tests.support.fixtures import NOW, cluster_for, request

CONTROLLER = "system:serviceaccount:kube-system:endpointslice-controller"
SLICE_CONTROLLER = {"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
MIRRORING = {"endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io"}
ENDPOINTS_CONTROLLER = {"endpoints.kubernetes.io/managed-by": "endpoint-controller"}
KUBE_SYSTEM_SAS = ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated")


def fired(obj: Obj, req: Request | None = None, tenant: dict[str, Any] | None = None) -> list[Violation]:
    result = evaluate(obj, cluster_for(tenant), req or request())
    return [v for v in result.violations if v.rule == "SRV011"]


def endpoint_slice(*addresses: str, address_type: str = "IPv4", namespace: str = "acme-prod", **labels: str) -> Obj:
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "db-1",
            "namespace": namespace,
            "labels": {"kubernetes.io/service-name": "db", **labels},
        },
        "addressType": address_type,
        "endpoints": [{"addresses": [a]} for a in addresses],
        "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
    }


def endpoints(ready: list[str], not_ready: list[str] | None = None, labels: dict[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "db", "namespace": "acme-prod", "labels": labels or {}},
        "subsets": [
            {
                "addresses": [{"ip": ip} for ip in ready],
                "notReadyAddresses": [{"ip": ip} for ip in not_ready or ()],
                "ports": [{"port": 5432}],
            }
        ],
    }


# The attack: a selector-less Service whose hand-written slice points at globex's pod IPs. kube-proxy and the
# gateway forward to them, whatever the tenants' NetworkPolicies say about namespaces.
def test_self_granted_slice_to_another_tenants_pod_ips_is_denied() -> None:
    vs = fired(endpoint_slice("10.20.1.5", "10.244.3.17"), request(user="alice", groups=("acme-devs",)))
    assert [v.path for v in vs] == ["endpoints[1].addresses[0]"]
    assert vs[0].message == "address '10.244.3.17' is outside the tenant's egress CIDRs (10.20.0.0/16)"


def test_every_address_outside_is_reported_for_endpoints() -> None:
    vs = fired(endpoints(["10.244.3.17", "10.20.0.9"], ["10.96.0.1"]))
    assert [v.path for v in vs] == ["subsets[0].addresses[0].ip", "subsets[0].notReadyAddresses[0].ip"]


@pytest.mark.parametrize(
    ("addresses", "address_type"),
    [(("10.20.1.5", "10.20.255.254"), "IPv4"), (("2001:db8:20::7",), "IPv6")],
)
def test_addresses_inside_the_egress_cidrs_are_allowed(addresses: tuple[str, ...], address_type: str) -> None:
    tenant = {"network": {"allowEgressCIDRs": ["10.20.0.0/16", "2001:db8:20::/48"]}}
    assert fired(endpoint_slice(*addresses, address_type=address_type), tenant=tenant) == []


def test_fqdn_slices_are_denied() -> None:
    (v,) = fired(endpoint_slice("vllm.globex-prod.svc.cluster.local", address_type="FQDN"))
    assert v.path == "endpoints[0].addresses[0]"
    assert "FQDN" in v.message and "ExternalName" in v.message


def test_a_tenant_without_egress_cidrs_may_name_no_address() -> None:
    (v,) = fired(endpoint_slice("10.20.1.5"), tenant={"network": {"allowIngressFrom": ["llm-gateway"]}})
    assert "egress CIDRs (none)" in v.message


@pytest.mark.parametrize("address", ["not-an-ip", "10.20.1.500", "::ffff:10.244.3.17"])
def test_unparseable_and_mapped_addresses_are_judged(address: str) -> None:
    assert len(fired(endpoint_slice(address))) == 1


def test_kubernetes_controllers_write_pod_addresses_freely() -> None:
    slice_ = endpoint_slice("10.244.3.17", **SLICE_CONTROLLER)
    assert fired(slice_, request(user=CONTROLLER, groups=KUBE_SYSTEM_SAS)) == []
    assert fired(endpoints(["10.244.3.17"]), request(user="system:kube-controller-manager")) == []


def test_a_tenant_cannot_borrow_the_controllers_label_at_admission_or_in_lint() -> None:
    forged = endpoint_slice("10.244.3.17", **SLICE_CONTROLLER)
    assert len(fired(forged, request(user="alice", groups=("acme-devs",)))) == 1
    assert len(fired(forged)) == 1


def test_the_audit_leaves_the_controllers_objects_alone_and_judges_the_rest() -> None:
    existing = Request.existing(NOW)
    assert fired(endpoint_slice("10.244.3.17", **SLICE_CONTROLLER), existing) == []
    assert fired(endpoints(["10.244.3.17"], labels=ENDPOINTS_CONTROLLER), existing) == []
    mirrored = endpoint_slice("10.244.3.17", **MIRRORING)
    assert len(fired(mirrored, existing)) == 1  # a copy of tenant-written Endpoints
    assert len(fired(endpoint_slice("10.244.3.17"), existing)) == 1


def test_slices_outside_tenant_namespaces_are_not_judged() -> None:
    assert fired(endpoint_slice("10.244.3.17", namespace="shared-tools")) == []
