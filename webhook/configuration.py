"""The Mutating/ValidatingWebhookConfigurations: who is sent to the webhook, and what happens when it is down.

- Namespaced objects in tenant namespaces (selected by the tenant label) fail closed.
- Namespaces, Tenants and cluster RBAC are judged everywhere except the exempt namespaces.
- Exempt namespaces (kube-system, the webhook's own, …) never reach the webhook, so an outage cannot lock
  them out; matchConditions drop high-volume system kinds before a call is made.
"""

from __future__ import annotations

import base64
from typing import Any

from tenantguard.policies.settings import Settings

NAME = "tenantguard"
# Cheap in-apiserver filters (CEL): events and leases are written constantly by system components and
# carry nothing a tenant policy judges.
MATCH_CONDITIONS = [
    {"name": "not-events", "expression": "request.kind.kind != 'Event'"},
    {"name": "not-leases", "expression": "request.kind.group != 'coordination.k8s.io'"},
]
_CLUSTER_RULES = [
    {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["namespaces"]},
    {"apiGroups": ["tenantguard.io"], "apiVersions": ["*"], "resources": ["tenants"]},
    {"apiGroups": ["rbac.authorization.k8s.io"], "apiVersions": ["*"], "resources": ["clusterrolebindings"]},
]


def _client(url: str | None, service: tuple[str, str, int] | None, path: str, ca_bundle: bytes) -> dict[str, Any]:
    cfg: dict[str, Any] = {"caBundle": base64.b64encode(ca_bundle).decode()}
    if service is not None:
        ns, name, port = service
        cfg["service"] = {"namespace": ns, "name": name, "port": port, "path": path}
    elif url is not None:
        cfg["url"] = url.rstrip("/") + path
    else:
        raise ValueError("either url or service is required")
    return cfg


def _webhooks(
    settings: Settings,
    *,
    path: str,
    url: str | None,
    service: tuple[str, str, int] | None,
    ca_bundle: bytes,
    operations: list[str],
    timeout: int,
    mutating: bool,
) -> list[dict[str, Any]]:
    exempt = sorted(settings.exempt_namespaces | {settings.webhook_namespace})
    common: dict[str, Any] = {
        "admissionReviewVersions": ["v1"],
        "sideEffects": "None",
        "failurePolicy": "Fail",
        "timeoutSeconds": timeout,
        "matchPolicy": "Equivalent",
        "clientConfig": _client(url, service, path, ca_bundle),
        "matchConditions": MATCH_CONDITIONS,
    }
    if mutating:
        common["reinvocationPolicy"] = "IfNeeded"  # later mutators may add containers: judge those too
    kind = "mutate" if mutating else "validate"
    namespaced = {
        **common,
        "name": f"{kind}-namespaced.tenantguard.io",
        "namespaceSelector": {
            "matchExpressions": [
                {"key": settings.tenant_label, "operator": "Exists"},
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": exempt},
            ]
        },
        "rules": [
            {
                "apiGroups": ["*"],
                "apiVersions": ["*"],
                "operations": operations,
                "scope": "Namespaced",
                # `*/scale`: judged by /validate as an update of the workload's replicas (webhook.related)
                "resources": ["*", "pods/ephemeralcontainers", "pods/resize", *([] if mutating else ["*/scale"])],
            }
        ],
    }
    cluster = {
        **common,
        "name": f"{kind}-cluster.tenantguard.io",
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": exempt},
            ]
        },
        "rules": [{**r, "operations": operations, "scope": "Cluster"} for r in _CLUSTER_RULES],
    }
    return [namespaced, cluster]


def configurations(
    settings: Settings,
    *,
    ca_bundle: bytes,
    url: str | None = None,
    service: tuple[str, str, int] | None = None,
    timeout: int = 5,
) -> list[dict[str, Any]]:
    meta = {"name": NAME, "labels": {"app.kubernetes.io/name": "tenantguard"}}
    return [
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "MutatingWebhookConfiguration",
            "metadata": meta,
            "webhooks": _webhooks(
                settings,
                path="/mutate",
                url=url,
                service=service,
                ca_bundle=ca_bundle,
                operations=["CREATE", "UPDATE"],
                timeout=timeout,
                mutating=True,
            ),
        },
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": meta,
            "webhooks": _webhooks(
                settings,
                path="/validate",
                url=url,
                service=service,
                ca_bundle=ca_bundle,
                operations=["CREATE", "UPDATE", "DELETE"],
                timeout=timeout,
                mutating=False,
            ),
        },
    ]
