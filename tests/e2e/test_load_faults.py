"""Tenant writes at a fixed rate through kube-apiserver to two webhook replicas behind HAProxy while one replica is
killed and restarted, the serving certificate is rotated and the replicas' watches are cut (tests/support/
load_faults.py; the 60 s version with an API server restart is tests/bench/bench_faults.py).

No denied object is ever admitted and no admitted one denied; a request fails only while a fault is not yet mended,
and then only as kube-apiserver's failurePolicy Fail refusal; every fault is mended within 10 s without a manual
step; the reconciler's objects are neither lost nor duplicated; no log line holds the load's secret value or object
contents. The shared reconciler steps aside: the replicas run `serve --reconcile` and the killed one holds the
Lease. Timing is asserted only as the 10 s recovery bound.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import load_faults
from tests.support.devcluster import DevCluster
from tests.support.reconciler_runner import ControllerProcess

pytestmark = pytest.mark.e2e

DURATION, RATE = 18.0, 5.0
RECOVERY = 10.0


def test_load_with_faults_admits_nothing_wrong_and_recovers(
    dev_cluster: DevCluster, reconciler_paused: ControllerProcess, platform_settings: Path, tmp_path: Path
) -> None:
    with load_faults.rig(dev_cluster, tmp_path / "load", settings=platform_settings) as rig:
        report = load_faults.run(
            rig,
            duration=DURATION,
            rate=RATE,
            faults=("replica-kill", "cert-rotation", "watch-cut"),
            log=print,
        )
    summary = report.summary()
    print(summary)

    assert len(report.records) >= DURATION * RATE * 0.8, summary
    assert {r.expected for r in report.records} == {load_faults.ALLOWED, load_faults.DENIED}
    assert report.wrong_allows == [], summary
    assert report.wrong_denies == [], summary
    assert report.unexplained_errors() == [], summary
    assert [f.name for f in report.faults] == ["replica-kill", "cert-rotation", "watch-cut"]
    slow = {f.name: round(f.recovered, 2) for f in report.faults if f.recovered > RECOVERY}
    assert not slow, summary
    kill = report.faults[0]
    assert report.generated_after == report.generated_before, summary
    assert any(report.generated_after.values()), "the reconciler's objects were there to lose"
    assert all(not found for found in report.leaked.values()), report.leaked
    assert report.restarted == {kill.notes["replica"]}
    assert set(report.rss_after) == {"a", "b"}, "both replicas run at the end"
