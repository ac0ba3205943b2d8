"""`usage_metrics` against a real Prometheus scraping DCGM- and vLLM-shaped metrics with known values.

The test serves a metrics page on loopback, starts Debian's `/usr/bin/prometheus` scraping it every
second, and asserts that the figures equal what was served: utilisation means of constant gauges,
token counts from 0 for processes born within the window, and the growth of a counter from a
known value at the window's start to a known value at its end.
"""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tenantguard.audit.prometheus import PrometheusError, query, usage_metrics

pytestmark = pytest.mark.e2e

NAMESPACE_TENANT = {"acme-prod": "acme", "acme-dev": "acme", "globex-prod": "globex", "initech-prod": "initech"}


@dataclass
class Counters:
    acme_prompt: int = 1000
    acme_generation: int = 400
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self) -> bytes:
        with self.lock:
            acme_prompt, acme_generation = self.acme_prompt, self.acme_generation
        return f"""\
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{{gpu="0",UUID="GPU-0",Hostname="n1",container="vllm",namespace="acme-prod",pod="vllm-0"}} 63
DCGM_FI_DEV_GPU_UTIL{{gpu="1",UUID="GPU-1",Hostname="n1",container="vllm",namespace="acme-prod",pod="vllm-1"}} 41
DCGM_FI_DEV_GPU_UTIL{{gpu="2",UUID="GPU-2",Hostname="n1",container="nb",namespace="acme-dev",pod="notebook-0"}} 22
DCGM_FI_DEV_GPU_UTIL{{gpu="3",UUID="GPU-3",Hostname="n2",namespace="gpu-operator",pod="dcgm-exporter-x",\
exported_container="chat",exported_namespace="globex-prod",exported_pod="chat-0"}} 88
DCGM_FI_DEV_GPU_UTIL{{gpu="4",UUID="GPU-4",Hostname="n2",namespace="gpu-operator",pod="dcgm-exporter-x"}} 0
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{{model_name="llama",namespace="acme-prod",pod="vllm-0"}} {acme_prompt}
vllm:prompt_tokens_total{{model_name="llama",namespace="acme-prod",pod="vllm-1"}} 250
vllm:prompt_tokens_total{{model_name="qwen",namespace="globex-prod",pod="chat-0"}} 7000
vllm:prompt_tokens_total{{model_name="other",namespace="kube-system",pod="x"}} 99
# HELP vllm:generation_tokens_total Number of generation tokens processed.
# TYPE vllm:generation_tokens_total counter
vllm:generation_tokens_total{{model_name="llama",namespace="acme-prod",pod="vllm-0"}} {acme_generation}
vllm:generation_tokens_total{{model_name="llama",namespace="acme-prod",pod="vllm-1"}} 50
vllm:generation_tokens_total{{model_name="qwen",namespace="globex-prod",pod="chat-0"}} 3000
""".encode()

    def set(self, *, prompt: int, generation: int) -> None:
        with self.lock:
            self.acme_prompt, self.acme_generation = prompt, generation


@pytest.fixture
def counters() -> Iterator[Counters]:
    state = Counters()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = state.page()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60, *, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log and log.exists() else ""
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n{tail}", pytrace=False)


def die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies, so a killed run leaves no Prometheus behind."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@pytest.fixture
def prometheus(counters: Counters, tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not Path(binary).exists():
        pytest.fail("prometheus is not installed: `apt-get install -y prometheus` (Debian package)", pytrace=False)
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: gpu-and-vllm\n"
        "    honor_labels: true\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{counters.port}']}}]\n"
    )
    log_path = tmp_path / "prometheus.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent if sys.platform == "linux" else None,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("prometheus to answer queries", lambda: answers(url, "vector(1)") is not None, log=log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def answers(url: str, expr: str) -> dict[str, float] | None:
    try:
        return query(url, expr, at=datetime.now(UTC), timeout=2)
    except PrometheusError:
        return None


def scraped(url: str, namespace: str, prompt: int) -> bool:
    got = answers(url, 'sum by (namespace) (vllm:prompt_tokens_total{pod="vllm-0"})')
    return got is not None and got.get(namespace) == prompt


def test_usage_metrics_equal_the_served_values(counters: Counters, prometheus: str) -> None:
    before = datetime.now(UTC) - timedelta(minutes=1)
    wait_for("the first scrape", lambda: scraped(prometheus, "acme-prod", 1000))
    time.sleep(1.5)  # a few samples per series
    middle = datetime.now(UTC)
    time.sleep(0.3)  # no scrape that began before `middle` sees the new values
    counters.set(prompt=1600, generation=900)
    wait_for("the grown counter", lambda: scraped(prometheus, "acme-prod", 1600))
    end = datetime.now(UTC)

    whole = usage_metrics(prometheus, NAMESPACE_TENANT, start=before, end=end)
    assert whole == {
        "acme": {"gpuUtilizationPercent": (63 + 41 + 22) / 3, "promptTokens": 1600 + 250, "generationTokens": 900 + 50},
        "globex": {"gpuUtilizationPercent": 88.0, "promptTokens": 7000.0, "generationTokens": 3000.0},
        "initech": {"gpuUtilizationPercent": None, "promptTokens": None, "generationTokens": None},
    }

    grown = usage_metrics(prometheus, NAMESPACE_TENANT, start=middle, end=end)
    assert grown["acme"]["promptTokens"] == 600
    assert grown["acme"]["generationTokens"] == 500
    assert grown["globex"]["promptTokens"] == 0
    assert grown["acme"]["gpuUtilizationPercent"] == (63 + 41 + 22) / 3


def test_a_bad_query_is_a_prometheus_error(prometheus: str) -> None:
    with pytest.raises(PrometheusError, match="HTTP 400"):
        query(prometheus, "sum by (", at=datetime.now(UTC), timeout=5)
