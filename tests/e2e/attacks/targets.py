"""Objects the admin puts in acme-dev before the corpus runs, for the cases that patch, scale or delete them.

They stand for what exists in a tenant namespace: a pod, a Deployment (one with a GPU), an Ingress, a Role, a
ServiceAccount bound to the tenant role (for impersonation), and the platform's managed objects — the
baseline NetworkPolicy and the GPU ResourceQuota, as the reconciler writes them.
"""

from __future__ import annotations

from tests.e2e.attacks.case import Obj
from tests.e2e.attacks.objects import (
    NS,
    RBAC,
    container,
    deployment,
    gpu_spec,
    grant,
    ingress,
    meta,
    pod,
    pod_spec,
    role,
)

MANAGED = {"tenantguard.io/managed": "true"}

NAMESPACE: Obj = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
TARGET_POD = pod("target", pod_spec(container()), app="target")
TARGET_DEPLOYMENT = deployment("target")
GPU_DEPLOYMENT = deployment("gpu-target", gpu_spec(2))
TARGET_INGRESS = ingress("target", "chat.acme.example")
MANAGED_NETPOL: Obj = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {**meta("tenantguard-default-deny"), "labels": dict(MANAGED)},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}
MANAGED_QUOTA: Obj = {
    "apiVersion": "v1",
    "kind": "ResourceQuota",
    "metadata": {**meta("tenantguard-gpu"), "labels": dict(MANAGED)},
    "spec": {"hard": {"requests.nvidia.com/gpu": "8"}},
}
READER_ROLE = role("reader", grant(["get", "list"], ["configmaps"]))
ROBOT: Obj = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta("robot")}
ROBOT_BINDING: Obj = {
    "apiVersion": f"{RBAC}/v1",
    "kind": "RoleBinding",
    "metadata": meta("robot"),
    "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": "tenant-developer"},
    "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": NS}],
}

TARGETS: tuple[Obj, ...] = (
    TARGET_POD,
    TARGET_DEPLOYMENT,
    GPU_DEPLOYMENT,
    TARGET_INGRESS,
    MANAGED_NETPOL,
    MANAGED_QUOTA,
    READER_ROLE,
    ROBOT,
    ROBOT_BINDING,
)
