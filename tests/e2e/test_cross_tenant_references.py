"""Cross-tenant references through kube-apiserver: each attack by the acme developer alice is denied with its rule
ID; legitimate aliases, routes and endpoints are admitted, and Kubernetes' own controllers keep writing slices.

The real Gateway API CRDs (tests/e2e/crds/) are installed, so the API server validates the routes and grants by
their schemas before the webhook sees them. alice gets what a platform that lets tenants publish routes and front
external databases grants: routes, ReferenceGrants, Endpoints and EndpointSlices in acme-dev.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.devcluster import DevCluster, wait_established, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

CRDS = Path(__file__).parent / "crds"
NS = "acme-dev"
GATEWAY = "gateway.networking.k8s.io/v1"
# A platform that grants its tenants more than the least-privilege role (endpoint writes are a forbidden power, so
# RBAC002 refuses them in a Role in the tenant's namespace; a ClusterRole bound there is the platform's choice):
# the rules must hold anyway.
ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "xrefs-e2e-routes-and-endpoints", "labels": {"xrefs-e2e": "true"}},
    "rules": [
        {"apiGroups": [""], "resources": ["endpoints"], "verbs": ["*"]},
        {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["*"]},
        {
            "apiGroups": ["gateway.networking.k8s.io"],
            "resources": ["httproutes", "grpcroutes", "referencegrants"],
            "verbs": ["*"],
        },
    ],
}
BINDING = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "routes-and-endpoints", "namespace": NS, "labels": {"xrefs-e2e": "true"}},
    "roleRef": {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "xrefs-e2e-routes-and-endpoints",
    },
    "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "acme-devs"}],
}
SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
POD_SECURE = {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}


def _apply(cluster: DevCluster, obj: dict[str, Any], *, user: bool = True, dry_run: bool = False) -> tuple[int, str]:
    extra = ("--dry-run=server",) if dry_run else ()
    proc = cluster.kubectl("apply", *extra, "-f", "-", input=json.dumps(obj), user=user, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _denied(cluster: DevCluster, obj: dict[str, Any], rule: str) -> str:
    code, out = _apply(cluster, obj)
    assert code != 0, f"expected a denial by {rule}, got: {out}"
    assert "denied the request" in out and f"[{rule}]" in out, out
    return out


def _admitted(cluster: DevCluster, obj: dict[str, Any]) -> str:
    code, out = _apply(cluster, obj)
    assert code == 0, out
    return out


@pytest.fixture(scope="module")
def globex_pod_ip(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[str]:
    """The tenant's setting: Gateway API installed, alice allowed to write routes and endpoints, and a globex
    model server running whose pod IP alice has learnt."""
    dev_cluster.kubectl("apply", "-f", str(CRDS))
    for name in ("httproutes", "grpcroutes", "referencegrants"):
        wait_established(dev_cluster.kubectl, f"crd/{name}.gateway.networking.k8s.io")
    dev_cluster.apply(ROLE)
    dev_cluster.apply(BINDING)
    victim = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "vllm", "namespace": "globex-prod", "labels": {"app": "vllm"}},
        "spec": {"containers": [{"name": "vllm", "image": "registry.globex.example/vllm:1"}]},
    }
    dev_cluster.apply(victim)
    ip = wait_for(
        lambda: dev_cluster.get("pod", "vllm", "-n", "globex-prod")["status"].get("podIP"),
        what="globex's pod IP",
    )
    yield str(ip)
    dev_cluster.kubectl("delete", "pod", "vllm", "-n", "globex-prod", "--ignore-not-found", "--wait=false")
    kinds = "service,pod,endpointslice,grpcroute,httproute,ingress,rolebinding"
    dev_cluster.kubectl("delete", kinds, "-n", NS, "-l", "xrefs-e2e=true", "--ignore-not-found", "--wait=false")
    dev_cluster.kubectl("delete", "clusterrole", "-l", "xrefs-e2e=true", "--ignore-not-found")


def _meta(name: str) -> dict[str, Any]:
    return {"name": name, "namespace": NS, "labels": {"xrefs-e2e": "true"}}


def _alias(name: str, target: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(name),
        "spec": {"type": "ExternalName", "externalName": target},
    }


def _grpc_route(name: str, backend_ns: str, hostname: str = "grpc.acme.example") -> dict[str, Any]:
    return {
        "apiVersion": GATEWAY,
        "kind": "GRPCRoute",
        "metadata": _meta(name),
        "spec": {
            "parentRefs": [{"name": "llm-gateway", "namespace": "llm-gateway"}],
            "hostnames": [hostname],
            "rules": [{"backendRefs": [{"name": "vllm", "namespace": backend_ns, "port": 8443}]}],
        },
    }


def _slice(name: str, *addresses: str) -> dict[str, Any]:
    meta = _meta(name)
    meta["labels"]["kubernetes.io/service-name"] = "models-db"
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": meta,
        "addressType": "IPv4",
        "endpoints": [{"addresses": [a]} for a in addresses],
        "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
    }


def _ingress(name: str, host: str, **annotations: str) -> dict[str, Any]:
    meta = {**_meta(name), "annotations": annotations}
    backend = {"service": {"name": "vllm", "port": {"number": 8443}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta,
        "spec": {
            "tls": [{"hosts": [host], "secretName": "chat-tls"}],
            "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}],
        },
    }


def test_external_name_alias_of_another_tenants_service_is_denied(dev_cluster: DevCluster, globex_pod_ip: str) -> None:
    out = _denied(dev_cluster, _alias("steal", "vllm.globex-prod.svc.cluster.local"), "SRV009")
    assert "spec.externalName" in out and "'globex-prod' belongs to tenant 'globex'" in out
    _denied(dev_cluster, _alias("steal", "vllm.globex-prod"), "SRV009")
    _denied(dev_cluster, _alias("apiserver", "kubernetes.default.svc"), "SRV009")


def test_external_name_alias_of_an_external_host_is_admitted(dev_cluster: DevCluster, globex_pod_ip: str) -> None:
    _admitted(dev_cluster, _alias("models-db", "postgres.prod.example.com"))
    stored = dev_cluster.get("service", "models-db", "-n", NS)
    assert stored["spec"]["externalName"] == "postgres.prod.example.com"


def test_grpc_route_to_another_tenant_is_denied_and_an_own_route_admitted(
    dev_cluster: DevCluster, globex_pod_ip: str
) -> None:
    out = _denied(dev_cluster, _grpc_route("steal", "globex-prod"), "SRV005")
    assert "spec.rules[0].backendRefs[0].namespace" in out
    _admitted(dev_cluster, _grpc_route("chat", "acme-prod"))
    assert dev_cluster.get("grpcroute", "chat", "-n", NS)["spec"]["hostnames"] == ["grpc.acme.example"]


def test_reference_grant_to_another_tenant_is_denied(dev_cluster: DevCluster, globex_pod_ip: str) -> None:
    grant = {
        "apiVersion": GATEWAY,
        "kind": "ReferenceGrant",
        "metadata": _meta("open-to-globex"),
        "spec": {
            "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "globex-prod"}],
            "to": [{"group": "", "kind": "Service"}],
        },
    }
    out = _denied(dev_cluster, grant, "SRV010")
    assert "spec.from[0].namespace" in out


def test_endpoints_pointing_at_another_tenants_pod_are_denied(dev_cluster: DevCluster, globex_pod_ip: str) -> None:
    out = _denied(dev_cluster, _slice("models-db-steal", globex_pod_ip), "SRV011")
    assert f"address '{globex_pod_ip}' is outside the tenant's egress CIDRs (10.20.0.0/16)" in out
    legacy = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": _meta("models-db"),
        "subsets": [{"addresses": [{"ip": globex_pod_ip}], "ports": [{"port": 8000}]}],
    }
    out = _denied(dev_cluster, legacy, "SRV011")
    assert "subsets[0].addresses[0].ip" in out


def test_endpoint_slice_to_a_database_in_the_egress_cidrs_is_admitted(
    dev_cluster: DevCluster, globex_pod_ip: str
) -> None:
    _admitted(dev_cluster, _slice("models-db-1", "10.20.8.15"))


def test_kubernetes_still_writes_the_slices_of_a_tenants_service(dev_cluster: DevCluster, globex_pod_ip: str) -> None:
    container = {"name": "app", "image": "registry.acme.example/web:1", "securityContext": dict(SECURE)}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**_meta("web"), "labels": {"xrefs-e2e": "true", "app": "web"}},
        "spec": {"securityContext": dict(POD_SECURE), "containers": [container]},
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta("web"),
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    _admitted(dev_cluster, pod)
    _admitted(dev_cluster, service)
    pod_ip = wait_for(lambda: dev_cluster.get("pod", "web", "-n", NS)["status"].get("podIP"), what="the web pod's IP")

    def addresses() -> list[str] | None:
        slices = dev_cluster.get("endpointslices", "-n", NS, "-l", "kubernetes.io/service-name=web")["items"]
        found = [a for s in slices for e in s.get("endpoints") or () for a in e.get("addresses", ())]
        return found or None

    # The pod IP is outside acme's egress CIDRs: only the controller, a platform identity, may write it.
    assert wait_for(addresses, what="the endpointslice controller's slice for web") == [pod_ip]


def test_ingress_snippet_is_denied(dev_cluster: DevCluster, globex_pod_ip: str) -> None:
    snippet = "location /t { alias /var/run/secrets/kubernetes.io/serviceaccount/; }"
    ingress = _ingress("snippet", "chat.acme.example", **{"nginx.ingress.kubernetes.io/server-snippet": snippet})
    out = _denied(dev_cluster, ingress, "SRV012")
    assert 'metadata.annotations["nginx.ingress.kubernetes.io/server-snippet"]' in out


def test_ingress_annotations_reaching_into_another_tenant_are_denied(
    dev_cluster: DevCluster, globex_pod_ip: str
) -> None:
    mirror = {"nginx.ingress.kubernetes.io/mirror-target": "http://vllm.globex-prod.svc.cluster.local$request_uri"}
    out = _denied(dev_cluster, _ingress("mirror", "chat.acme.example", **mirror), "SRV014")
    assert "'globex-prod' belongs to tenant 'globex'" in out
    headers = {"nginx.ingress.kubernetes.io/custom-headers": "globex-prod/api-keys"}
    _denied(dev_cluster, _ingress("headers", "chat.acme.example", **headers), "SRV014")


def test_claiming_another_tenants_hostname_is_denied(dev_cluster: DevCluster, globex_pod_ip: str) -> None:
    out = _denied(dev_cluster, _ingress("globex-chat", "chat.globex.example"), "SRV013")
    assert "hostname 'chat.globex.example' is claimed by tenant 'globex'" in out
    route = {
        "apiVersion": GATEWAY,
        "kind": "HTTPRoute",
        "metadata": _meta("globex-chat"),
        "spec": {
            "parentRefs": [{"name": "llm-gateway", "namespace": "llm-gateway"}],
            "hostnames": ["chat.globex.com"],
            "rules": [{"backendRefs": [{"name": "vllm", "port": 8443}]}],
        },
    }
    _denied(dev_cluster, route, "SRV013")
    _admitted(dev_cluster, _ingress("chat", "chat.acme.example"))


def test_a_tenant_listing_another_tenants_hostnames_is_refused(
    dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    spec: dict[str, Any] = {
        "namespaces": ["hooli-prod"],
        "allowedHostnames": ["*.hooli.example", "*.eu.globex.example"],
    }
    tenant = {"apiVersion": "tenantguard.io/v1alpha1", "kind": "Tenant", "metadata": {"name": "hooli"}, "spec": spec}
    code, out = _apply(dev_cluster, tenant, user=False)  # even a cluster administrator
    assert code != 0 and "[TEN006]" in out, out
    assert "spec.allowedHostnames[1]" in out and "globex's '*.globex.example'" in out
    spec["allowedHostnames"] = ["*.hooli.example"]
    code, out = _apply(dev_cluster, tenant, user=False, dry_run=True)
    assert code == 0, out
