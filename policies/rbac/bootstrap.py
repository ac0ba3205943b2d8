"""Kubernetes' own ClusterRoles that grant a forbidden power, and which — known by name.

The engine judges one object at a time, so a RoleBinding is judged by the name of the ClusterRole it binds.
For Kubernetes' bootstrap ClusterRoles (kube-apiserver's bootstrap policy, plugin/pkg/auth/authorizer/rbac/
bootstrappolicy) the rules are known: these are the ones that grant a power of policies/rbac/powers.py, with
those powers, as kube-apiserver v1.36 creates them (admin, edit and view aggregated; they grant none).
tests/e2e/test_rbac_powers.py recomputes the table from a live kube-apiserver and fails when it drifts.
"""

from __future__ import annotations

from collections.abc import Mapping

_NODES = ("node-access",)

# fmt: off
GRANTING: Mapping[str, tuple[str, ...]] = {
    "cluster-admin": (
        "namespace-writes", "pod-status-writes", "service-status-writes", "quota-writes", "limit-range-writes",
        "endpoint-writes", "pod-binding", "escalate", "bind", "impersonate", "node-access", "crd-writes",
        "admission-writes", "tenant-writes",
    ),
    "system:controller:attachdetach-controller": _NODES,
    "system:controller:clusterrole-aggregation-controller": ("escalate",),
    "system:controller:daemon-set-controller": ("pod-binding", "node-access"),
    "system:controller:device-taint-eviction-controller": ("pod-status-writes",),
    "system:controller:disruption-controller": ("pod-status-writes", "node-access"),
    "system:controller:endpoint-controller": ("endpoint-writes",),
    "system:controller:endpointslice-controller": ("endpoint-writes", "node-access"),
    "system:controller:endpointslicemirroring-controller": ("endpoint-writes",),
    "system:controller:generic-garbage-collector": (
        "namespace-writes", "pod-status-writes", "service-status-writes", "quota-writes", "limit-range-writes",
        "endpoint-writes", "node-access", "crd-writes", "admission-writes", "tenant-writes",
    ),
    "system:controller:horizontal-pod-autoscaler": _NODES,
    "system:controller:namespace-controller": (
        "namespace-writes", "quota-writes", "limit-range-writes", "endpoint-writes", "node-access", "crd-writes",
        "admission-writes", "tenant-writes",
    ),
    "system:controller:node-controller": ("pod-status-writes", "node-access"),
    "system:controller:persistent-volume-binder": _NODES,
    "system:controller:pod-garbage-collector": ("pod-status-writes", "node-access"),
    "system:controller:resource-claim-controller": ("pod-status-writes",),
    "system:controller:resourcequota-controller": ("quota-writes", "node-access"),
    "system:controller:route-controller": _NODES,
    "system:controller:service-controller": ("service-status-writes", "node-access"),
    "system:controller:ttl-controller": _NODES,
    "system:heapster": _NODES,
    "system:kube-controller-manager": _NODES,
    "system:kube-scheduler": ("pod-status-writes", "pod-binding", "node-access"),
    "system:kubelet-api-admin": _NODES,
    "system:monitoring": _NODES,
    "system:node": ("pod-status-writes", "node-access"),
    "system:node-problem-detector": _NODES,
    "system:node-proxier": _NODES,
}
# fmt: on
