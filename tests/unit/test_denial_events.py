"""webhook.denial_events: which denials become Events, on which object, and that writing them never touches
the admission answer. The sink is an in-memory stand-in for kube-apiserver's Events API (the e2e twin in
tests/e2e/test_denial_events.py writes to a real one)."""

from __future__ import annotations

import json
import queue
from collections.abc import Mapping
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook import handlers
from tenantguard.webhook.app import create_app
from tenantguard.webhook.denial_events import MAX_MESSAGE, REASON, Denial, DenialEvents, SinkError, denial_of
from tenantguard.webhook.related import ReadError
from tenantguard.webhook.review import AdmissionRequest, parse
from tests.support.fixtures import cluster_for, pod
from tests.unit.test_webhook_app import Source, review

RS_CONTROLLER = "system:serviceaccount:kube-system:replicaset-controller"
KUBE_SYSTEM = ("system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated")
NS = "acme-prod"


def replicaset_pod(*, privileged: bool = True, owner: bool = True) -> dict[str, Any]:
    """A pod of Deployment `vllm` as the ReplicaSet controller posts it."""
    p = pod(hostNetwork=True) if privileged else pod()
    meta = p["metadata"]
    meta["name"] = "vllm-5d8f9c7b6-x2x9z"
    meta["labels"]["pod-template-hash"] = "5d8f9c7b6"
    if owner:
        meta["ownerReferences"] = [
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "name": "vllm-5d8f9c7b6",
                "uid": "rs-uid",
                "controller": True,
            }
        ]
    return p


def workload(kind: str, name: str, uid: str, owner: Mapping[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NS, "uid": uid}
    if owner is not None:
        meta["ownerReferences"] = [{**owner, "controller": True}]
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta}


RS_PATH = f"/apis/apps/v1/namespaces/{NS}/replicasets/vllm-5d8f9c7b6"
DEPLOYMENT_OWNER = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "vllm", "uid": "deploy-uid"}


class Sink:
    """Objects to read by path; Events written, as kube-apiserver would keep them."""

    def __init__(self, objects: Mapping[str, dict[str, Any]] | None = None) -> None:
        default = {RS_PATH: workload("ReplicaSet", "vllm-5d8f9c7b6", "rs-uid", DEPLOYMENT_OWNER)}
        self.objects = dict(default if objects is None else objects)
        self.reads: list[str] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.fail: Exception | None = None

    def read_object(self, path: str) -> dict[str, Any] | None:
        self.reads.append(path)
        if isinstance(self.fail, ReadError):
            raise self.fail
        return self.objects.get(path)

    def create_event(self, namespace: str, body: Mapping[str, Any]) -> None:
        if isinstance(self.fail, SinkError):
            raise self.fail
        self.events[body["metadata"]["name"]] = json.loads(json.dumps(body))

    def patch_event(self, namespace: str, name: str, body: Mapping[str, Any]) -> bool:
        if name not in self.events:
            return False
        self.events[name].update(body)
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


def admission(
    obj: dict[str, Any], *, user: str = RS_CONTROLLER, groups: tuple[str, ...] = KUBE_SYSTEM, dry_run: bool = False
) -> tuple[AdmissionRequest, handlers.Decision]:
    body = review(obj, user=user, groups=groups)
    body["request"]["dryRun"] = dry_run
    req = parse(orjson.dumps(body))
    return req, handlers.validate(req, cluster_for())


def denial(obj: dict[str, Any] | None = None, **kwargs: Any) -> Denial | None:
    req, decision = admission(obj or replicaset_pod(), **kwargs)
    return denial_of(req, decision, DEFAULT_SETTINGS, 0.0)


# --- which denials ------------------------------------------------------------------------------------------


def test_a_controllers_denied_write_of_an_owned_object_is_surfaced() -> None:
    found = denial()
    assert found is not None
    assert found.workload == ("Deployment", "vllm") and found.controller.kind == "ReplicaSet"
    assert found.rules == ("PSS002",)
    assert found.message.startswith(
        f"tenantguard denied the create of Pod vllm-5d8f9c7b6-x2x9z by {RS_CONTROLLER}: [PSS002]"
    )


@pytest.mark.parametrize(
    ("obj", "kwargs"),
    [
        pytest.param(replicaset_pod(), {"user": "alice", "groups": ("acme-devs",)}, id="a-person-sees-the-denial"),
        pytest.param(replicaset_pod(), {"dry_run": True}, id="dry-run-has-no-side-effects"),
        pytest.param(replicaset_pod(privileged=False), {}, id="allowed"),
        pytest.param(replicaset_pod(owner=False), {}, id="no-owner-to-tell"),
    ],
)
def test_other_requests_are_not_surfaced(obj: dict[str, Any], kwargs: dict[str, Any]) -> None:
    assert denial(obj, **kwargs) is None


def test_a_platform_identity_is_a_controller() -> None:
    assert denial(user="system:kube-controller-manager", groups=("system:authenticated",)) is not None


def test_the_message_is_bounded() -> None:
    p = replicaset_pod()
    p["spec"]["containers"] = [
        {**p["spec"]["containers"][0], "name": f"c{i}", "securityContext": {"privileged": True}} for i in range(40)
    ]
    found = denial(p)
    assert found is not None and len(found.message) == MAX_MESSAGE and found.message.endswith("…")


# --- which object, and how often ---------------------------------------------------------------------------


def events_for(sink: Sink, clock: Clock, **kwargs: Any) -> tuple[DenialEvents, list[str]]:
    """The worker, and the outcomes it records (the metric's labels)."""
    outcomes: list[str] = []
    return DenialEvents(sink, record=outcomes.append, clock=clock, **kwargs), outcomes


def test_the_event_lands_on_the_deployment_with_its_uid_and_repeats_are_counted() -> None:
    sink, clock = Sink(), Clock()
    events, outcomes = events_for(sink, clock, interval=10)
    for _ in range(6):  # the ReplicaSet controller retrying, one second apart
        events.step(denial_of(*admission(replicaset_pod()), DEFAULT_SETTINGS, clock()))
        clock.now += 1
    (event,) = sink.events.values()
    assert event["involvedObject"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": NS,
        "name": "vllm",
        "uid": "deploy-uid",
    }
    assert (event["type"], event["reason"], event["count"]) == ("Warning", REASON, 1)
    assert "[PSS002] spec.hostNetwork" in event["message"]
    clock.now += 10
    events.step(None)
    assert event["count"] == 6 and event["lastTimestamp"] > event["firstTimestamp"]
    assert sink.reads == [RS_PATH]  # the ReplicaSet's owner is read once
    assert outcomes == ["created", "patched"]


def test_a_chain_that_ends_early_lands_on_the_outermost_owner_found() -> None:
    sink, clock = Sink({}), Clock()  # the ReplicaSet is gone
    events, _ = events_for(sink, clock)
    events.step(denial_of(*admission(replicaset_pod()), DEFAULT_SETTINGS, clock()))
    (event,) = sink.events.values()
    assert (event["involvedObject"]["kind"], event["involvedObject"]["uid"]) == ("ReplicaSet", "rs-uid")


def test_an_owner_replaced_under_the_same_name_is_not_followed() -> None:
    sink = Sink({RS_PATH: workload("ReplicaSet", "vllm-5d8f9c7b6", "another-uid", DEPLOYMENT_OWNER)})
    events, _ = events_for(sink, Clock())
    events.step(denial_of(*admission(replicaset_pod()), DEFAULT_SETTINGS, 0.0))
    (event,) = sink.events.values()
    assert event["involvedObject"]["kind"] == "ReplicaSet"


def test_an_expired_event_is_created_again_with_the_count() -> None:
    sink, clock = Sink(), Clock()
    events, _ = events_for(sink, clock, interval=0)
    d = denial_of(*admission(replicaset_pod()), DEFAULT_SETTINGS, clock())
    events.step(d)
    sink.events.clear()  # kube-apiserver's --event-ttl passed
    events.step(d)
    (event,) = sink.events.values()
    assert event["count"] == 2


def test_failures_and_the_write_budget_drop_events_not_requests() -> None:
    sink, clock = Sink(), Clock()
    events, outcomes = events_for(sink, clock, burst=1, rate=0.001)
    d = denial_of(*admission(replicaset_pod()), DEFAULT_SETTINGS, clock())
    sink.fail = SinkError("HTTP 403: forbidden")
    events.step(d)
    assert sink.events == {}
    events.step(d)  # the failed create was forgotten; the budget of one write is spent
    assert outcomes == ["failed", "dropped"]
    sink.fail = ReadError("connection refused")
    clock.now += 10_000
    events.step(d)  # the owner cannot be read: the ReplicaSet carries the Event
    assert [e["involvedObject"]["kind"] for e in sink.events.values()] == ["ReplicaSet"]


# --- off the request path -----------------------------------------------------------------------------------


def test_the_app_queues_a_controllers_denial_and_answers_as_before() -> None:
    events = DenialEvents(Sink(), queue_size=1)
    client = TestClient(create_app(Source(cluster_for()), events=events))
    body = review(replicaset_pod(), user=RS_CONTROLLER, groups=KUBE_SYSTEM)
    for uid in ("one", "two"):  # the second finds the queue full
        body["request"]["uid"] = uid
        resp = client.post("/validate", content=json.dumps(body), headers={"content-type": "application/json"})
        answer = resp.json()["response"]
        assert answer["uid"] == uid and answer["allowed"] is False and "[PSS002]" in answer["status"]["message"]
    queued = events.queue.get_nowait()
    assert queued.workload == ("Deployment", "vllm")
    with pytest.raises(queue.Empty):
        events.queue.get_nowait()
    metrics = client.get("/metrics").text
    assert 'tenantguard_admission_requests_total{endpoint="validate",outcome="denied"} 2.0' in metrics


def test_offer_never_raises() -> None:
    events = DenialEvents(Sink())
    req, decision = admission(replicaset_pod(), user="system:kube-controller-manager", groups=())
    events.offer(req, decision, None)  # type: ignore[arg-type]  # a bug in the caller must not fail admission
    assert events.queue.empty()
