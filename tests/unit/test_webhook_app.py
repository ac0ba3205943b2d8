"""The admission HTTP edge: verdicts, patches, warnings, and bad input that never takes the server down."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import jsonpatch
import pytest
from fastapi.testclient import TestClient

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.settings import parse_settings
from tenantguard.webhook import handlers
from tenantguard.webhook.app import create_app
from tests.support.fixtures import cluster_for, deployment, pod


class Source:
    def __init__(self, cluster: ClusterState, ready: bool = True) -> None:
        self._cluster, self._ready = cluster, ready

    def cluster(self) -> ClusterState:
        return self._cluster

    def ready(self) -> tuple[bool, str]:
        return self._ready, "test"

    def counts(self) -> Mapping[str, int]:
        return self._cluster.counts()


def review(
    obj: dict[str, Any] | None,
    *,
    operation: str = "CREATE",
    old: dict[str, Any] | None = None,
    uid: str = "u-1",
    user: str = "alice",
    groups: tuple[str, ...] = ("acme-devs",),
    sub_resource: str = "",
) -> dict[str, Any]:
    subject = obj or old or {}
    meta = subject.get("metadata", {})
    req: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": subject.get("kind", "Pod")},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "namespace": meta.get("namespace", ""),
        "name": meta.get("name", ""),
        "operation": operation,
        "userInfo": {"username": user, "groups": list(groups)},
        "object": obj,
        "oldObject": old,
        "dryRun": False,
    }
    if sub_resource:
        req["subResource"] = sub_resource
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(Source(cluster_for())))


def _post(client: TestClient, path: str, body: Any) -> Any:
    resp = client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})
    assert resp.status_code == 200, resp.text
    return resp.json()["response"]


def test_allowed_pod_echoes_the_uid(client: TestClient) -> None:
    resp = _post(client, "/validate", review(pod(), uid="abc"))
    assert resp == {"uid": "abc", "allowed": True}


def test_denial_lists_every_violated_rule_in_one_message(client: TestClient) -> None:
    bad = pod(hostNetwork=True, hostPID=True)
    bad["spec"]["containers"][0]["image"] = "quay.io/evil/app:1"
    resp = _post(client, "/validate", review(bad))
    assert resp["allowed"] is False and resp["status"]["code"] == 403
    message = resp["status"]["message"]
    assert message.startswith("tenantguard denied the request")
    assert "[PSS002] spec.hostNetwork:" in message and "[SRV002]" in message
    assert all(" — " in line for line in message.splitlines()[1:])


def test_warn_mode_rules_are_warnings_not_denials() -> None:
    settings = parse_settings({"ruleModes": {"PSS002": "warn"}})
    client = TestClient(create_app(Source(cluster_for(settings=settings))))
    resp = _post(client, "/validate", review(pod(hostNetwork=True)))
    assert resp["allowed"] is True
    assert any(w.startswith("[PSS002] spec.hostNetwork") for w in resp["warnings"])
    assert all(len(w) <= 120 for w in resp["warnings"])


def _replicaset_pod(deployment_name: str, pod_hash: str = "5d8f9c7b6") -> dict[str, Any]:
    """A pod as the ReplicaSet controller creates it for a Deployment: generateName, owner, hash label."""
    p = pod(hostNetwork=True)
    meta = p["metadata"]
    del meta["name"]
    meta["generateName"] = f"{deployment_name}-{pod_hash}-"
    meta["labels"]["pod-template-hash"] = pod_hash
    rs = f"{deployment_name}-{pod_hash}"
    meta["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": "u", "controller": True}
    ]
    return p


def _exception_client(until: str) -> TestClient:
    raw = {"rule": "PSS002", "kind": "Deployment", "name": "mixtral", "reason": "INC-7: NCCL", "until": until}
    return TestClient(create_app(Source(cluster_for(settings=parse_settings({"exceptions": [raw]})))))


def test_a_deployments_exception_admits_its_pods_with_a_warning_and_an_audit_annotation() -> None:
    resp = _post(
        _exception_client("2099-01-01"),
        "/validate",
        review(_replicaset_pod("mixtral"), user="system:serviceaccount:kube-system:replicaset-controller", groups=()),
    )
    assert resp["allowed"] is True, resp
    assert resp["warnings"] == ["[PSS002] waived until 2099-01-01: INC-7: NCCL"]
    assert resp["auditAnnotations"] == {"pss002-waived": "until 2099-01-01: INC-7: NCCL"}


def test_an_expired_exception_is_named_in_the_denial() -> None:
    resp = _post(_exception_client("2020-01-01"), "/validate", review(_replicaset_pod("mixtral")))
    assert resp["allowed"] is False
    assert "(waiver for PSS002 expired 2020-01-01)" in resp["status"]["message"]


def test_audit_mode_rules_become_audit_annotations() -> None:
    settings = parse_settings({"ruleModes": {"PSS002": "audit"}})
    client = TestClient(create_app(Source(cluster_for(settings=settings))))
    resp = _post(client, "/validate", review(pod(hostNetwork=True)))
    assert resp["allowed"] is True and "pss002" in resp["auditAnnotations"]


def test_mutation_is_a_base64_json_patch_that_labels_the_object(client: TestClient) -> None:
    dep = deployment()
    del dep["metadata"]["labels"]["tenantguard.io/tenant"]
    resp = _post(client, "/mutate", review(dep))
    assert resp["patchType"] == "JSONPatch"
    patched = jsonpatch.apply_patch(dep, json.loads(base64.b64decode(resp["patch"])))
    assert patched["metadata"]["labels"]["tenantguard.io/tenant"] == "acme"
    again = _post(client, "/mutate", review(patched))
    assert "patch" not in again, "mutating the mutated object changes nothing"


def test_update_cannot_change_the_tenant_label(client: TestClient) -> None:
    old = pod()
    new = pod(labels={"tenantguard.io/tenant": "globex"})
    resp = _post(client, "/validate", review(new, operation="UPDATE", old=old))
    assert resp["allowed"] is False and "[TEN003]" in resp["status"]["message"]


def test_ephemeral_containers_subresource_is_judged(client: TestClient) -> None:
    debug = pod()
    debug["spec"]["ephemeralContainers"] = [
        {"name": "debug", "image": "registry.acme.example/busybox", "securityContext": {"privileged": True}}
    ]
    resp = _post(client, "/validate", review(debug, operation="UPDATE", old=pod(), sub_resource="ephemeralcontainers"))
    assert (
        resp["allowed"] is False
        and "spec.ephemeralContainers[0].securityContext.privileged" in resp["status"]["message"]
    )


def test_status_subresource_is_judged_as_an_update_of_the_object(client: TestClient) -> None:
    """Labels written through pods/status or namespaces/status are kept by the API server: judged like an UPDATE."""
    relabelled = pod(labels={"tenantguard.io/tenant": "globex"})
    resp = _post(client, "/validate", review(relabelled, operation="UPDATE", old=pod(), sub_resource="status"))
    assert resp["allowed"] is False and "[TEN003]" in resp["status"]["message"]
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme-dev", "labels": {}}}
    old_ns = {**ns, "metadata": {"name": "acme-dev", "labels": {"tenantguard.io/tenant": "acme"}}}
    for sub in ("status", "finalize"):
        resp = _post(client, "/validate", review(ns, operation="UPDATE", old=old_ns, sub_resource=sub))
        assert resp["allowed"] is False and "[TEN003]" in resp["status"]["message"], sub


@pytest.mark.parametrize("sub_resource", ["binding", "eviction", "exec", "log", "token", "proxy"])
def test_subresources_that_carry_no_judged_object_are_allowed(client: TestClient, sub_resource: str) -> None:
    resp = _post(
        client, "/validate", review(pod(hostNetwork=True), operation="CREATE", old=None, sub_resource=sub_resource)
    )
    assert resp["allowed"] is True


def _managed_netpol() -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "tenantguard-default-deny",
            "namespace": "acme-prod",
            "labels": {"tenantguard.io/managed": "true", "tenantguard.io/tenant": "acme"},
        },
        "spec": {"podSelector": {}},
    }


def test_tenants_cannot_delete_managed_objects_but_the_platform_can(client: TestClient) -> None:
    resp = _post(client, "/validate", review(None, operation="DELETE", old=_managed_netpol()))
    assert resp["allowed"] is False and "[NET001]" in resp["status"]["message"]
    platform = review(
        None,
        operation="DELETE",
        old=_managed_netpol(),
        user="system:serviceaccount:tenantguard-system:tenantguard",
        groups=(),
    )
    assert _post(client, "/validate", platform)["allowed"] is True
    ordinary = review(None, operation="DELETE", old=pod())
    assert _post(client, "/validate", ordinary)["allowed"] is True


def test_objects_outside_tenant_namespaces_are_allowed(client: TestClient) -> None:
    resp = _post(client, "/validate", review(pod(namespace="kube-system", hostNetwork=True)))
    assert resp["allowed"] is True


@pytest.mark.parametrize(
    ("body", "content_type", "status", "error"),
    [
        (b"", "application/json", 400, "empty body"),
        (b"{not json", "application/json", 400, "not JSON"),
        (b"[]", "application/json", 400, "not a JSON object"),
        (b'{"kind": "Pod"}', "application/json", 400, "expected kind AdmissionReview"),
        (b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}', "application/json", 400, "no request"),
        (
            json.dumps({**review(pod()), "request": {**review(pod())["request"], "uid": ""}}).encode(),
            "application/json",
            400,
            "uid",
        ),
        (
            json.dumps({**review(pod()), "request": {**review(pod())["request"], "object": None}}).encode(),
            "application/json",
            400,
            "object is required",
        ),
        (
            json.dumps({**review(pod()), "request": {**review(pod())["request"], "operation": "PATCH"}}).encode(),
            "application/json",
            400,
            "operation",
        ),
        (b"{}", "text/plain", 415, "content type"),
    ],
    ids=[
        "empty",
        "not-json",
        "array",
        "wrong-kind",
        "no-request",
        "no-uid",
        "no-object",
        "bad-operation",
        "content-type",
    ],
)
def test_bad_input_gets_a_json_error_and_the_server_keeps_serving(
    client: TestClient, body: bytes, content_type: str, status: int, error: str
) -> None:
    resp = client.post("/validate", content=body, headers={"content-type": content_type})
    assert resp.status_code == status and error in resp.json()["error"]
    assert _post(client, "/validate", review(pod()))["allowed"] is True


def test_oversized_bodies_are_refused_before_parsing() -> None:
    client = TestClient(create_app(Source(cluster_for()), max_body=1024))
    resp = client.post("/validate", content=b"{" + b" " * 4096 + b"}", headers={"content-type": "application/json"})
    assert resp.status_code == 413


def test_a_handler_error_is_an_errored_response_with_the_uid(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*_: Any) -> handlers.Decision:
        raise RuntimeError("bug")

    monkeypatch.setattr(handlers, "validate", boom)
    broken = TestClient(create_app(Source(cluster_for())))
    resp = _post(broken, "/validate", review(pod(), uid="xyz"))
    assert resp["uid"] == "xyz" and resp["allowed"] is False and resp["status"]["code"] == 500
    assert "internal error" in resp["status"]["message"] and "denied" not in resp["status"]["message"]


def test_nothing_is_judged_before_the_cluster_view_has_synced() -> None:
    """An unsynced cache knows no Tenant: judged with it, every request would be allowed. A 503 is a call failure
    for kube-apiserver, so the failurePolicy (Fail) refuses the request instead."""
    source = Source(cluster_for(), ready=False)
    client = TestClient(create_app(source))
    for path in ("/validate", "/mutate"):
        resp = client.post(
            path, content=json.dumps(review(pod(hostNetwork=True))), headers={"content-type": "application/json"}
        )
        assert resp.status_code == 503 and resp.json() == {"error": "not ready to judge: test"}
    assert 'tenantguard_admission_bad_requests_total{reason="not-ready"} 2.0' in client.get("/metrics").text
    source._ready = True
    assert _post(client, "/validate", review(pod(hostNetwork=True)))["allowed"] is False


def test_health_readiness_and_metrics() -> None:
    source = Source(cluster_for(), ready=False)
    client = TestClient(create_app(source))
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    source._ready = True
    assert client.get("/readyz").status_code == 200
    _post(client, "/validate", review(pod(hostNetwork=True)))
    metrics = client.get("/metrics").text
    assert 'tenantguard_admission_requests_total{endpoint="validate",outcome="denied"} 1.0' in metrics
    assert 'tenantguard_admission_violations_total{mode="enforce",rule="PSS002",tenant="acme"} 1.0' in metrics
    assert "tenantguard_admission_duration_seconds_bucket" in metrics
