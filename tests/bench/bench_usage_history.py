"""How fast GPU-hours come out of a week of Prometheus history: 200 tenants, 5,000 GPU pods, a 1-minute step.

    python tests/bench/bench_usage_history.py --tenants 200 --pods 5000 --days 7 --runs 3

Writes a week of kube-state-metrics history (its own series: `kube_pod_status_phase` for Pending and Running,
`kube_pod_container_resource_requests` for the GPU resource, scraped every `--scrape` seconds, one sample per
scrape while a pod exists) and of tenantguard's allocation gauge (two webhook replicas), backfills it with
Debian's promtool, starts
Prometheus on it, and times `audit.history` — one query per UTC day, run in parallel, the sums inside Prometheus —
for both sources (median of `--runs`), then the whole `tenantguard audit --prometheus-url` over a snapshot of
the Tenants. The pods: a fifth are model servers that run all week (whole GPUs or MIG slices), the rest jobs of
1 to 12 hours, Pending for up to 30 minutes first, kept an hour after they finish, then deleted. The generated data
is kept in `--work` (default: a temporary directory) and reused when it is there. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TextIO

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tenantguard.audit import history  # noqa: E402
from tenantguard.audit.usage import Window  # noqa: E402
from tests.support import prometheus  # noqa: E402
from tests.support.history import backfill, ksm_resource  # noqa: E402

H100 = "NVIDIA-H100-80GB-HBM3"
A100 = "NVIDIA-A100-SXM4-80GB"
RESOURCES = (("nvidia.com/gpu", 1, H100), ("nvidia.com/gpu", 2, H100), ("nvidia.com/mig-1g.10gb", 1, A100),
             ("nvidia.com/mig-3g.40gb", 1, A100))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Pod:
    namespace: str
    name: str
    resource: str
    devices: int
    product: str
    created: int  # scrape index
    running: int  # first Running scrape
    finished: int  # first scrape no longer Running (Succeeded), or the end
    deleted: int  # first scrape without the pod


def population(tenants: int, pods: int, scrapes: int, per_hour: int, seed: int = 7) -> list[Pod]:
    rng = random.Random(seed)
    out = []
    for i in range(pods):
        tenant = i % tenants
        ns = f"t{tenant:03d}-{'prod' if i % 2 else 'dev'}"
        resource, devices, product = RESOURCES[i % len(RESOURCES)]
        if i < pods // 5:  # model servers: all week
            out.append(Pod(ns, f"serve-{i:05d}", resource, devices, product, 0, 0, scrapes, scrapes))
            continue
        created = rng.randrange(0, scrapes - per_hour)
        running = created + rng.randrange(0, per_hour // 2 + 1)
        finished = min(running + rng.randrange(per_hour, 12 * per_hour + 1), scrapes)
        out.append(Pod(ns, f"job-{i:05d}", resource, devices, product, created, running, finished,
                       min(finished + per_hour, scrapes)))  # fmt: skip
    return out


def is_running(p: Pod, k: int) -> int:
    return int(p.running <= k < p.finished)


def is_pending(p: Pod, k: int) -> int:
    return int(k < p.running)


def held_by(p: Pod, k: int) -> int:
    return p.devices  # requests are there from creation, Pending or not


def write(out: TextIO, pods: list[Pod], start: int, scrape: int) -> int:
    """kube-state-metrics' series and tenantguard's gauge, family by family; returns the number of samples."""
    n = 0

    def series(prefix: str, first: int, last: int, value: Callable[[int], int]) -> None:
        nonlocal n
        out.write("".join(f"{prefix} {value(k)} {start + k * scrape}\n" for k in range(first, last)))
        n += max(last - first, 0)

    out.write("# TYPE kube_pod_status_phase gauge\n")
    for p in pods:
        labels = f'namespace="{p.namespace}",pod="{p.name}",uid="u-{p.name}"'
        series(f'kube_pod_status_phase{{{labels},phase="Running"}}', p.created, p.deleted, partial(is_running, p))
        series(f'kube_pod_status_phase{{{labels},phase="Pending"}}', p.created, p.deleted, partial(is_pending, p))
    out.write("# TYPE kube_pod_container_resource_requests gauge\n")
    for p in pods:
        node = f"{'h100' if p.product == H100 else 'a100'}-{zlib.crc32(p.name.encode()) % 300:03d}"
        labels = (f'namespace="{p.namespace}",pod="{p.name}",uid="u-{p.name}",container="main",'
                  f'resource="{ksm_resource(p.resource)}",unit="integer"')  # fmt: skip
        series(f'kube_pod_container_resource_requests{{{labels},node=""}}', p.created, p.running, partial(held_by, p))
        series(f'kube_pod_container_resource_requests{{{labels},node="{node}"}}', p.running, p.deleted,
               partial(held_by, p))  # fmt: skip
    out.write("# TYPE tenantguard_gpu_allocated_devices gauge\n")
    held: dict[tuple[str, str, str], list[int]] = {}
    total = max(p.deleted for p in pods)
    for p in pods:
        steps = held.setdefault((p.namespace, p.resource, p.product), [0] * (total + 1))
        steps[p.running] += p.devices
        steps[p.finished] -= p.devices
    for (ns, resource, product), steps in sorted(held.items()):
        level, values = 0, []
        for k in range(total):
            level += steps[k]
            values.append(level)
        labels = f'tenant="{ns.split("-")[0]}",namespace="{ns}",resource="{resource}",product="{product}"'
        for replica in ("webhook-0:8443", "webhook-1:8443"):  # two webhook replicas export the same figures
            series(f'tenantguard_gpu_allocated_devices{{{labels},phase="Running",instance="{replica}"}}', 0, total,
                   values.__getitem__)  # fmt: skip
    out.write("# EOF\n")
    return n


def timed(what: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        result = what()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tenants", type=int, default=200)
    p.add_argument("--pods", type=int, default=5000)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--scrape", type=int, default=60, help="kube-state-metrics scrape interval, seconds")
    p.add_argument("--step", type=int, default=60, help="--prometheus-step, seconds")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--work", help="keep the generated history here (reused when present)")
    args = p.parse_args()

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="bench-usage-"))
    work.mkdir(parents=True, exist_ok=True)
    end = datetime(2026, 11, 30, tzinfo=UTC)
    window = Window.ending(end, timedelta(days=args.days))
    scrapes = args.days * 86400 // args.scrape + 1  # the last one at the window's end
    pods = population(args.tenants, args.pods, scrapes, 3600 // args.scrape)
    data = work / "data"
    if not data.exists():
        began = time.perf_counter()
        om = work / "history.om"
        with om.open("w") as out:
            samples = write(out, pods, int(window.start.timestamp()), args.scrape)
        written = time.perf_counter() - began
        began = time.perf_counter()
        backfill(om, data, block=timedelta(hours=162))
        print(f"history: {samples:,} samples, {om.stat().st_size / 2**30:.1f} GiB of OpenMetrics written in "
              f"{written:.0f} s, backfilled by promtool in {time.perf_counter() - began:.0f} s")  # fmt: skip
        om.unlink()
    running_pod_minutes = sum((x.finished - x.running) * args.scrape / 60 for x in pods)
    print(f"{args.tenants} tenants, {len(pods):,} GPU pods ({len(pods) // 5:,} all week), "
          f"{running_pod_minutes / 60:,.0f} pod-hours Running; window {args.days} d, step {args.step} s")  # fmt: skip
    owner = {f"t{t:03d}-{s}": f"t{t:03d}" for t in range(args.tenants) for s in ("prod", "dev")}
    with prometheus.running(data, work) as url:
        history.from_tenantguard(url, window, step_seconds=args.step)  # warm the page cache once
        ksm, found = timed(
            lambda: history.from_kube_state_metrics(
                url, window, step_seconds=args.step, namespace_tenant=owner, products={}
            ),
            args.runs,
        )
        gauge, from_gauge = timed(lambda: history.from_tenantguard(url, window, step_seconds=args.step), args.runs)
        hours = sum(r.hours for r in found.rows)
        expected = sum((x.finished - max(x.running, 1)) * args.scrape / 3600 * x.devices for x in pods)  # (start, end]
        print(f"kube-state-metrics: {ksm:.2f} s (median of {args.runs}), {len(found.rows):,} rows, "
              f"{hours:,.1f} device-hours (generated: {expected:,.1f})")  # fmt: skip
        print(f"tenantguard gauge:  {gauge:.2f} s (median of {args.runs}), {len(from_gauge.rows):,} rows, "
              f"{sum(r.hours for r in from_gauge.rows):,.1f} device-hours")  # fmt: skip
        snapshot = work / "snapshot.yaml"
        objs = [{"apiVersion": "tenantguard.io/v1alpha1", "kind": "Tenant", "metadata": {"name": f"t{t:03d}"},
                 "spec": {"namespaces": [f"t{t:03d}-prod", f"t{t:03d}-dev"]}} for t in range(args.tenants)]  # fmt: skip
        snapshot.write_text(yaml.safe_dump_all(objs))
        exe = Path(sys.executable).with_name("tenantguard")
        command = [str(exe), "audit", "--snapshot", str(snapshot), "--now", end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "--window", f"{args.days}d", "--prometheus-url", url, "--prometheus-step", f"{args.step}s",
                   "--format", "csv", "--output", str(work / "showback.csv")]  # fmt: skip
        whole, run = timed(
            lambda: subprocess.run(command, capture_output=True, text=True, check=False, env={**os.environ, "CI": "1"}),
            args.runs,
        )
        if run.returncode != 0:
            print(run.stderr)
        print(f"tenantguard audit --prometheus-url (whole command, CSV): {whole:.2f} s (median of {args.runs})")


if __name__ == "__main__":
    main()
