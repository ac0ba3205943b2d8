"""GPU-hours from tenantguard's own gauge, scraped live: the webhook in the dev cluster, Debian's Prometheus
scraping its /metrics over TLS every 500 ms, pods that start, run and are deleted, and the audit billing them.

The tenant `hooli` (namespace hooli-gpu) is this module's own, so nothing other tests leave running counts. Pods:
a whole H100 GPU that runs for a while and is deleted before the audit (gone from the cluster, billed from the
gauge), a mig-1g.10gb slice on the A100 node that runs until the end, and a GPU pod that never schedules (Pending:
not billed). Expected hours are the times this test saw each pod Running, give or take the documented two steps
per run, the scrape interval and the cache's event lag.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tenantguard.audit.prometheus import samples
from tests.support import prometheus
from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

TENANTGUARD = Path(sys.executable).with_name("tenantguard")
NS, TENANT, LABEL = "hooli-gpu", "hooli", "tenantguard.io/tenant"
STEP = 1.0  # --prometheus-step 1s, twice the scrape interval
SLACK = 2 * STEP + 0.5 + 1.0  # per run: two steps, a scrape interval, the watch's and this test's polling lag
SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
POD_SECURE = {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
PRODUCT = "nvidia.com/gpu.product"


def gpu_pod(name: str, resource: str, **spec: Any) -> dict[str, Any]:
    container = {
        "name": "app",
        "image": "registry.hooli.example/app:1",
        "securityContext": SECURE,
        "resources": {"limits": {resource: "1"}, "requests": {resource: "1"}},
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {LABEL: TENANT}},
        "spec": {
            "securityContext": POD_SECURE,
            "containers": [container],
            "tolerations": [GPU_TOLERATION],
            "terminationGracePeriodSeconds": 0,
            **spec,
        },
    }


def phase(cluster: DevCluster, name: str) -> str:
    proc = cluster.kubectl("get", "pod", name, "-n", NS, "-o", "jsonpath={.status.phase}", check=False)
    return proc.stdout.strip() if proc.returncode == 0 else ""


@pytest.fixture(scope="module")
def hooli(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[DevCluster]:
    c = dev_cluster
    c.apply(
        {
            "apiVersion": "tenantguard.io/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": TENANT},
            "spec": {
                "namespaces": [NS],
                "podSecurity": "restricted",
                "mtls": {"mode": "none"},
                "registries": ["registry.hooli.example/"],
                "gpu": {
                    "maxPerPod": 1,
                    "maxTotal": 4,
                    "allowedResources": ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"],
                },
            },
        }
    )
    c.create_namespace(NS, labels={LABEL: TENANT})
    try:
        yield c
    finally:
        c.kubectl("delete", "namespace", NS, "--ignore-not-found", "--wait=false", check=False)
        c.kubectl("delete", "tenant", TENANT, "--ignore-not-found", check=False)


def scrape_config(hook: WebhookProcess) -> str:
    return (
        "global: {scrape_interval: 500ms, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: tenantguard\n"
        "    scheme: https\n"
        f"    tls_config: {{ca_file: '{hook.cert_dir / 'ca.crt'}'}}\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{hook.port}']}}]\n"
    )


def scraped(url: str) -> bool:
    found = samples(url, 'up{job="tenantguard"}', at=datetime.now(UTC), timeout=5)
    return bool(found) and found[0][1] == 1


def seen_running(cluster: DevCluster, name: str) -> float:
    wait_for(lambda: phase(cluster, name) == "Running", what=f"pod {NS}/{name} Running", interval=0.1)
    return time.time()


def test_the_webhooks_gauge_bills_a_deleted_pod_and_a_slice_but_not_a_pending_pod(
    hooli: DevCluster, webhook: WebhookProcess, tmp_path: Path
) -> None:
    with prometheus.running(tmp_path / "data", tmp_path, config=scrape_config(webhook)) as url:
        wait_for(lambda: scraped(url), what="Prometheus's first scrape of the webhook")
        begin = time.time()
        for pod in (
            gpu_pod("train", "nvidia.com/gpu"),
            gpu_pod("slice", "nvidia.com/mig-1g.10gb"),
            gpu_pod("stuck", "nvidia.com/gpu", nodeSelector={"kubernetes.io/hostname": "no-such-node"}),
        ):
            hooli.apply(pod)
        train_on, slice_on = seen_running(hooli, "train"), seen_running(hooli, "slice")
        time.sleep(25)
        hooli.kubectl("delete", "pod", "train", "-n", NS, "--grace-period=0", "--force", "--wait=false")
        wait_for(lambda: phase(hooli, "train") == "", what="pod train gone", interval=0.1)
        train_off = time.time()
        time.sleep(10)
        end = datetime.fromtimestamp(int(time.time()), UTC)
        time.sleep(2)  # scrapes past the end, so the last step has its sample
        assert phase(hooli, "stuck") == "Pending"
        proc = subprocess.run(
            [
                str(TENANTGUARD), "audit", "--kubeconfig", str(hooli.kubeconfig), "--prometheus-url", url,
                "--history-source", "tenantguard", "--prometheus-step", "1s",
                "--window", f"{int(end.timestamp() - begin) + 30}s", "--now", end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ],
            capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "CI": "1"},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    usage = json.loads(proc.stdout)["usage"]
    assert usage["gpuHours"]["source"] == "tenantguard" and usage["gpuHours"]["stepSeconds"] == 1
    gpu = usage["tenants"][TENANT]["gpu"]
    train_seconds = gpu["deviceHoursByResource"]["nvidia.com/gpu"] * 3600
    slice_seconds = gpu["deviceHoursByResource"]["nvidia.com/mig-1g.10gb"] * 3600
    assert abs(train_seconds - (train_off - train_on)) <= SLACK, (train_seconds, train_off - train_on)
    assert abs(slice_seconds - (end.timestamp() - slice_on)) <= SLACK, (slice_seconds, end.timestamp() - slice_on)
    assert gpu["gpuHours"] == pytest.approx((train_seconds + slice_seconds / 7) / 3600, abs=1e-4)
    assert gpu["pending"] == {"nvidia.com/gpu": 1}, "the stuck pod is allocated now, never billed"
    products = {line["resource"]: line["product"] for line in usage["tenants"][TENANT]["lines"]}
    assert products == {"nvidia.com/gpu": "NVIDIA-H100-80GB-HBM3", "nvidia.com/mig-1g.10gb": "NVIDIA-A100-SXM4-80GB"}
    hooli.kubectl("delete", "pod", "slice", "stuck", "-n", NS, "--grace-period=0", "--force", check=False)


def gpu_nodes(hook: WebhookProcess) -> float:
    context = ssl.create_default_context(cafile=str(hook.cert_dir / "ca.crt"))
    with urllib.request.urlopen(f"{hook.url}/metrics", context=context, timeout=5) as response:
        text = response.read().decode()
    (line,) = [x for x in text.splitlines() if x.startswith('tenantguard_cache_objects{kind="gpu_nodes"}')]
    return float(line.split()[-1])


def test_the_cache_follows_node_products_from_metadata_only_watch_events(
    dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    """Nodes are watched as PartialObjectMetadata (labels, no status): added, relabelled and deleted alike."""
    before = gpu_nodes(webhook)
    name = "usage-e2e-gpu-node"
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {PRODUCT: "TEST-GPU"}},
        "spec": {"unschedulable": True, "taints": [{"key": "usage-e2e", "effect": "NoSchedule"}]},  # no pod lands
    }
    try:
        dev_cluster.apply(node)
        wait_for(lambda: gpu_nodes(webhook) == before + 1, what="the new GPU node in the cache")
        dev_cluster.kubectl("label", "node", name, f"{PRODUCT}-")
        wait_for(lambda: gpu_nodes(webhook) == before, what="the relabelled node out of the GPU products")
        dev_cluster.kubectl("label", "node", name, f"{PRODUCT}=TEST-GPU-2")
        wait_for(lambda: gpu_nodes(webhook) == before + 1, what="the product back")
    finally:
        dev_cluster.kubectl("delete", "node", name, "--ignore-not-found", check=False)
    wait_for(lambda: gpu_nodes(webhook) == before, what="the deleted node gone from the cache")
