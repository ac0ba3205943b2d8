"""audit.history: the PromQL it sends, the source it picks, and how answers become rows (a fake Prometheus API).

The queries' meaning is checked against a real Prometheus in tests/e2e/test_usage_history.py; here, their shape,
the per-day buckets, the attribution to tenants and products, and every failure becoming a PrometheusError.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tenantguard.audit import history
from tenantguard.audit.prometheus import PrometheusError
from tenantguard.audit.usage import Window
from tenantguard.cli import main
from tests.support.fixtures import tenant_object

END = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WINDOW = Window.ending(END, timedelta(hours=36))  # 11-26 00:00 .. 11-27 12:00: two buckets
OWNER = {"acme-prod": "acme", "acme-dev": "acme", "globex-prod": "globex"}
H100 = "NVIDIA-H100-80GB-HBM3"

Handler = Callable[[str, dict[str, str]], tuple[int, Any]]  # (path, form or query) -> (status, JSON body)


@pytest.fixture
def fake() -> Iterator[tuple[list[tuple[str, dict[str, str]]], Callable[[Handler], str]]]:
    seen: list[tuple[str, dict[str, str]]] = []
    handler: list[Handler] = []
    lock = threading.Lock()

    class Server(BaseHTTPRequestHandler):
        def _answer(self, path: str, form: dict[str, str]) -> None:
            with lock:
                seen.append((path, form))
            status, body = handler[0](path, form)
            raw = body if isinstance(body, bytes) else orjson.dumps(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            self._answer(url.path, dict(urllib.parse.parse_qsl(url.query)))

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            self._answer(self.path, dict(urllib.parse.parse_qsl(self.rfile.read(length).decode())))

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def serve(answer: Handler) -> str:
        handler[:] = [answer]
        return f"http://127.0.0.1:{server.server_address[1]}"

    try:
        yield seen, serve
    finally:
        server.shutdown()
        server.server_close()


def vector(*samples: tuple[dict[str, str], float]) -> dict[str, Any]:
    result = [{"metric": labels, "value": [END.timestamp(), str(value)]} for labels, value in samples]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def names(*found: str) -> dict[str, Any]:
    return {"status": "success", "data": list(found)}


def prometheus_with(present: tuple[str, ...]) -> Handler:
    def answer(path: str, form: dict[str, str]) -> tuple[int, Any]:
        if path.endswith("/label/__name__/values"):
            return 200, names(*present)
        expr = form["query"]
        if expr.startswith("count(count by (uid)"):
            return 200, vector()  # no pod exported twice: each phase series is integrated on its own
        if expr.startswith("max by (node, label_nvidia_com_gpu_product)"):
            return 200, vector(({"node": "h100-a", "label_nvidia_com_gpu_product": H100}, 1))
        if "nvidia_com_gpu" in expr:
            day = datetime.fromtimestamp(float(form["time"]), UTC)
            steps = 600.0 if day == END else 120.0  # the last bucket ends at the window's end
            return 200, vector(
                ({"namespace": "acme-prod", "node": "h100-a", "resource": "nvidia_com_gpu"}, 2 * steps),
                ({"namespace": "globex-prod", "node": "a100-m", "resource": "nvidia_com_mig_1g_10gb_me"}, steps),
                ({"namespace": "platform", "node": "h100-a", "resource": "nvidia_com_gpu"}, 99.0),
            )
        if "tenantguard_gpu_allocated_devices" in expr:
            labels = {"tenant": "initech", "namespace": "initech-prod", "resource": "nvidia.com/gpu", "product": H100}
            return 200, vector((labels, 60.0))
        return 400, {"status": "error", "errorType": "bad_data", "error": f"unexpected query {expr[:80]}"}

    return answer


def test_kube_state_metrics_labels_are_sanitised_resource_names() -> None:
    assert history.ksm_label("nvidia.com/mig-1g.10gb+me") == "nvidia_com_mig_1g_10gb_me"
    assert history.resource_of("nvidia_com_gpu") == "nvidia.com/gpu"
    assert history.resource_of("nvidia_com_gpu_shared") == "nvidia.com/gpu.shared"
    assert history.resource_of("nvidia_com_mig_3g_40gb") == "nvidia.com/mig-3g.40gb"
    assert history.resource_of("nvidia_com_mig_1g_24gb_me") == "nvidia.com/mig-1g.24gb.me"
    assert (
        history.resource_of("nvidia_com_mig_1g_24gb_me", ["nvidia.com/mig-1g.24gb-me"]) == "nvidia.com/mig-1g.24gb-me"
    )
    assert history.resource_of("nvidia_com_mig_odd").startswith("nvidia.com/mig-"), "still GPU-class, never dropped"


def test_the_queries_sum_in_prometheus_at_the_step_over_exactly_the_bucket() -> None:
    gpu = history.ksm_query(
        history.KSM_GPU, "integer", "namespace, node, resource", "acme-dev|acme-prod", 86_400_000, 60_000
    )
    assert 'kube_pod_container_resource_requests{unit="integer",node!="",resource=~"nvidia_com_gpu|' in gpu
    assert 'namespace=~"acme-dev|acme-prod"' in gpu
    assert "[86459999ms]" not in gpu and "[86460000ms]" in gpu, "requests: the bucket plus the step before it"
    assert 'last_over_time(kube_pod_status_phase{phase="Running",namespace=~"acme-dev|acme-prod"}[59999ms])' in gpu
    assert "[86399999ms:60000ms]" in gpu, "(start, end]: buckets share no step"
    assert gpu.startswith("sum by (namespace, node, resource) (") and "* on (uid) group_left ()" in gpu
    assert "group_left () sum by (uid) (sum_over_time((last_over_time(" in gpu, "series integrated one by one"
    merged = history.ksm_query(history.KSM_GPU, "integer", "namespace", "a", 3_600_000, 60_000, duplicated=True)
    assert "group_left () sum_over_time((max by (uid) (last_over_time(" in merged, "duplicates merged per step"
    gauge = history.gauge_query(3_600_000, 30_000)
    assert 'tenantguard_gpu_allocated_devices{phase="Running",tenant!=""}[29999ms]' in gauge
    assert gauge.startswith("sum_over_time((max by (tenant, namespace, resource, product) (")


def test_kube_state_metrics_rows_per_day_tenant_and_product(
    fake: tuple[list[tuple[str, dict[str, str]]], Callable[[Handler], str]],
) -> None:
    seen, serve = fake
    url = serve(prometheus_with(("kube_pod_container_resource_requests", "kube_pod_status_phase")))
    assert history.choose(url, history.AUTO, WINDOW) == history.KSM
    found = history.from_kube_state_metrics(
        url,
        WINDOW,
        step_seconds=60,
        namespace_tenant=OWNER,
        products={"a100-m": "NVIDIA-A100-SXM4-80GB"},
        known_resources=["nvidia.com/mig-1g.10gb.me"],
    )
    assert found.source == "kube-state-metrics" and found.step_seconds == 60
    rows = sorted((r.day, r.tenant, r.namespace, r.resource, r.product, r.hours) for r in found.rows)
    assert rows == [
        ("2026-11-26", "acme", "acme-prod", "nvidia.com/gpu", H100, 4.0),
        ("2026-11-26", "globex", "globex-prod", "nvidia.com/mig-1g.10gb.me", "NVIDIA-A100-SXM4-80GB", 2.0),
        ("2026-11-27", "acme", "acme-prod", "nvidia.com/gpu", H100, 20.0),
        ("2026-11-27", "globex", "globex-prod", "nvidia.com/mig-1g.10gb.me", "NVIDIA-A100-SXM4-80GB", 10.0),
    ], "platform belongs to no tenant"
    times = sorted(float(form["time"]) for path, form in seen if "nvidia_com_gpu|" in form.get("query", ""))
    assert times == [datetime(2026, 11, 27, tzinfo=UTC).timestamp(), END.timestamp()], "one query per UTC day"


def test_tenantguard_rows_carry_the_tenant_of_the_time(
    fake: tuple[list[tuple[str, dict[str, str]]], Callable[[Handler], str]],
) -> None:
    _, serve = fake
    url = serve(prometheus_with(("tenantguard_gpu_allocated_devices",)))
    assert history.choose(url, history.AUTO, WINDOW) == history.TENANTGUARD
    found = history.from_tenantguard(url, WINDOW, step_seconds=30)
    assert {(r.tenant, r.product, r.hours) for r in found.rows} == {("initech", H100, 0.5)}
    assert len(found.rows) == 2, "one row per day"


def test_a_source_asked_for_by_name_must_be_there(
    fake: tuple[list[tuple[str, dict[str, str]]], Callable[[Handler], str]],
) -> None:
    _, serve = fake
    url = serve(prometheus_with(("kube_pod_status_phase",)))
    assert history.choose(url, history.AUTO, WINDOW) is None, "phases without requests bill nothing"
    with pytest.raises(PrometheusError, match="no kube_pod_container_resource_requests and kube_pod_status_phase"):
        history.choose(url, history.KSM, WINDOW)
    with pytest.raises(PrometheusError, match="no tenantguard_gpu_allocated_devices series between 2026-11-26 00:00"):
        history.choose(url, history.TENANTGUARD, WINDOW)


def _snapshot(tmp_path: Path) -> Path:
    snap = tmp_path / "snap"
    snap.mkdir()
    gpu = {"maxTotal": 4, "allowedResources": ["nvidia.com/gpu"]}
    labels = {"tenantguard.io/tenant": "acme"}
    objs = [
        tenant_object("acme", {"namespaces": ["acme-prod"], "gpu": gpu}),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme-prod", "labels": labels}},
    ]
    (snap / "all.yaml").write_text(yaml.safe_dump_all(objs))
    return snap


def test_a_failing_history_query_exits_2_without_a_report(
    fake: tuple[list[tuple[str, dict[str, str]]], Callable[[Handler], str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, serve = fake

    def broken(path: str, form: dict[str, str]) -> tuple[int, Any]:
        if path.endswith("/values"):
            return 200, names("kube_pod_container_resource_requests", "kube_pod_status_phase")
        return 503, b"overloaded"

    url = serve(broken)
    out = tmp_path / "usage.csv"
    args = ["audit", "--snapshot", str(_snapshot(tmp_path)), "--now", "2026-11-27T12:00:00Z", "--window", "36h"]
    assert main([*args, "--prometheus-url", url, "--format", "csv", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "tenantguard audit: Prometheus: " in err and "HTTP 503" in err and "no report written" in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("step", "message"),
    [("90s500ms", "not a duration"), ("0.5s", "must be whole seconds"), ("2d", "longer than the window")],
)
def test_a_bad_step_is_refused(step: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["audit", "--snapshot", str(_snapshot(tmp_path)), "--now", "2026-11-27T12:00:00Z", "--window", "36h"]
    assert main([*args, "--prometheus-step", step]) == 2
    assert f"tenantguard audit: --prometheus-step: {message}" in capsys.readouterr().err


def test_pods_exported_twice_are_merged_per_step(
    fake: tuple[list[tuple[str, dict[str, str]]], Callable[[Handler], str]],
) -> None:
    seen, serve = fake
    plain = prometheus_with(("kube_pod_container_resource_requests", "kube_pod_status_phase"))

    def twice(path: str, form: dict[str, str]) -> tuple[int, Any]:
        if form.get("query", "").startswith("count(count by (uid)"):
            return 200, vector(({}, 3.0))  # three pods have two series now: two unsharded replicas
        return plain(path, form)

    url = serve(twice)
    found = history.from_kube_state_metrics(url, WINDOW, step_seconds=60, namespace_tenant=OWNER, products={})
    assert len(found.rows) == 4
    gpu = [form["query"] for _, form in seen if "nvidia_com_gpu|" in form.get("query", "")]
    assert len(gpu) == 2 and all("sum_over_time((max by (uid) (" in q for q in gpu)
