"""Two reconcilers, one writer: `serve --reconcile` (A) and `tenantguard controller` (B) on one Lease.

The session's reconciler steps aside (a clean stop releases the Lease). A leads; B waits. Who wrote a repair is
told by the API server (managedFields: the field manager `tenantguard-reconciler`, operation Apply), by the Event
the writer records (`reportingInstance`: its identity) and by each replica's own metrics. Then A is killed
(SIGKILL: no release), a policy is deleted while nobody leads, and B takes over once the Lease has not been
renewed for its duration — and repairs the deletion.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.devcluster import DevCluster, wait_for
from tests.support.reconciler_runner import ControllerProcess
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

DURATION, DEADLINE, RETRY = 6.0, 4.0, 1.0
TIMINGS = ("--lease-duration", str(DURATION), "--renew-deadline", str(DEADLINE), "--retry-period", str(RETRY))


def lease(cluster: DevCluster) -> dict[str, str]:
    spec = cluster.get("lease", "tenantguard-reconciler", "-n", "tenantguard-system")["spec"]
    return {k: str(v) for k, v in spec.items()}


def holder(cluster: DevCluster) -> str:
    return lease(cluster).get("holderIdentity", "")


def micro(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def repaired_by(cluster: DevCluster, message: str, since: datetime) -> set[str]:
    """The identities that recorded `message` on Tenant acme since `since` (Event times have whole seconds)."""
    found = cluster.get("events", "-n", "default", "--field-selector", "involvedObject.name=acme")["items"]
    return {
        e.get("reportingInstance", "")
        for e in found
        if e["message"] == message and micro(e["firstTimestamp"]) >= since.replace(microsecond=0)
    }


def test_only_the_leader_writes_and_the_standby_takes_over(
    dev_cluster: DevCluster, webhook: WebhookProcess, reconciler: ControllerProcess, tmp_path: Path
) -> None:
    reconciler.stop()
    a = WebhookProcess(
        kubeconfig=dev_cluster.kubeconfig,
        work_dir=tmp_path / "a",
        extra_args=("--reconcile", "--identity", "a", *TIMINGS),
    )
    b = ControllerProcess(
        kubeconfig=dev_cluster.kubeconfig,
        work_dir=tmp_path / "b",
        identity="b",
        lease_duration=DURATION,
        renew_deadline=DEADLINE,
        retry_period=RETRY,
    )
    try:
        a.start()
        wait_for(lambda: holder(dev_cluster) == "a", what="A holds the Lease", timeout=30)
        b.start()
        since = datetime.now(UTC)
        dev_cluster.kubectl("delete", "networkpolicy", "tenantguard-default-deny", "-n", "acme-prod")
        dev_cluster.wait_for_baseline("acme-prod", timeout=5)
        policy = dev_cluster.get(
            "networkpolicy", "tenantguard-default-deny", "-n", "acme-prod", "--show-managed-fields"
        )
        writers = {(m["manager"], m["operation"]) for m in policy["metadata"]["managedFields"]}
        assert writers == {("tenantguard-reconciler", "Apply")}
        message = "created NetworkPolicy acme-prod/tenantguard-default-deny"
        assert wait_for(lambda: repaired_by(dev_cluster, message, since), what="the repair's Event") == {"a"}
        assert b.metric("tenantguard_reconciler_leader") == 0
        assert (
            sum(
                b.metric("tenantguard_reconcile_changes_total", action=v, kind=k)
                for k in ("NetworkPolicy", "ResourceQuota", "Secret", "Namespace")
                for v in ("created", "repaired", "pruned", "deleted", "labelled", "issued", "renewed")
            )
            == 0
        )
        assert holder(dev_cluster) == "a"

        last_renewal = micro(lease(dev_cluster)["renewTime"])
        killed = time.monotonic()
        assert a.proc is not None
        a.proc.kill()  # SIGKILL: A cannot release the Lease
        a.proc.wait(10)
        since = datetime.now(UTC)
        dev_cluster.kubectl("delete", "networkpolicy", "tenantguard-allow-dns", "-n", "acme-dev")
        wait_for(lambda: holder(dev_cluster) == "b", what="B holds the Lease", timeout=30, interval=0.1)
        took_over = time.monotonic() - killed
        spec = lease(dev_cluster)
        acquired = micro(spec["acquireTime"])
        assert spec["leaseTransitions"] != "0"
        # B may take the Lease only once it has not been renewed for its duration (as B observed it), and then
        # does so at its next attempt: within a retry period (jittered 1.2x) and a round trip.
        waited = (acquired - last_renewal).total_seconds()
        assert DURATION - RETRY <= waited <= DURATION + 1.2 * RETRY + 1.0, waited
        assert took_over <= DURATION + 1.2 * RETRY + 1.0, took_over
        wait_for(
            lambda: (
                "tenantguard-allow-dns"
                in dev_cluster.kubectl("get", "networkpolicy", "-n", "acme-dev", "-o", "name").stdout
            ),
            what="the deletion made while nobody led repaired",
            timeout=5,
            interval=0.1,
        )
        message = "created NetworkPolicy acme-dev/tenantguard-allow-dns"
        assert wait_for(lambda: repaired_by(dev_cluster, message, since), what="B's repair Event") == {"b"}
        assert b.metric("tenantguard_reconciler_leader") == 1
        assert b.metric("tenantguard_reconcile_changes_total", action="created", kind="NetworkPolicy") >= 1
        print(f"takeover {took_over:.2f} s after the kill; lease unrenewed for {waited:.2f} s")
    finally:
        a.stop()
        b.stop()
        reconciler.start()
