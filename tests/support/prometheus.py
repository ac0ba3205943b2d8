"""Debian's Prometheus for tests and benchmarks: started on a free loopback port, on a data directory (backfilled
blocks) and an optional scrape configuration, stopped with the process that started it."""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies, so a killed run leaves no Prometheus behind."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def binary() -> str:
    found = shutil.which("prometheus") or "/usr/bin/prometheus"
    if not Path(found).exists():
        raise FileNotFoundError("prometheus is not installed: `apt-get install -y prometheus` (Debian package)")
    return found


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def running(data_dir: Path, work: Path, *, config: str = "scrape_configs: []\n", timeout: float = 120) -> Iterator[str]:
    """Prometheus on `data_dir` with `config`; yields its base URL. Retention is long enough for backfilled weeks."""
    port = free_port()
    config_file = work / "prometheus.yml"
    config_file.write_text(config)
    log_path = work / "prometheus.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                binary(),
                f"--config.file={config_file}",
                f"--storage.tsdb.path={data_dir}",
                "--storage.tsdb.retention.time=90d",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while not _ready(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-20:])
                    raise RuntimeError(f"prometheus did not become ready (exit {process.poll()}):\n{tail}")
                time.sleep(0.25)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
