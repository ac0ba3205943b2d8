"""The baseline NetworkPolicies of a tenant namespace (every one selects every pod of the namespace).

- `tenantguard-default-deny` (Ingress and Egress): allows nothing; what no other policy allows is refused.
- `tenantguard-allow-same-tenant` (Ingress and Egress): to and from the tenant's namespaces (tenant label); in
  native mTLS mode, from other namespaces only on the sidecar port.
- `tenantguard-allow-dns` (Egress): the cluster DNS pods (settings `clusterDns`), UDP and TCP 53.
- `tenantguard-allow-ingress` (Ingress): from the settings' `gatewayNamespaces` and the Tenant's
  `network.allowIngressFrom`; in native mTLS mode only on the sidecar port. Absent when both lists are empty.
- `tenantguard-allow-egress` (Egress): to the Tenant's `network.allowEgressCIDRs`. Absent without CIDRs.

NetworkPolicies add up: a tenant opens more traffic with policies of its own (NET002 to NET004 keep them inside
the tenant), never by editing these (NET001). In native mTLS mode the app's own port cannot be reached from
outside its namespace around the sidecar: only `settings.mtls.port` is open to the tenant's other namespaces
and to the gateways; pods in the same namespace reach every port. Every defaulted field is written out
(protocol, policyTypes), so the object kube-apiserver stores compares equal to the one generated here.
"""

from __future__ import annotations

from typing import Any

from tenantguard.policies.generated.labels import PREFIX, managed_labels
from tenantguard.policies.model import Obj
from tenantguard.policies.settings import Settings
from tenantguard.policies.tenancy import Tenant

NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_DENY = f"{PREFIX}default-deny"
ALLOW_SAME_TENANT = f"{PREFIX}allow-same-tenant"
ALLOW_DNS = f"{PREFIX}allow-dns"
ALLOW_INGRESS = f"{PREFIX}allow-ingress"
ALLOW_EGRESS = f"{PREFIX}allow-egress"


def _policy(name: str, namespace: str, tenant: Tenant, settings: Settings, spec: dict[str, Any]) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": managed_labels(tenant.name, settings)},
        "spec": {"podSelector": {}, **spec},
    }


def _sidecar_port(tenant: Tenant, settings: Settings) -> list[dict[str, Any]] | None:
    """The ports traffic from outside the namespace may use: the sidecar's in native mode, else all (None)."""
    return [{"protocol": "TCP", "port": settings.mtls.port}] if tenant.mtls_mode == "native" else None


def _rule(peers: list[dict[str, Any]], side: str, ports: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {side: peers, **({"ports": ports} if ports is not None else {})}


def ingress_namespaces(tenant: Tenant, settings: Settings) -> tuple[str, ...]:
    """Namespaces outside the tenant that may open connections to its pods: gateways, then allowIngressFrom."""
    return tuple(dict.fromkeys((*settings.gateway_namespaces, *tenant.ingress_from)))


def network_policies(tenant: Tenant, namespace: str, settings: Settings) -> list[Obj]:
    """The baseline policies of `namespace`, allows first: written in this order, running pods keep their
    connections while the default deny arrives last."""
    same_tenant = {"namespaceSelector": {"matchLabels": {settings.tenant_label: tenant.name}}}
    ports = _sidecar_port(tenant, settings)
    ingress = (
        [_rule([{"podSelector": {}}], "from"), _rule([same_tenant], "from", ports)]
        if ports is not None
        else [_rule([same_tenant], "from")]
    )
    policies = [
        _policy(
            ALLOW_SAME_TENANT,
            namespace,
            tenant,
            settings,
            {"policyTypes": ["Ingress", "Egress"], "ingress": ingress, "egress": [_rule([same_tenant], "to")]},
        ),
        _policy(
            ALLOW_DNS,
            namespace,
            tenant,
            settings,
            {
                "policyTypes": ["Egress"],
                "egress": [
                    _rule(
                        [
                            {
                                "namespaceSelector": {"matchLabels": {NAME_LABEL: settings.cluster_dns.namespace}},
                                "podSelector": {"matchLabels": dict(settings.cluster_dns.pod_labels)},
                            }
                        ],
                        "to",
                        [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    )
                ],
            },
        ),
    ]
    sources = ingress_namespaces(tenant, settings)
    if sources:
        selector = {"matchExpressions": [{"key": NAME_LABEL, "operator": "In", "values": list(sources)}]}
        policies.append(
            _policy(
                ALLOW_INGRESS,
                namespace,
                tenant,
                settings,
                {"policyTypes": ["Ingress"], "ingress": [_rule([{"namespaceSelector": selector}], "from", ports)]},
            )
        )
    if tenant.egress_cidrs:
        blocks = [{"ipBlock": {"cidr": cidr}} for cidr in tenant.egress_cidrs]
        policies.append(
            _policy(ALLOW_EGRESS, namespace, tenant, settings, {"policyTypes": ["Egress"], "egress": [{"to": blocks}]})
        )
    policies.append(_policy(DEFAULT_DENY, namespace, tenant, settings, {"policyTypes": ["Ingress", "Egress"]}))
    return policies


def baseline_names(tenant: Tenant, settings: Settings) -> tuple[str, ...]:
    """The names of the baseline policies every namespace of `tenant` must have (NET005), in write order."""
    return tuple(p["metadata"]["name"] for p in network_policies(tenant, "", settings))
