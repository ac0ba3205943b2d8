"""A small DRA world for the gpu rules' tests: running pods and claims the webhook's cache or the audit would know."""

from __future__ import annotations

from typing import Any

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.request import Operation, Origin, Request, Requester
from tests.support.fixtures import NOW, cluster_for, request

PROFILE = 'device.attributes["gpu.nvidia.com"].profile == "{}"'


def running(obj: Obj, name: str = "", uid: str = "") -> Obj:
    """The pod as the cluster holds it: named, with a uid, Running."""
    meta = {**obj["metadata"], "name": name or obj["metadata"]["name"]}
    meta["uid"] = uid or meta["name"]
    return {**obj, "metadata": meta, "status": {"phase": "Running"}}


def world(*objs: Obj, tenant: dict[str, Any] | None = None) -> ClusterState:
    """A cluster that knows what runs (pods) and what is held (claims), as the webhook's cache does."""
    cluster = cluster_for(tenant)
    cluster.pods_known = True
    for obj in objs:
        if obj["kind"] == "Pod":
            cluster.put_pod(obj)
        else:
            cluster.learn(obj)
    return cluster


def fired(rule: str, obj: Obj, cluster: ClusterState | None = None, req: Request | None = None) -> list[Violation]:
    return [v for v in evaluate(obj, cluster or cluster_for(), req or request()).violations if v.rule == rule]


def update(old: Obj, user: str = "system:serviceaccount:kube-system:resource-claim-controller") -> Request:
    return Request(
        operation=Operation.UPDATE, origin=Origin.ADMISSION, requester=Requester(username=user), old=old, now=NOW
    )
