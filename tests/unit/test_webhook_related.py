"""Requests that refer to another object: `scale` subresources judged as an update of the workload's replicas,
and autoscalers judged against their target — the webhook reads the object, the rules stay pure.

The reader here serves objects from a dict, the way ClusterCache.read_object serves them from the API server
(tests/e2e/test_gpu_caps.py drives the real one through kube-apiserver)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi.testclient import TestClient

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.rules.gpu.samples import container, deployment
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook.app import create_app
from tenantguard.webhook.configuration import configurations
from tenantguard.webhook.related import ReadError
from tests.support.fixtures import cluster_for

DEPLOYMENT_PATH = "/apis/apps/v1/namespaces/acme-prod/deployments/vllm"


class Source:
    def __init__(self, cluster: ClusterState) -> None:
        self._cluster = cluster

    def cluster(self) -> ClusterState:
        return self._cluster

    def ready(self) -> tuple[bool, str]:
        return True, "test"

    def counts(self) -> Mapping[str, int]:
        return {}


class ReadingSource(Source):
    """A cluster-mode source: it can read one object at a time (webhook.related.ObjectReader)."""

    def __init__(self, cluster: ClusterState, objects: dict[str, Any], fail: bool = False) -> None:
        super().__init__(cluster)
        self.objects, self.fail = objects, fail
        self.reads: list[str] = []

    def read_object(self, path: str) -> dict[str, Any] | None:
        self.reads.append(path)
        if self.fail:
            raise ReadError("connection refused")
        return self.objects.get(path)


def scale_review(replicas: int, old: int = 1, resource: tuple[str, str] = ("apps", "deployments")) -> dict[str, Any]:
    def scale(n: int) -> dict[str, Any]:
        return {
            "apiVersion": "autoscaling/v1",
            "kind": "Scale",
            "metadata": {"name": "vllm", "namespace": "acme-prod"},
            "spec": {"replicas": n} if n else {},
        }

    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "s-1",
            "kind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
            "resource": {"group": resource[0], "version": "v1", "resource": resource[1]},
            "subResource": "scale",
            "namespace": "acme-prod",
            "name": "vllm",
            "operation": "UPDATE",
            "userInfo": {"username": "alice", "groups": ["acme-devs"]},
            "object": scale(replicas),
            "oldObject": scale(old),
        },
    }


def hpa_review(max_replicas: int) -> dict[str, Any]:
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "vllm"},
            "maxReplicas": max_replicas,
        },
    }
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "h-1",
            "kind": {"group": "autoscaling", "version": "v2", "kind": "HorizontalPodAutoscaler"},
            "resource": {"group": "autoscaling", "version": "v2", "resource": "horizontalpodautoscalers"},
            "namespace": "acme-prod",
            "name": "vllm",
            "operation": "CREATE",
            "userInfo": {"username": "alice", "groups": ["acme-devs"]},
            "object": hpa,
        },
    }


def post(source: Source, path: str, body: Any) -> Any:
    client = TestClient(create_app(source))
    resp = client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})
    assert resp.status_code == 200, resp.text
    return resp.json()["response"]


def stored(replicas: int = 1, gpus: int = 2) -> dict[str, Any]:
    return deployment(replicas, container({"nvidia.com/gpu": gpus}))


def test_kubectl_scale_past_the_cap_is_refused_with_the_rule() -> None:
    """The gates issue: scale reported success while the ReplicaSet controller was refused every second."""
    source = ReadingSource(cluster_for(), {DEPLOYMENT_PATH: stored()})
    resp = post(source, "/validate", scale_review(5))
    assert source.reads == [DEPLOYMENT_PATH]
    assert resp["uid"] == "s-1" and resp["allowed"] is False and resp["status"]["code"] == 403
    message = resp["status"]["message"]
    assert "[GPU006] spec.replicas: Deployment needs 10 GPU-equivalents (5 pods x 2 nvidia.com/gpu)" in message
    assert "[PSS" not in message and "[SRV" not in message, "a scale request is judged only on its replicas"


def test_a_replication_controller_is_read_from_the_core_group_and_judged_alike() -> None:
    """Found by the attack corpus: ReplicationControllers (core/v1, in `edit`) were neither templates nor scalable."""
    rc = {**stored(), "apiVersion": "v1", "kind": "ReplicationController"}
    path = "/api/v1/namespaces/acme-prod/replicationcontrollers/vllm"
    source = ReadingSource(cluster_for(), {path: rc})
    resp = post(source, "/validate", scale_review(5, resource=("", "replicationcontrollers")))
    assert source.reads == [path]
    assert resp["allowed"] is False
    assert "[GPU006] spec.replicas: ReplicationController needs 10 GPU-equivalents" in resp["status"]["message"]


def test_scaling_within_the_cap_or_down_is_allowed() -> None:
    source = ReadingSource(cluster_for(), {DEPLOYMENT_PATH: stored(3)})
    assert post(source, "/validate", scale_review(4, old=3))["allowed"] is True
    assert post(source, "/validate", scale_review(0, old=3))["allowed"] is True, "to zero: spec.replicas omitted"


def test_a_workload_that_cannot_be_read_fails_closed_as_an_error_not_a_denial() -> None:
    for source in (ReadingSource(cluster_for(), {}, fail=True), ReadingSource(cluster_for(), {})):
        resp = post(source, "/validate", scale_review(5))
        assert resp["allowed"] is False and resp["status"]["code"] == 500
        assert resp["status"]["reason"] == "InternalError"
        assert resp["status"]["message"].startswith(
            "tenantguard webhook: cannot judge deployments/scale acme-prod/vllm"
        )


def test_static_mode_admits_a_scale_request_with_a_warning_that_it_was_not_judged() -> None:
    resp = post(Source(cluster_for()), "/validate", scale_review(5))
    assert resp["allowed"] is True
    warning = "tenantguard: deployments/scale acme-prod/vllm not judged: static mode cannot read the Deployment"
    assert resp["warnings"] == [warning]


def test_scale_of_kinds_the_rules_do_not_count_is_not_judged() -> None:
    source = ReadingSource(cluster_for(), {})
    resp = post(source, "/validate", scale_review(50, resource=("example.com", "widgets")))  # a CRD with a scale
    assert resp["allowed"] is True and source.reads == []


def test_scale_requests_are_never_mutated() -> None:
    source = ReadingSource(cluster_for(), {DEPLOYMENT_PATH: stored()})
    assert post(source, "/mutate", scale_review(2)) == {"uid": "s-1", "allowed": True}
    assert source.reads == []


def test_autoscaler_judged_against_the_target_it_reads() -> None:
    source = ReadingSource(cluster_for(), {DEPLOYMENT_PATH: stored(1, gpus=1)})
    resp = post(source, "/validate", hpa_review(9))
    assert resp["allowed"] is False and "[GPU006] spec.maxReplicas:" in resp["status"]["message"]
    assert post(source, "/validate", hpa_review(8))["allowed"] is True


def test_autoscaler_whose_target_cannot_be_read_is_allowed_with_a_warning() -> None:
    for source in (
        ReadingSource(cluster_for(), {}),
        ReadingSource(cluster_for(), {}, fail=True),
        Source(cluster_for()),
    ):
        resp = post(source, "/validate", hpa_review(9))
        assert resp["allowed"] is True
        assert any(w.startswith("[GPU014] spec.scaleTargetRef") for w in resp["warnings"])


def test_scale_subresources_go_to_the_validating_webhook_only() -> None:
    mutating, validating = configurations(DEFAULT_SETTINGS, ca_bundle=b"pem", url="https://127.0.0.1:8443")
    assert "*/scale" in validating["webhooks"][0]["rules"][0]["resources"]
    assert "*/scale" not in mutating["webhooks"][0]["rules"][0]["resources"]
