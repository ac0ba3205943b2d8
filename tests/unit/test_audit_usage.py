"""audit.usage: GPU-hours over a window with an injected clock, devices now, quotas, endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenantguard.audit.showback import UsageRow, pod_rows, tenant_showback
from tenantguard.audit.usage import (
    PodUsage,
    TenantUsage,
    Window,
    endpoint,
    gpu_hours,
    parse_duration,
    parse_quantity,
    parse_time,
    pod_usage,
    quota_rows,
    service_endpoint,
    serving_pod,
)
from tenantguard.policies.context import Context
from tenantguard.policies.gpu import pod_gpu_equivalents
from tenantguard.policies.ledger import GpuLedger
from tenantguard.policies.subjects import Subject

NOW = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
DAY = Window.ending(NOW, timedelta(hours=24))
DAYS = [d.label for d in DAY.days()]


def _ts(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def gpu_pod(
    resources: dict[str, int],
    phase: str = "Running",
    started: float | None = 2,
    finished: list[float] | None = None,
    name: str = "p",
) -> dict[str, Any]:
    status: dict[str, Any] = {"phase": phase}
    if started is not None:
        status["startTime"] = _ts(started)
    if finished is not None:
        status["containerStatuses"] = [
            {"name": f"c{i}", "state": {"terminated": {"finishedAt": _ts(h)}}} for i, h in enumerate(finished)
        ]
    limits = {k: str(v) for k, v in resources.items()}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "acme-prod"},
        "spec": {"containers": [{"name": "c", "image": "x", "resources": {"limits": limits}}]},
        "status": status,
    }


def _hours(pod: dict[str, Any], window: Window = DAY) -> dict[str, float]:
    usage = pod_usage(pod)
    assert usage is not None
    return {k: round(v, 6) for k, v in gpu_hours(usage, window).items()}


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        pytest.param(gpu_pod({"nvidia.com/gpu": 2}, started=3), {"nvidia.com/gpu": 6.0}, id="running-2-gpus-3h"),
        pytest.param(gpu_pod({"nvidia.com/gpu": 1}, started=30), {"nvidia.com/gpu": 24.0}, id="clipped-to-window"),
        pytest.param(
            gpu_pod({"nvidia.com/mig-3g.40gb": 1}, started=7), {"nvidia.com/mig-3g.40gb": 3.0}, id="mig-weighs-g/7"
        ),
        pytest.param(
            gpu_pod({"nvidia.com/mig-1g.10gb": 7}, started=1), {"nvidia.com/mig-1g.10gb": 1.0}, id="seven-1g-slices"
        ),
        pytest.param(
            gpu_pod({"nvidia.com/gpu": 1}, phase="Succeeded", started=10, finished=[6, 4]),
            {"nvidia.com/gpu": 6.0},
            id="succeeded-ends-at-latest-finish",
        ),
        pytest.param(
            gpu_pod({"nvidia.com/gpu": 1}, phase="Failed", started=40, finished=[20]),
            {"nvidia.com/gpu": 4.0},
            id="failed-started-before-window",
        ),
        pytest.param(
            gpu_pod({"nvidia.com/gpu": 1}, phase="Succeeded", started=50, finished=[30]), {}, id="ended-before-window"
        ),
        pytest.param(gpu_pod({"nvidia.com/gpu": 1}, phase="Succeeded", started=5), {}, id="finished-without-time"),
        pytest.param(gpu_pod({"nvidia.com/gpu": 1}, phase="Pending", started=None), {}, id="pending-not-started"),
    ],
)
def test_gpu_hours(pod: dict[str, Any], expected: dict[str, float]) -> None:
    assert _hours(pod) == expected


def test_pod_without_gpus_has_no_usage() -> None:
    assert pod_usage(gpu_pod({})) is None


def test_tenant_usage_separates_running_and_pending() -> None:
    usage = TenantUsage()
    rows: list[UsageRow] = []
    for pod in (
        gpu_pod({"nvidia.com/gpu": 2}, started=1),
        gpu_pod({"nvidia.com/mig-1g.10gb": 1}, phase="Pending", started=None),
        gpu_pod({"nvidia.com/gpu": 1}, phase="Succeeded", started=3, finished=[2]),
    ):
        record = pod_usage(pod)
        assert record is not None
        usage.add_pod(record)
        rows.extend(pod_rows(record, DAY, tenant="acme", product=""))
    gpu = usage.as_dict(tenant_showback(rows, days=DAYS, pricing=None, metrics=None), None)["gpu"]
    assert gpu["allocated"] == {"nvidia.com/gpu": 2, "nvidia.com/mig-1g.10gb": 1}
    assert gpu["running"] == {"nvidia.com/gpu": 2}
    assert gpu["pending"] == {"nvidia.com/mig-1g.10gb": 1}
    assert gpu["gpuHours"] == 3.0
    assert gpu["gpuHoursByResource"] == {"nvidia.com/gpu": 3.0}
    assert gpu["allocatedGpuEquivalents"] == round(2 + 1 / 7, 3), "the unit of spec.gpu.maxTotal"


def test_the_report_weighs_devices_as_admission_does() -> None:
    """One function weighs a pod for GPU005/GPU006, the ledger and the report: they cannot drift apart."""
    pod = gpu_pod({"nvidia.com/mig-3g.40gb": 2}, started=1)
    pod["metadata"]["uid"] = "u"
    usage = TenantUsage()
    record = pod_usage(pod)
    assert record is not None
    usage.add_pod(record)
    doc = usage.as_dict(
        tenant_showback(pod_rows(record, DAY, tenant="acme", product=""), days=DAYS, pricing=None, metrics=None), None
    )
    ledger = GpuLedger()
    ledger.put(pod)
    (template,) = Subject.of(pod).pods
    admission = pod_gpu_equivalents(template)
    assert admission == ledger.usage({pod["metadata"]["namespace"]}).equivalents
    assert doc["gpu"]["allocatedGpuEquivalents"] == round(float(admission), 3) == 0.857
    assert doc["gpu"]["gpuHours"] == round(float(admission), 4), "one hour at 6/7 of a GPU"


def test_window_in_the_future_of_a_pod_counts_nothing() -> None:
    early = Window(start=NOW - timedelta(hours=48), end=NOW - timedelta(hours=24))
    record = PodUsage(
        namespace="n",
        name="p",
        phase="Running",
        devices=(("nvidia.com/gpu", 1),),
        start=NOW - timedelta(hours=1),
        end=None,
    )
    assert gpu_hours(record, early) == {}
    assert early.as_dict() == {"start": "2026-11-25T18:00:00Z", "end": "2026-11-26T18:00:00Z", "hours": 24.0}


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("24h", 86400), ("7d", 604800), ("90m", 5400), ("1h30m", 5400), ("1w", 604800), ("45s", 45)],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "24", "h", "1x", "-1h", "0h", "1h junk"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2", 2.0),
        ("500m", 0.5),
        ("16Gi", 16 * 2**30),
        ("1k", 1000.0),
        ("1e3", 1000.0),
        (3, 3.0),
        ("x", None),
        ("1Zi", None),
        (True, None),
    ],
)
def test_parse_quantity(value: Any, expected: float | None) -> None:
    assert parse_quantity(value) == expected


def test_parse_time() -> None:
    assert parse_time("2026-11-27T18:00:00Z") == NOW
    assert parse_time("nope") is None
    assert parse_time(None) is None


def test_quota_rows_gpu_first_with_used_and_percent() -> None:
    quota = {
        "kind": "ResourceQuota",
        "metadata": {"name": "tenantguard-gpu", "namespace": "acme-prod"},
        "spec": {"hard": {"requests.cpu": "10", "requests.nvidia.com/gpu": "8", "pods": "20"}},
        "status": {"hard": {}, "used": {"requests.cpu": "2500m", "requests.nvidia.com/gpu": "2"}},
    }
    rows = quota_rows(quota)
    assert [(r["resource"], r["hard"], r["used"], r["gpu"], r["percent"]) for r in rows] == [
        ("requests.nvidia.com/gpu", "8", "2", True, 25.0),
        ("pods", "20", "0", False, 0.0),
        ("requests.cpu", "10", "2500m", False, 25.0),
    ]
    assert rows[0]["namespace"] == "acme-prod" and rows[0]["name"] == "tenantguard-gpu"


def test_endpoints_name_their_model() -> None:
    ctx = Context()
    isvc = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llama", "namespace": "acme-prod"},
        "spec": {"predictor": {"model": {"storageUri": "s3://acme-models/llama/"}}},
    }
    assert endpoint(isvc, ctx) == {
        "kind": "InferenceService",
        "namespace": "acme-prod",
        "name": "llama",
        "model": "s3://acme-models/llama/",
    }
    vllm = gpu_pod({"nvidia.com/gpu": 1})
    vllm["metadata"]["labels"] = {"app": "vllm"}
    vllm["spec"]["containers"][0]["args"] = ["--model", "hf://meta-llama/Llama-3.1-8B"]
    found = serving_pod(vllm, ctx)
    assert found is not None and found[1] is not None and "meta-llama/Llama-3.1-8B" in found[1]
    service = {
        "kind": "Service",
        "metadata": {"name": "vllm", "namespace": "acme-prod"},
        "spec": {"selector": {"app": "vllm"}},
    }
    got = service_endpoint(service, [found])
    assert got is not None and got["kind"] == "Service" and got["model"] == found[1]
    other = {
        "kind": "Service",
        "metadata": {"name": "db", "namespace": "acme-prod"},
        "spec": {"selector": {"app": "db"}},
    }
    assert service_endpoint(other, [found]) is None
    assert serving_pod(gpu_pod({}), ctx) is None
