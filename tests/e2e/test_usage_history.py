"""GPU-hours, costs and tokens from real history: three days backfilled into Debian's Prometheus.

The history is written in kube-state-metrics' own series names and labels (`tests/support/history.py`), in
tenantguard's allocation gauge (two webhook replicas, one of them restarting), and as DCGM and vLLM series;
`promtool tsdb create-blocks-from openmetrics` turns it into blocks and Prometheus serves them. The audit then
runs on a snapshot of what exists at the end of the window, and its figures are checked against hours counted by
hand from the timelines below, to the documented step error (two steps per run of a pod).

Timelines (window 2026-11-24T12:00Z .. 2026-11-27T12:00Z, scrapes every 30 s at :07 and :37):
- acme-prod/vllm-0: 2 H100 GPUs, 8 cores, 64 GiB, Running throughout: 144 GPU-h;
- acme-dev/train: 1 H100, 4 cores, 16 GiB; Pending from 02:50, Running 11-25 03:00 .. 09:00, Succeeded, deleted
  at 10:00 — six hours, billed although the pod is gone;
- acme-dev/notebook: 1 H100, Running 11-26 20:00 .. deleted 11-27 02:30 while running (4 h + 2.5 h over midnight);
- acme-prod/web: 2 cores, 8 GiB, no GPU, throughout;
- globex-prod/mig-0: one mig-3g.40gb slice on the A100 node, Running from 11-25 18:00: 42 slice-hours = 18 GPU-h;
- globex-prod/queued: Pending for an hour (scheduled after 30 minutes), then deleted: not billed;
- kube-system/validator: a GPU for two hours in a namespace no tenant owns: billed to nobody;
- initech-prod/batch: 1 H100 until 11-26 00:00, when tenant initech was deleted: 36 GPU-h that only
  tenantguard's gauge, which names the tenant at the time, can bill.
kube-state-metrics was redeployed on 11-25 at 12:00 (`instance` changes; old and new were both scraped for 30 s, as
in a rolling update).
vllm-0's token counters restart at 11-26 00:00 (a counter reset); globex's chat server counts without one.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tenantguard.audit import history
from tenantguard.audit.usage import Window
from tests.support import prometheus
from tests.support.fixtures import tenant_object
from tests.support.history import OpenMetrics, PodLife, Sample, backfill, scrapes, write_ksm

pytestmark = pytest.mark.e2e

TENANTGUARD = Path(sys.executable).with_name("tenantguard")
END = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
START = END - timedelta(days=3)
DATA_FROM = START - timedelta(hours=1)
SCRAPE, OFFSET = 30.0, 7.0
GI = 2**30
H100, A100 = "NVIDIA-H100-80GB-HBM3", "NVIDIA-A100-SXM4-80GB"
PRODUCTS = {"h100-a": H100, "h100-b": H100, "a100-m": A100}
OWNER = {"acme-prod": "acme", "acme-dev": "acme", "globex-prod": "globex", "initech-prod": "initech"}
STEP_HOURS = 1 / 60  # --prometheus-step 1m
PRICES = {"H100": 2.40, "A100": 1.75, "cpu": 0.02, "memory": 0.003}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


PODS = (
    PodLife(
        namespace="acme-prod", name="vllm-0", uid="u-vllm", created=DATA_FROM, deleted=None,
        phases=((DATA_FROM, "Running"),), node="h100-a",
        containers={"vllm": {"nvidia.com/gpu": 2, "cpu": 8, "memory": 64 * GI}},
    ),
    PodLife(
        namespace="acme-dev", name="train", uid="u-train", created=at(25, 2, 50), deleted=at(25, 10),
        phases=((at(25, 2, 50), "Pending"), (at(25, 3), "Running"), (at(25, 9), "Succeeded")),
        node="h100-a", scheduled=at(25, 2, 55),
        containers={"trainer": {"nvidia.com/gpu": 1, "cpu": 4, "memory": 16 * GI}},
    ),
    PodLife(
        namespace="acme-dev", name="notebook", uid="u-nb", created=at(26, 20), deleted=at(27, 2, 30),
        phases=((at(26, 20), "Running"),), node="h100-b", containers={"jupyter": {"nvidia.com/gpu": 1}},
    ),
    PodLife(
        namespace="acme-prod", name="web", uid="u-web", created=DATA_FROM, deleted=None,
        phases=((DATA_FROM, "Running"),), node="cpu-0", containers={"web": {"cpu": 2, "memory": 8 * GI}},
    ),
    PodLife(
        namespace="globex-prod", name="mig-0", uid="u-mig", created=at(25, 17, 55), deleted=None,
        phases=((at(25, 17, 55), "Pending"), (at(25, 18), "Running")), node="a100-m",
        containers={"chat": {"nvidia.com/mig-3g.40gb": 1}},
    ),
    PodLife(
        namespace="globex-prod", name="queued", uid="u-queued", created=at(26, 10), deleted=at(26, 11),
        phases=((at(26, 10), "Pending"),), node="h100-a", scheduled=at(26, 10, 30),
        containers={"x": {"nvidia.com/gpu": 1}},
    ),
    PodLife(
        namespace="kube-system", name="validator", uid="u-val", created=at(25, 0), deleted=at(25, 2),
        phases=((at(25, 0), "Running"),), node="h100-a", containers={"v": {"nvidia.com/gpu": 1}},
    ),
    PodLife(
        namespace="initech-prod", name="batch", uid="u-ini", created=DATA_FROM, deleted=at(26, 0),
        phases=((DATA_FROM, "Running"),), node="h100-b", containers={"b": {"nvidia.com/gpu": 1}},
    ),
)  # fmt: skip


def ksm_instances(t: datetime) -> list[str]:
    switch = at(25, 12)
    return [i for i, live in (("ksm-a:8080", t < switch + timedelta(seconds=30)), ("ksm-b:8080", t >= switch)) if live]


def webhook_replicas(t: datetime) -> list[str]:
    restarting = at(26, 6) <= t < at(26, 6, 20)  # replica 1 restarts: replica 0 still exports everything
    return ["webhook-0:8443"] if restarting else ["webhook-0:8443", "webhook-1:8443"]


def allocation_series(times: list[datetime]) -> dict[tuple[tuple[str, str], ...], list[Sample]]:
    """What `tenantguard_gpu_allocated_devices` exported at each scrape: devices per tenant, namespace, resource,
    product and phase of the pods not finished, summed over pods; a key no pod holds is not exported."""
    series: dict[tuple[tuple[str, str], ...], list[Sample]] = {}
    for t in times:
        held: dict[tuple[str, str, str, str, str], float] = {}
        for pod in PODS:
            phase = pod.phase_at(t)
            if not pod.exists(t) or phase in ("Succeeded", "Failed"):
                continue
            for requests in pod.containers.values():
                for resource, n in requests.items():
                    if resource.startswith("nvidia.com/"):
                        key = (OWNER.get(pod.namespace, ""), pod.namespace, resource, PRODUCTS.get(pod.node_at(t), ""))
                        held[(*key, phase)] = held.get((*key, phase), 0.0) + n
        for replica in webhook_replicas(t):
            for (tenant, ns, resource, product, phase), n in held.items():
                labels = {"tenant": tenant, "namespace": ns, "resource": resource, "product": product}
                exported = tuple(sorted({**labels, "phase": phase, "instance": replica, "job": "tenantguard"}.items()))
                series.setdefault(exported, []).append((t.timestamp(), n))
    return series


def counter(times: list[datetime], per_scrape: float, reset: datetime | None, first: float) -> list[Sample]:
    out: list[Sample] = []
    value = first
    for t in times:
        if reset is not None and t >= reset and (not out or out[-1][0] < reset.timestamp()):
            value = 0.0  # the process restarted: its counter starts again
        value += per_scrape
        out.append((t.timestamp(), value))
    return out


def write_history(path: Path) -> None:
    times = list(scrapes(DATA_FROM, END, SCRAPE, OFFSET))
    with path.open("w") as out:
        writer = OpenMetrics(out)
        write_ksm(writer, PODS, times, ksm_instances)
        writer.family("kube_node_labels")
        for node in ("h100-a", "h100-b"):  # a100-m's product comes from the snapshot's Node
            labels = {"node": node, "label_nvidia_com_gpu_product": H100, "instance": "ksm-b:8080"}
            writer.series("kube_node_labels", labels, [(t.timestamp(), 1.0) for t in times])
        writer.family("tenantguard_gpu_allocated_devices")
        for key, samples in allocation_series(list(scrapes(DATA_FROM, END, 15.0, 11.0))).items():
            writer.series("tenantguard_gpu_allocated_devices", dict(key), samples)
        writer.family("DCGM_FI_DEV_GPU_UTIL")
        for gpu, util in (("0", 60.0), ("1", 40.0)):
            labels = {"gpu": gpu, "namespace": "acme-prod", "pod": "vllm-0", "container": "vllm", "Hostname": "h100-a"}
            writer.series("DCGM_FI_DEV_GPU_UTIL", labels, [(t.timestamp(), util) for t in times])
        for name, acme, globex in (("prompt", 100.0, 50.0), ("generation", 40.0, 20.0)):
            writer.family(f"vllm:{name}_tokens", "counter")
            metric = f"vllm:{name}_tokens_total"
            labels = {"model_name": "llama", "namespace": "acme-prod", "pod": "vllm-0"}
            writer.series(metric, labels, counter(times, acme, at(26, 0), first=5000.0))
            labels = {"model_name": "qwen", "namespace": "globex-prod", "pod": "chat-0"}
            writer.series(metric, labels, counter(times, globex, None, first=70000.0))
        writer.close()


def snapshot(path: Path) -> None:
    """What exists when the audit runs: Tenants acme and globex (initech is gone), namespaces, pods, a Node."""
    path.mkdir()
    gpu = {"maxPerPod": 2, "maxTotal": 8, "allowedResources": ["nvidia.com/gpu"]}
    objs: list[dict[str, Any]] = [
        tenant_object("acme", {"namespaces": ["acme-prod", "acme-dev"], "gpu": gpu}),
        tenant_object(
            "globex", {"namespaces": ["globex-prod"], "gpu": {**gpu, "allowedResources": ["nvidia.com/mig-3g.40gb"]}}
        ),
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": "a100-m", "labels": {"nvidia.com/gpu.product": A100}},
        },
    ]
    for ns, tenant in (("acme-prod", "acme"), ("acme-dev", "acme"), ("globex-prod", "globex")):
        objs.append(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"tenantguard.io/tenant": tenant}},
            }
        )
    for pod in PODS:
        if pod.deleted is None:
            limits = {k: str(int(v)) for c in pod.containers.values() for k, v in c.items()}
            objs.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid,
                                 "labels": {"tenantguard.io/tenant": OWNER[pod.namespace]}},
                    "spec": {"nodeName": pod.node,
                             "containers": [{"name": "c", "image": "x", "resources": {"limits": limits}}]},
                    "status": {"phase": "Running", "startTime": pod.phases[-1][0].strftime("%Y-%m-%dT%H:%M:%SZ")},
                }
            )  # fmt: skip
    (path / "cluster.yaml").write_text(yaml.safe_dump_all(objs))


SETTINGS = """\
pricing:
  currency: EUR
  gpuHour:
  - {product: H100, price: 2.40}
  - {product: A100, price: 1.75}
  cpuCoreHour: 0.02
  memoryGiBHour: 0.003
"""


@dataclass(frozen=True)
class World:
    url: str
    snapshot: Path
    settings: Path
    work: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    work = tmp_path_factory.mktemp("usage-history")
    write_history(work / "history.om")
    data = work / "data"
    backfill(work / "history.om", data)
    snapshot(work / "snapshot")
    settings = work / "settings.yaml"
    settings.write_text(SETTINGS)
    with prometheus.running(data, work) as url:
        yield World(url=url, snapshot=work / "snapshot", settings=settings, work=work)


def audit(world: World, *args: str, now: datetime = END) -> tuple[int, str, str]:
    run = subprocess.run(
        [
            str(TENANTGUARD), "audit", "--snapshot", str(world.snapshot), "--config", str(world.settings),
            "--now", now.strftime("%Y-%m-%dT%H:%M:%SZ"), "--window", "3d", "--prometheus-url", world.url, *args,
        ],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    return run.returncode, run.stdout, run.stderr


def report(world: World, *args: str) -> dict[str, Any]:
    code, out, err = audit(world, *args)
    assert code == 0, err
    doc: dict[str, Any] = orjson.loads(out)
    return doc


def close(got: float, expected: float, tolerance: float) -> bool:
    return abs(got - expected) <= tolerance + 1e-6


# Hand-counted figures. Each run of a pod may be off by up to two steps (docs/audit.md), times what it weighs.
ACME_GPU_HOURS = {"2026-11-24": 2 * 12, "2026-11-25": 2 * 24 + 6, "2026-11-26": 2 * 24 + 4, "2026-11-27": 2 * 12 + 2.5}
ACME_RUNS = 2 + 1 + 1  # vllm-0 (2 GPUs: exact at the window's edges, counted anyway), train, notebook
GLOBEX_SLICE_HOURS = {"2026-11-24": 0, "2026-11-25": 6, "2026-11-26": 24, "2026-11-27": 12}
ACME_CORE_HOURS = 8 * 72 + 4 * 6 + 2 * 72
ACME_GIB_HOURS = 64 * 72 + 16 * 6 + 8 * 72
ACME_TOKENS = (100 + 40) * (72 * 3600 / SCRAPE)  # tokens per scrape x scrapes in the window (reset included)
GLOBEX_TOKENS = (50 + 20) * (72 * 3600 / SCRAPE)


def test_kube_state_metrics_history_bills_deleted_pods_mig_slices_and_tokens(world: World) -> None:
    doc = report(world, "--history-source", "kube-state-metrics")
    usage = doc["usage"]
    assert usage["gpuHours"] == {
        "source": "kube-state-metrics",
        "lowerBound": False,
        "stepSeconds": 60,
        "maxErrorPerRunHours": round(2 / 60, 4),
        "days": ["2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"],
    }
    assert usage["notes"] == []
    assert sorted(usage["tenants"]) == ["acme", "globex"], "initech-prod belongs to no Tenant now: not attributed"
    acme, globex = usage["tenants"]["acme"], usage["tenants"]["globex"]
    err = 2 * STEP_HOURS
    for day, hours in ACME_GPU_HOURS.items():
        assert close(acme["gpu"]["gpuHoursByDay"][day], hours, ACME_RUNS * err), (day, acme["gpu"]["gpuHoursByDay"])
    assert close(acme["gpu"]["gpuHours"], 156.5, ACME_RUNS * err)
    for day, slices in GLOBEX_SLICE_HOURS.items():
        assert close(globex["gpu"]["gpuHoursByDay"][day], slices * 3 / 7, err * 3 / 7), globex["gpu"]
    assert globex["gpu"]["deviceHoursByResource"] == {"nvidia.com/mig-3g.40gb": pytest.approx(42, abs=err)}
    assert close(globex["gpu"]["gpuHours"], 18, err), "the queued pod was never Running: nothing for it"

    lines = {(line["resource"], line["product"]): line for line in acme["lines"]}
    assert set(lines) == {("nvidia.com/gpu", H100), ("cpu", ""), ("memory", "")}
    gpu = lines["nvidia.com/gpu", H100]
    assert gpu["unit"] == "GPU-hour" and gpu["unitPrice"] == PRICES["H100"]
    assert close(gpu["cost"], 156.5 * 2.40, ACME_RUNS * err * 2.40)
    assert close(lines["cpu", ""]["quantity"], ACME_CORE_HOURS, (8 + 4 + 2) * err)
    assert close(lines["memory", ""]["quantity"], ACME_GIB_HOURS, (64 + 16 + 8) * err)
    (mig,) = globex["lines"]
    assert (mig["resource"], mig["product"], mig["unit"]) == ("nvidia.com/mig-3g.40gb", A100, "slice-hour")
    assert mig["unitPrice"] == pytest.approx(1.75 * 3 / 7), "a slice costs g/7 of its A100"
    assert close(mig["cost"], 42 * 0.75, err * 0.75)

    expected_acme = 156.5 * 2.40 + ACME_CORE_HOURS * 0.02 + ACME_GIB_HOURS * 0.003
    cost = acme["cost"]
    assert close(cost["total"], expected_acme, ACME_RUNS * err * 2.40 + 14 * err * 0.02 + 88 * err * 0.003)
    assert cost["currency"] == "EUR" and cost["unpricedGpuHours"] == 0

    metrics = acme["metrics"]
    assert metrics["gpuUtilizationPercent"] == pytest.approx(50), "two GPUs at 60 % and 40 %"
    assert acme["gpu"]["idleShare"] == 0.5
    assert close(acme["gpu"]["idleGpuHours"], 156.5 / 2, ACME_RUNS * err / 2)
    assert close(cost["idle"], 156.5 * 2.40 / 2, ACME_RUNS * err * 2.40 / 2)
    assert metrics["promptTokens"] == pytest.approx(100 * 72 * 3600 / SCRAPE, rel=1e-9), "across the reset"
    assert metrics["generationTokens"] == pytest.approx(40 * 72 * 3600 / SCRAPE, rel=1e-9)
    assert globex["metrics"]["promptTokens"] == pytest.approx(50 * 72 * 3600 / SCRAPE, rel=1e-9)
    assert cost["perMillionTokens"] == pytest.approx(cost["total"] / ACME_TOKENS * 1e6, rel=1e-6)
    assert globex["cost"]["perMillionTokens"] == pytest.approx(globex["cost"]["total"] / GLOBEX_TOKENS * 1e6, rel=1e-6)
    assert globex["gpu"]["idleShare"] is None, "MIG slices report no utilisation"


def test_tenantguard_gauges_bill_the_same_and_the_tenant_deleted_since(world: World) -> None:
    usage = report(world, "--history-source", "tenantguard")["usage"]
    assert usage["gpuHours"]["source"] == "tenantguard"
    assert any("CPU and memory are priced only from kube-state-metrics" in n for n in usage["notes"])
    tenants = usage["tenants"]
    assert sorted(tenants) == ["acme", "globex", "initech"]
    err = 2 * STEP_HOURS
    assert close(tenants["acme"]["gpu"]["gpuHours"], 156.5, ACME_RUNS * err)
    for day, hours in ACME_GPU_HOURS.items():
        assert close(tenants["acme"]["gpu"]["gpuHoursByDay"][day], hours, ACME_RUNS * err)
    assert close(tenants["globex"]["gpu"]["gpuHours"], 18, err)
    initech = tenants["initech"]
    assert initech["current"] is False and initech["gpu"]["cap"] is None
    assert close(initech["gpu"]["gpuHours"], 36, err), "11-24 12:00 .. 11-26 00:00, billed to the tenant of the time"
    assert close(initech["cost"]["total"], 36 * 2.40, err * 2.40)
    assert [line["resource"] for line in tenants["acme"]["lines"]] == ["nvidia.com/gpu"]


def test_auto_prefers_kube_state_metrics_and_the_csv_is_for_finance(world: World) -> None:
    code, out, err = audit(world, "--format", "csv")
    assert code == 0, err
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == [
        "window_start", "window_end", "tenant", "resource", "product", "unit", "quantity", "gpu_hours", "unit_price",
        "cost", "currency", "source",
    ]  # fmt: skip
    body = {(r[2], r[3], r[4]): r for r in rows[1:]}
    assert list(body) == [("acme", "nvidia.com/gpu", H100), ("acme", "cpu", ""), ("acme", "memory", ""),
                          ("globex", "nvidia.com/mig-3g.40gb", A100)]  # fmt: skip
    gpu = body["acme", "nvidia.com/gpu", H100]
    assert gpu[0:2] == ["2026-11-24T12:00:00Z", "2026-11-27T12:00:00Z"]
    assert gpu[5] == "GPU-hour" and gpu[8] == "2.4000" and gpu[10] == "EUR" and gpu[11] == "kube-state-metrics"
    assert close(float(gpu[6]), 156.5, ACME_RUNS * 2 * STEP_HOURS) and gpu[6] == gpu[7]
    mig = body["globex", "nvidia.com/mig-3g.40gb", A100]
    assert mig[5] == "slice-hour" and close(float(mig[7]), float(mig[6]) * 3 / 7, 1e-4)


def test_the_html_report_charts_gpu_hours_per_tenant_per_day(world: World) -> None:
    code, out, err = audit(world, "--format", "html")
    assert code == 0, err
    assert "<h3>GPU-hours per tenant per day</h3>" in out
    for day in ("2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"):
        assert f"acme {day}:" in out, day
    assert "cost in the window" in out and "EUR" in out


def test_no_history_in_the_window_falls_back_to_a_marked_lower_bound(world: World) -> None:
    long_before = END - timedelta(days=30)
    code, out, err = audit(world, now=long_before)
    assert code == 0, err
    assert "has neither kube-state-metrics' pod series nor tenantguard's allocation gauge" in err
    usage = orjson.loads(out)["usage"]
    assert usage["gpuHours"]["lowerBound"] is True and usage["notes"][0].startswith("GPU-hours are a lower bound")
    code, out, err = audit(world, "--history-source", "tenantguard", now=long_before)
    assert code == 2 and out == ""
    assert "no tenantguard_gpu_allocated_devices series between" in err and "no report written" in err


def test_merging_duplicate_series_per_step_bills_the_same(world: World) -> None:
    """The fast path integrates each kube-state-metrics series on its own; the path for several unsharded replicas
    merges them at every step. On this history (one redeploy, 30 s of overlap) both bill the same hours, within a
    step for each pod the overlap counted twice."""
    window = Window.ending(END, timedelta(days=3))
    args: dict[str, Any] = {"step_seconds": 60, "namespace_tenant": OWNER, "products": PRODUCTS}
    fast = history.from_kube_state_metrics(world.url, window, duplicated=False, **args)
    merged = history.from_kube_state_metrics(world.url, window, duplicated=True, **args)

    def by_day(found: history.History) -> dict[tuple[str, str, str], float]:
        out: dict[tuple[str, str, str], float] = {}
        for r in found.rows:
            out[(r.tenant, r.resource, r.day)] = out.get((r.tenant, r.resource, r.day), 0.0) + r.hours
        return out

    fast_hours, merged_hours = by_day(fast), by_day(merged)
    assert fast_hours.keys() == merged_hours.keys()
    for key, hours in merged_hours.items():
        assert 0 <= fast_hours[key] - hours <= 2 * STEP_HOURS * 2, key  # vllm-0: 2 GPUs through the redeploy
    assert merged_hours[("acme", "nvidia.com/gpu", "2026-11-25")] == pytest.approx(54, abs=2 * STEP_HOURS)
