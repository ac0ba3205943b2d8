"""The GPU quota backstop with the webhook out of the way: kube-apiserver's ResourceQuota admission alone.

Tenant `wonka` may hold 4 GPUs across wonka-a and wonka-b. The webhook's configurations are deleted for the test
(and restored in `finally`), so no tenantguard rule runs: what refuses a pod is the API server's quota admission
on the quotas the reconciler wrote, each namespace's limit being the cap minus what the other one uses.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest

from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

CAP = 4
WONKA = {
    "apiVersion": "tenantguard.io/v1alpha1",
    "kind": "Tenant",
    "metadata": {"name": "wonka"},
    "spec": {
        "namespaces": ["wonka-a", "wonka-b"],
        "podSecurity": "baseline",
        "mtls": {"mode": "none"},
        "gpu": {"maxPerPod": CAP, "maxTotal": CAP, "allowedResources": ["nvidia.com/gpu"]},
    },
}


def gpu_pod(name: str, ns: str, gpus: int, resource: str = "nvidia.com/gpu") -> dict[str, Any]:
    limits = {resource: gpus}
    container = {"name": "app", "image": "registry.example/app:1", "resources": {"limits": limits, "requests": limits}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"tenantguard.io/tenant": "wonka"}},
        "spec": {"containers": [container], "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]},
    }


def create(cluster: DevCluster, obj: dict[str, Any]) -> tuple[int, str]:
    proc = cluster.kubectl("create", "-f", "-", input=json.dumps(obj), check=False)
    return proc.returncode, proc.stdout + proc.stderr


def enforced(cluster: DevCluster, ns: str) -> int:
    """The limit quota admission uses now: status.hard (the quota controller copies spec.hard there)."""
    quota = cluster.get("resourcequota", "tenantguard-gpu", "-n", ns)
    return int((quota.get("status") or {}).get("hard", {}).get("requests.nvidia.com/gpu", -1))


def in_force(cluster: DevCluster, ns: str) -> bool:
    return enforced(cluster, ns) == CAP


def held(cluster: DevCluster) -> int:
    total = 0
    for ns in ("wonka-a", "wonka-b"):
        quota = cluster.get("resourcequota", "tenantguard-gpu", "-n", ns)
        total += int((quota.get("status") or {}).get("used", {}).get("requests.nvidia.com/gpu", 0))
    return total


@pytest.fixture
def without_webhook(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[DevCluster]:
    dev_cluster.kubectl("apply", "-f", "-", input=json.dumps(WONKA))
    for ns in ("wonka-a", "wonka-b"):
        dev_cluster.create_namespace(ns)
    for ns in ("wonka-a", "wonka-b"):
        wait_for(partial(in_force, dev_cluster, ns), what=f"{ns}'s quota in force")
    dev_cluster.kubectl("delete", "mutatingwebhookconfiguration,validatingwebhookconfiguration", "tenantguard")
    try:
        yield dev_cluster
    finally:
        dev_cluster.kubectl("apply", "-f", "-", input=webhook.configurations_yaml())
        dev_cluster.kubectl("delete", "tenant", "wonka", check=False)
        # Gone before the next test creates them again (a terminating namespace takes no new objects).
        dev_cluster.kubectl("delete", "namespace", "wonka-a", "wonka-b", "--timeout=120s", check=False, timeout=150)


def test_pods_over_the_tenant_cap_across_two_namespaces_are_refused_by_quota_admission(
    without_webhook: DevCluster,
) -> None:
    c = without_webhook
    code, out = create(c, gpu_pod("three", "wonka-a", 3))
    assert code == 0, out
    started = time.monotonic()
    wait_for(lambda: enforced(c, "wonka-b") == 1, what="wonka-b's limit lowered to 4 - 3", interval=0.05)
    print(f"wonka-b's limit lowered {time.monotonic() - started:.2f} s after the pod in wonka-a was admitted")
    code, out = create(c, gpu_pod("two", "wonka-b", 2))
    assert code != 0 and "exceeded quota: tenantguard-gpu, requested: requests.nvidia.com/gpu=2" in out, out
    code, out = create(c, gpu_pod("one", "wonka-b", 1))
    assert code == 0, out
    wait_for(lambda: enforced(c, "wonka-a") == 3, what="wonka-a's limit lowered to 4 - 1", interval=0.05)
    code, out = create(c, gpu_pod("more", "wonka-a", 1))
    assert code != 0 and "exceeded quota: tenantguard-gpu" in out, out
    code, out = create(c, gpu_pod("mig", "wonka-a", 1, "nvidia.com/mig-1g.10gb"))
    assert code != 0 and "exceeded quota: tenantguard-gpu-denied" in out, "not allowed at all: hard 0"
    assert held(c) == CAP
    # Freed in one namespace, usable in the other.
    c.kubectl("delete", "pod", "three", "-n", "wonka-a", "--grace-period=0", "--force")
    wait_for(lambda: enforced(c, "wonka-b") == CAP, what="wonka-b's limit raised again", timeout=30)
    code, out = create(c, gpu_pod("three", "wonka-b", 3))
    assert code == 0, out


def test_the_race_window_is_bounded_and_closes(without_webhook: DevCluster) -> None:
    """Pods created in both namespaces at the same instant can each fit their namespace's limit before the
    reconciler lowers the other's: the tenant may then hold up to the cap plus the headroom once more. After
    that, every limit is lowered and nothing more is admitted anywhere until usage falls below the cap."""
    c = without_webhook
    results: dict[str, int] = {}

    def create_in(ns: str) -> None:
        results[ns] = create(c, gpu_pod("burst", ns, CAP))[0]

    threads = [threading.Thread(target=create_in, args=(ns,)) for ns in ("wonka-a", "wonka-b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    admitted = sum(1 for code in results.values() if code == 0)
    assert admitted >= 1
    assert held(c) <= 2 * CAP, "each namespace's own limit still holds: at most the headroom twice"
    # One admitted: its namespace keeps the cap, the other gets 0. Both: each gets 0 (the other holds the cap).
    expected = CAP if admitted == 1 else 0
    wait_for(lambda: enforced(c, "wonka-a") + enforced(c, "wonka-b") == expected, what="limits lowered", timeout=30)
    for ns in ("wonka-a", "wonka-b"):
        code, out = create(c, gpu_pod("after", ns, 1))
        assert code != 0 and "exceeded quota" in out, f"{ns}: {out}"
    print(f"burst: {admitted} of 2 pods of {CAP} GPUs admitted (the cap is {CAP})")
