"""audit.prometheus against a fake Prometheus HTTP API served from a thread."""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from tenantguard.audit.prometheus import PrometheusError, queries, usage_metrics

START = datetime(2026, 11, 26, 18, 0, tzinfo=UTC)
END = START + timedelta(hours=24)
NAMESPACE_TENANT = {"acme-prod": "acme", "acme-dev": "acme", "globex-prod": "globex", "initech-prod": "initech"}

# (status, body) for a posted form: {"query": ..., "time": ...}
Answer = Callable[[dict[str, str]], tuple[int, bytes]]


def vector(values: dict[str, str]) -> bytes:
    result = [{"metric": {"namespace": ns}, "value": [END.timestamp(), v]} for ns, v in values.items()]
    return orjson.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})


def prometheus_like(form: dict[str, str]) -> tuple[int, bytes]:
    expr = form["query"]
    if expr.startswith("sum by (namespace) (label_replace(sum_over_time(DCGM_FI_DEV_GPU_UTIL"):
        return 200, vector({"acme-prod": "6000", "acme-dev": "1000", "globex-prod": "880", "gpu-operator": "0"})
    if "count_over_time(DCGM_FI_DEV_GPU_UTIL" in expr:
        return 200, vector({"acme-prod": "100", "acme-dev": "50", "globex-prod": "10", "gpu-operator": "10"})
    if "vllm:prompt_tokens_total" in expr:
        return 200, vector({"acme-prod": "1200", "acme-dev": "300", "globex-prod": "NaN", "kube-system": "5"})
    if "vllm:generation_tokens_total" in expr:
        return 200, vector({"acme-prod": "400", "globex-prod": "70"})
    return 400, b'{"status":"error","errorType":"bad_data","error":"unexpected query"}'


@pytest.fixture
def served() -> Iterator[tuple[list[dict[str, str]], Callable[[Answer], str]]]:
    """Yields (the forms received, serve(answer) -> the base URL)."""
    received: list[dict[str, str]] = []
    answer: list[Answer] = [prometheus_like]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert self.path == "/prom/api/v1/query"
            length = int(self.headers["Content-Length"])
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            received.append(form)
            status, body = answer[0](form)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def serve(handler: Answer) -> str:
        answer[0] = handler
        return f"http://127.0.0.1:{server.server_address[1]}/prom/"

    try:
        yield received, serve
    finally:
        server.shutdown()
        server.server_close()


def test_namespaces_add_up_to_tenants(served: tuple[list[dict[str, str]], Callable[[Answer], str]]) -> None:
    received, serve = served
    metrics = usage_metrics(serve(prometheus_like), NAMESPACE_TENANT, start=START, end=END)
    assert metrics == {
        "acme": {"gpuUtilizationPercent": 7000 / 150, "promptTokens": 1500.0, "generationTokens": 400.0},
        "globex": {"gpuUtilizationPercent": 88.0, "promptTokens": None, "generationTokens": 70.0},
        "initech": {"gpuUtilizationPercent": None, "promptTokens": None, "generationTokens": None},
    }
    assert len(received) == 4
    assert {form["time"] for form in received} == {f"{END.timestamp():.3f}"}


def test_queries_cover_the_window_and_both_namespace_labels() -> None:
    built = queries("86400000ms")
    for expr in built.values():
        assert '"namespace", "$1", "exported_namespace", "(.+)"' in expr
        assert "[86400000ms]" in expr
    assert "offset 86400000ms" in built["promptTokens"]
    assert "increase(vllm:generation_tokens_total[86400000ms])" in built["generationTokens"]


def test_naive_datetimes_are_utc(served: tuple[list[dict[str, str]], Callable[[Answer], str]]) -> None:
    received, serve = served
    usage_metrics(serve(prometheus_like), {}, start=START.replace(tzinfo=None), end=END.replace(tzinfo=None))
    assert received[0]["time"] == f"{END.timestamp():.3f}"
    assert "[86400000ms]" in received[0]["query"]


def test_an_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        usage_metrics("http://127.0.0.1:9", NAMESPACE_TENANT, start=END, end=END)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (
            400,
            b'{"status":"error","errorType":"bad_data","error":"parse error at char 5"}',
            "HTTP 400: bad_data: parse error at char 5",
        ),
        (503, b"Service Unavailable", "HTTP 503"),
        (200, b"<html>not json</html>", "not JSON"),
        (200, b"[1, 2]", "not a JSON object"),
        (200, b'{"status":"error","errorType":"timeout","error":"query timed out"}', "timeout: query timed out"),
        (200, b'{"status":"success","data":{"resultType":"matrix","result":[]}}', "expected a vector"),
        (200, b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}}', "malformed sample"),
    ],
    ids=["query-error", "http-error", "html", "not-an-object", "error-status", "matrix", "malformed-sample"],
)
def test_bad_answers_raise_prometheus_error(
    served: tuple[list[dict[str, str]], Callable[[Answer], str]], status: int, body: bytes, message: str
) -> None:
    _, serve = served
    with pytest.raises(PrometheusError, match=message):
        usage_metrics(serve(lambda _: (status, body)), NAMESPACE_TENANT, start=START, end=END)


def test_unreachable_is_a_prometheus_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(PrometheusError, match="unreachable"):
        usage_metrics(f"http://127.0.0.1:{port}", NAMESPACE_TENANT, start=START, end=END, timeout=2)


def test_a_slow_answer_times_out(served: tuple[list[dict[str, str]], Callable[[Answer], str]]) -> None:
    _, serve = served

    def slow(form: dict[str, str]) -> tuple[int, bytes]:
        time.sleep(1)
        return prometheus_like(form)

    with pytest.raises(PrometheusError, match="unreachable: timed out"):
        usage_metrics(serve(slow), NAMESPACE_TENANT, start=START, end=END, timeout=0.2)
