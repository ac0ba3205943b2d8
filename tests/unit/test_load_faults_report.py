"""The load-and-fault run's judgement (tests/support/load_faults.py), on made-up records: what kube-apiserver's
answers mean, which errors a fault explains, and how recovery and memory are figured. The run itself is
tests/e2e/test_load_faults.py and tests/bench/bench_faults.py."""

from __future__ import annotations

import json

import pytest

from tests.support.load_faults import (
    ALLOWED,
    APISERVER_DOWN,
    DENIED,
    OTHER,
    WEBHOOK_FAILED,
    Fault,
    Record,
    Report,
    classify,
)


def _status(code: int, message: str) -> bytes:
    return json.dumps({"kind": "Status", "code": code, "message": message}).encode()


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (201, b'{"kind": "Pod"}', ALLOWED),
        (
            403,
            _status(403, 'admission webhook "validate-namespaced.tenantguard.io" denied the request: [GPU001] ...'),
            DENIED,
        ),
        (403, _status(403, 'pods "x" is forbidden: violates PodSecurity "restricted:latest": privileged'), DENIED),
        (
            500,
            _status(
                500,
                'Internal error occurred: failed calling webhook "mutate-namespaced.tenantguard.io": failed to call '
                'webhook: Post "https://127.0.0.1:4443/mutate?timeout=5s": EOF',
            ),
            WEBHOOK_FAILED,
        ),
        (403, _status(403, 'pods is forbidden: User "alice" cannot create resource "pods"'), OTHER),
        (502, b"<html>bad gateway</html>", OTHER),
    ],
)
def test_kube_apiservers_answers_are_classified(status: int, body: bytes, outcome: str) -> None:
    assert classify(status, body)[0] == outcome


def _record(sent: float, outcome: str, expected: str = ALLOWED, done: float | None = None) -> Record:
    return Record(
        sent=sent, done=sent + 0.1 if done is None else done, case="pod", expected=expected, outcome=outcome,
        status=0, message="",
    )  # fmt: skip


def _report(records: list[Record], faults: list[Fault]) -> Report:
    return Report(
        duration=30.0,
        rate=10.0,
        records=records,
        faults=faults,
        rss_before={"a": 100_000, "b": 100_000},
        rss_after={"a": 90_000, "b": 109_000},
        restarted={"a"},
        generated_before={},
        generated_after={},
        leaked={},
    )


def test_an_error_is_explained_only_inside_its_faults_window_and_only_as_a_refusal() -> None:
    kill = Fault(name="replica-kill", at=10.0, window_end=11.0, recovered=1.0)
    restart = Fault(name="apiserver-restart", at=20.0, window_end=25.0, recovered=0.5)
    in_flight = _record(9.9, WEBHOOK_FAILED, done=10.2)  # sent before the kill, answered after it
    refused = _record(10.5, WEBHOOK_FAILED)
    late = _record(13.0, WEBHOOK_FAILED)  # after the window and its 1 s slack
    unreachable_at_kill = _record(10.6, APISERVER_DOWN)
    unreachable_at_restart = _record(21.0, APISERVER_DOWN)
    forbidden_at_restart = _record(25.5, OTHER)
    report = _report(
        [in_flight, refused, late, unreachable_at_kill, unreachable_at_restart, forbidden_at_restart],
        [kill, restart],
    )
    assert report.fault_of(in_flight) is kill
    assert report.fault_of(late) is None
    assert report.unexplained_errors() == [late, unreachable_at_kill]


def test_wrong_verdicts_are_counted_whatever_the_faults() -> None:
    records = [
        _record(1.0, ALLOWED, expected=DENIED),
        _record(2.0, DENIED, expected=ALLOWED),
        _record(3.0, WEBHOOK_FAILED, expected=DENIED),  # refused: fail closed, not a wrong allow
        _record(4.0, DENIED, expected=DENIED),
    ]
    report = _report(records, [])
    assert report.wrong_allows == [records[0]]
    assert report.wrong_denies == [records[1]]
    assert report.errors == [records[2]]


def test_recovery_runs_to_the_last_error_of_a_fault_but_not_of_an_api_server_restart() -> None:
    kill = Fault(name="replica-kill", at=10.0, window_end=10.5, recovered=0.5)
    restart = Fault(name="apiserver-restart", at=20.0, window_end=30.0, recovered=0.4)
    report = _report(
        [_record(10.2, WEBHOOK_FAILED, done=11.3), _record(29.0, APISERVER_DOWN, done=29.5)], [kill, restart]
    )
    report.service_recovery()
    assert kill.recovered == pytest.approx(1.3)
    assert restart.recovered == 0.4  # the API server's own downtime is `apiserver-back-s`, not the webhook's


def test_memory_is_compared_only_for_a_replica_that_ran_the_whole_load() -> None:
    assert _report([], []).rss_change() == {"b": pytest.approx(0.09)}
