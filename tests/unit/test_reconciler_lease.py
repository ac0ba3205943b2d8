"""Leader election over a Lease held by an in-memory API with kube-apiserver's compare-and-swap, on fake clocks."""

from __future__ import annotations

import copy
import threading
from typing import Any

import pytest

from tenantguard.webhook.reconciler.api import ApiError
from tenantguard.webhook.reconciler.leader import LeaderElector, LeaseConfig
from tenantguard.webhook.reconciler.queue import WorkQueue


class LeaseApi:
    """get/create/replace of one Lease; replace refuses a stale resourceVersion with 409, as kube-apiserver does."""

    def __init__(self) -> None:
        self.lease: dict[str, Any] | None = None
        self.version = 0
        self.down = False

    def get(self, path: str) -> dict[str, Any] | None:
        if self.down:
            raise ApiError(0, "connection refused")
        return copy.deepcopy(self.lease)

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        if self.lease is not None:
            raise ApiError(409, "already exists")
        return self._store(obj)

    def replace(self, obj: dict[str, Any]) -> dict[str, Any]:
        if self.down:
            raise ApiError(0, "connection refused")
        assert self.lease is not None
        if obj["metadata"].get("resourceVersion") != self.lease["metadata"]["resourceVersion"]:
            raise ApiError(409, "the object has been modified")
        return self._store(obj)

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.version += 1
        self.lease = copy.deepcopy(obj)
        self.lease["metadata"]["resourceVersion"] = str(self.version)
        return copy.deepcopy(self.lease)

    @property
    def holder(self) -> str:
        return str(((self.lease or {}).get("spec") or {}).get("holderIdentity") or "")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def elector(api: LeaseApi, identity: str, clock: Clock) -> LeaderElector:
    config = LeaseConfig(
        namespace="tenantguard-system", identity=identity, duration=15, renew_deadline=10, retry_period=2
    )
    return LeaderElector(api, config, clock=clock)  # type: ignore[arg-type]


def test_one_of_two_candidates_leads_and_the_other_waits() -> None:
    api, clock = LeaseApi(), Clock()
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    assert a.try_acquire_or_renew() is True
    assert b.try_acquire_or_renew() is False
    assert api.holder == "a" and api.lease is not None and api.lease["spec"]["leaseTransitions"] == 0
    clock.now += 2
    assert a.try_acquire_or_renew() is True, "renewal"
    assert b.try_acquire_or_renew() is False


def test_the_standby_takes_over_a_lease_not_renewed_for_its_duration_as_it_observed_it() -> None:
    api, clock = LeaseApi(), Clock()
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()  # b sees a's lease now
    clock.now += 14.9
    assert b.try_acquire_or_renew() is False, "not yet expired as b observed it"
    clock.now += 0.2
    assert b.try_acquire_or_renew() is True
    assert api.holder == "b" and api.lease is not None and api.lease["spec"]["leaseTransitions"] == 1


def test_a_leader_that_cannot_renew_stops_writing_before_anyone_may_take_over() -> None:
    api, clock = LeaseApi(), Clock()
    a = elector(api, "a", clock)
    a.try_acquire_or_renew()
    a._renewed_at = clock.now  # what run() records after a successful attempt
    assert a.is_leader()
    api.down = True
    clock.now += 9.9
    assert a.is_leader()
    clock.now += 0.2
    assert not a.is_leader(), "past the renew deadline (10 s), well before the 15 s another replica waits"


def test_only_one_wins_a_compare_and_swap() -> None:
    api, clock = LeaseApi(), Clock()
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()
    clock.now += 16
    stale = api.get("")  # both read the expired lease...
    real_get = api.get
    api.get = lambda path: copy.deepcopy(stale)  # type: ignore[method-assign]
    results = [a.try_acquire_or_renew(), b.try_acquire_or_renew()]
    api.get = real_get  # type: ignore[method-assign]
    assert results == [True, False], "...the second write carries a stale resourceVersion"


def test_release_lets_the_standby_take_over_at_once() -> None:
    api, clock = LeaseApi(), Clock()
    a, b = elector(api, "a", clock), elector(api, "b", clock)
    a.try_acquire_or_renew()
    b.try_acquire_or_renew()
    a.release()
    assert api.holder == ""
    assert b.try_acquire_or_renew() is True


def test_run_loop_calls_back_and_releases_on_stop() -> None:
    api = LeaseApi()
    changes: list[bool] = []
    config = LeaseConfig(namespace="ns", identity="a", duration=3, renew_deadline=2, retry_period=0.05)
    e = LeaderElector(api, config, on_change=changes.append)  # type: ignore[arg-type]
    stop = threading.Event()
    thread = e.start(stop)
    for _ in range(250):
        if changes:  # told after it recorded the renewal
            break
        stop.wait(0.02)
    assert changes == [True] and e.is_leader()
    stop.set()
    thread.join(5)
    assert api.holder == "" and not e.is_leader()


@pytest.mark.parametrize(("duration", "deadline", "retry"), [(10, 10, 2), (15, 10, 0), (5, 10, 2)])
def test_lease_timings_must_leave_room(duration: float, deadline: float, retry: float) -> None:
    config = LeaseConfig(namespace="ns", identity="a", duration=duration, renew_deadline=deadline, retry_period=retry)
    assert config.problems()


def test_work_queue_dedupes_and_never_runs_a_key_twice_at_once() -> None:
    clock = Clock()
    q = WorkQueue(clock=clock)
    q.add("acme")
    q.add("acme")
    q.add("globex")
    assert len(q) == 2
    assert q.get(0) == "acme"
    q.add("acme")  # changed while being processed: runs again after done()
    assert q.get(0) == "globex"
    assert q.get(0) is None
    q.done("acme")
    assert q.get(0) == "acme"
    q.done("acme")
    q.done("globex")
    q.add("later", delay=5)
    assert q.get(0) is None
    clock.now += 5
    assert q.get(0) == "later"
    q.close()
    assert q.get() is None
