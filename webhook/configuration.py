"""The Mutating/ValidatingWebhookConfigurations: who is sent to the webhook, and what happens when it is down.

- Namespaced objects in tenant namespaces (selected by the tenant label) fail closed.
- Namespaces, Tenants, ClusterRoles and ClusterRoleBindings are judged everywhere except the exempt namespaces.
- Exempt namespaces (kube-system, the webhook's own, …) never reach the webhook, so an outage cannot lock
  them out; matchConditions drop high-volume system kinds before a call is made.
- Pods that no mutator would change (most pods: their controller copies a template /mutate already saw) skip
  the /mutate call: one mutating entry per tenant mTLS mode, selected by the namespace's
  `tenantguard.io/mtls-mode` label, with that mode's condition (`policies.mutation_cel`); namespaces without
  the label get the entry that sends everything. /validate is never skipped.

The Helm chart's webhook configurations are generated from this module (`webhook/chart_template.py`), so
`tenantguard certs webhook-config` and `helm install` register the same webhooks.
"""

from __future__ import annotations

import base64
from typing import Any

from tenantguard.policies import mutation_cel
from tenantguard.policies.settings import Settings

NAME = "tenantguard"
FAILURE_POLICIES = ("Fail", "Ignore")
# Cheap in-apiserver filters (CEL): events and leases are written constantly by system components and
# carry nothing a tenant policy judges.
MATCH_CONDITIONS = [
    {"name": "not-events", "expression": "request.kind.kind != 'Event'"},
    {"name": "not-leases", "expression": "request.kind.group != 'coordination.k8s.io'"},
    # kube-apiserver reconciles its bootstrap ClusterRoles and bindings at start-up and exits when that fails
    # for 30 s: its own writes must never wait on (or be denied by) the webhook.
    {"name": "not-apiserver-bootstrap", "expression": "request.userInfo.username != 'system:apiserver'"},
]
# Status and finalize writes (kubelets and controllers make thousands) reach the webhook only when they change
# what the policy judges: labels, annotations or ownerReferences. kube-apiserver keeps those metadata changes on
# most subresources, so without this a tenant with `pods/status` or `namespaces/status` could relabel around
# the policy, and one with `ingresses/status` (no forbidden power) could add an ingress-nginx snippet (SRV012)
# or a CDI device annotation (GPU012) that no rule ever saw.
_METADATA_CHANGED = (
    "!has(request.subResource) || !(request.subResource in ['status', 'finalize']) || "
    "(has(object.metadata.labels) ? object.metadata.labels : {}) != "
    "(has(oldObject.metadata.labels) ? oldObject.metadata.labels : {}) || "
    "(has(object.metadata.annotations) ? object.metadata.annotations : {}) != "
    "(has(oldObject.metadata.annotations) ? oldObject.metadata.annotations : {}) || "
    "(has(object.metadata.ownerReferences) ? object.metadata.ownerReferences : []) != "
    "(has(oldObject.metadata.ownerReferences) ? oldObject.metadata.ownerReferences : [])"
)
VALIDATE_CONDITIONS = [*MATCH_CONDITIONS, {"name": "status-changes-metadata", "expression": _METADATA_CHANGED}]
_CLUSTER_RULES = [
    {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["namespaces"]},
    # Validating only (see _webhooks): label changes through these subresources.
    {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["namespaces/status", "namespaces/finalize"]},
    {"apiGroups": ["tenantguard.io"], "apiVersions": ["*"], "resources": ["tenants"]},
    {"apiGroups": ["rbac.authorization.k8s.io"], "apiVersions": ["*"], "resources": ["clusterrolebindings"]},
    {"apiGroups": ["rbac.authorization.k8s.io"], "apiVersions": ["*"], "resources": ["clusterroles"]},
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
    failure_policy: str,
    extra_conditions: list[dict[str, str]],
    mutating: bool,
) -> list[dict[str, Any]]:
    exempt = sorted(settings.exempt_namespaces | {settings.webhook_namespace})
    common: dict[str, Any] = {
        "admissionReviewVersions": ["v1"],
        # /validate writes an Event when it denies a controller's write (webhook.denial_events), never on dry run
        "sideEffects": "None" if mutating else "NoneOnDryRun",
        "failurePolicy": failure_policy,
        "timeoutSeconds": timeout,
        "matchPolicy": "Equivalent",
        "clientConfig": _client(url, service, path, ca_bundle),
        "matchConditions": [*(MATCH_CONDITIONS if mutating else VALIDATE_CONDITIONS), *extra_conditions],
    }
    if mutating:
        common["reinvocationPolicy"] = "IfNeeded"  # later mutators may add containers: judge those too
    kind = "mutate" if mutating else "validate"
    tenant_namespaces = [
        {"key": settings.tenant_label, "operator": "Exists"},
        {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": exempt},
    ]
    namespaced = {
        **common,
        "name": f"{kind}-namespaced.tenantguard.io",
        "namespaceSelector": {"matchExpressions": tenant_namespaces},
        "rules": [
            {
                "apiGroups": ["*"],
                "apiVersions": ["*"],
                "operations": operations,
                "scope": "Namespaced",
                # `*/status`: label changes (see VALIDATE_CONDITIONS); `*/scale`: judged by /validate as an update
                # of the workload's replicas (webhook.related)
                "resources": [
                    "*",
                    "pods/ephemeralcontainers",
                    "pods/resize",
                    *([] if mutating else ["*/status", "*/scale"]),
                ],
            }
        ],
    }
    namespaced_entries = [namespaced]
    if mutating:
        # The namespaces of each mTLS mode get an entry that skips pods no mutator would change; the rest
        # (no mode label yet) keep the entry that sends everything. The selectors partition the namespaces.
        modes = list(mutation_cel.MODES)
        mode_key = mutation_cel.MODE_LABEL
        namespaced["namespaceSelector"] = {
            "matchExpressions": [*tenant_namespaces, {"key": mode_key, "operator": "NotIn", "values": modes}]
        }
        for mode in modes:
            skip = {"name": "pod-needs-mutation", "expression": f"!({mutation_cel.pod_unchanged(mode, settings)})"}
            namespaced_entries.append(
                {
                    **namespaced,
                    "name": f"mutate-mtls-{mode}.tenantguard.io",
                    "namespaceSelector": {
                        "matchExpressions": [*tenant_namespaces, {"key": mode_key, "operator": "In", "values": [mode]}]
                    },
                    "matchConditions": [*MATCH_CONDITIONS, skip, *extra_conditions],
                }
            )
    cluster = {
        **common,
        "name": f"{kind}-cluster.tenantguard.io",
        "namespaceSelector": {
            "matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": exempt},
            ]
        },
        "rules": [
            {**r, "operations": operations, "scope": "Cluster"}
            for r in _CLUSTER_RULES
            if not mutating or not any("/" in res for res in r["resources"])
        ],
    }
    return [*namespaced_entries, cluster]


def configurations(
    settings: Settings,
    *,
    ca_bundle: bytes,
    url: str | None = None,
    service: tuple[str, str, int] | None = None,
    timeout: int = 5,
    failure_policy: str = "Fail",
    match_conditions: list[dict[str, str]] | None = None,
    name: str = NAME,
    labels: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Both configurations. `failure_policy` Ignore admits everything while the webhook is down (tenant isolation
    is then not enforced); `match_conditions` are appended to ours (CEL, e.g. to skip a platform's own users)."""
    if failure_policy not in FAILURE_POLICIES:
        raise ValueError(f"failure policy must be one of {', '.join(FAILURE_POLICIES)}, got {failure_policy!r}")
    meta = {"name": name, "labels": labels or {"app.kubernetes.io/name": "tenantguard"}}
    extra = list(match_conditions or [])
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
                failure_policy=failure_policy,
                extra_conditions=extra,
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
                failure_policy=failure_policy,
                extra_conditions=extra,
                mutating=False,
            ),
        },
    ]
