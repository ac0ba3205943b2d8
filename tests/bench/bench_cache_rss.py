"""Webhook memory with 1,000 tenants and 10,000 namespaces in its cluster cache (issue 4: ≤ 150 MiB).

    python tests/bench/bench_cache_rss.py [--tenants 1000] [--namespaces-per-tenant 10]

Brings up a dev cluster in a temporary directory, starts `tenantguard serve` in cluster mode on the empty
cluster (the same-run baseline), creates the Tenants and their Namespaces in large Lists, restarts the
webhook, waits until its cache has synced (/readyz), and prints resident memory (VmRSS, VmHWM) of both.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tenantguard.devcluster import cluster  # noqa: E402
from tenantguard.docs_cli import render  # noqa: E402
from tests.support import webhook_runner  # noqa: E402
from tests.support.devcluster import DevCluster, wait_established  # noqa: E402


def memory(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def apply_list(dev: DevCluster, items: list[dict[str, Any]]) -> None:
    for i in range(0, len(items), 500):
        doc = {"apiVersion": "v1", "kind": "List", "items": items[i : i + 500]}
        dev.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(doc), timeout=600)


def measure(hook: webhook_runner.WebhookProcess) -> tuple[float, float, float]:
    t0 = time.monotonic()
    hook.start(timeout=600)
    synced = time.monotonic() - t0
    time.sleep(2)
    assert hook.proc is not None
    rss, hwm = memory(hook.proc.pid)
    hook.stop()
    return rss, hwm, synced


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--namespaces-per-tenant", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "cluster"
        info = cluster.up(state, timeout=180)
        dev = DevCluster.from_info(info)
        try:
            dev.kubectl("apply", "-f", "-", input=render("crd"))
            wait_established(dev.kubectl, "crd/tenants.tenantguard.io")
            hook = webhook_runner.WebhookProcess(kubeconfig=info.kubeconfig, work_dir=Path(tmp) / "webhook")
            base = measure(hook)
            tenants, namespaces = [], []
            for t in range(args.tenants):
                names = [f"t{t:04d}-ns{n:02d}" for n in range(args.namespaces_per_tenant)]
                tenants.append(
                    {
                        "apiVersion": "tenantguard.io/v1alpha1",
                        "kind": "Tenant",
                        "metadata": {"name": f"t{t:04d}"},
                        "spec": {
                            "namespaces": names,
                            "owners": [{"kind": "Group", "name": f"t{t:04d}"}],
                            "gpu": {"maxPerPod": 1, "maxTotal": 4, "allowedResources": ["nvidia.com/gpu"]},
                        },
                    }
                )
                namespaces += [
                    {
                        "apiVersion": "v1",
                        "kind": "Namespace",
                        "metadata": {"name": n, "labels": {"tenantguard.io/tenant": f"t{t:04d}"}},
                    }
                    for n in names
                ]
            t0 = time.monotonic()
            apply_list(dev, tenants)
            apply_list(dev, namespaces)
            print(f"created {len(tenants)} Tenants and {len(namespaces)} Namespaces in {time.monotonic() - t0:.0f} s")
            loaded = measure(hook)
            print(f"{'':32s} {'VmRSS':>10s} {'VmHWM':>10s} {'ready after':>12s}")
            for label, (rss, hwm, synced) in (
                ("empty cluster (baseline)", base),
                (f"{len(tenants)} tenants, {len(namespaces)} namespaces", loaded),
            ):
                print(f"{label:32s} {rss:7.1f} MiB {hwm:7.1f} MiB {synced:10.1f} s")
            print(f"cache cost: {loaded[0] - base[0]:+.1f} MiB RSS")
        finally:
            cluster.down(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
