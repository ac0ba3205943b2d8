"""Run `tenantguard controller` against a cluster as its own process: for the demo and end-to-end tests.

Short lease timings by default (6 s / 4 s / 1 s) so that a takeover is quick to observe; `/readyz` on the
metrics port says when its watches have synced. `kill()` is a crash (SIGKILL: the Lease is not released),
`stop()` a clean shutdown (SIGTERM: the Lease is released).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.webhook_runner import free_port


@dataclass(slots=True)
class ControllerProcess:
    kubeconfig: Path
    work_dir: Path
    identity: str = "reconciler"
    config: Path | None = None
    lease_duration: float = 6.0
    renew_deadline: float = 4.0
    retry_period: float = 1.0
    resync: float = 30.0
    metrics_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def log_file(self) -> Path:
        return self.work_dir / f"controller-{self.identity}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}"

    def argv(self) -> list[str]:
        exe = Path(sys.executable).with_name("tenantguard")
        argv = [
            str(exe),
            "controller",
            "--kubeconfig",
            str(self.kubeconfig),
            "--identity",
            self.identity,
            "--metrics-host",
            "127.0.0.1",
            "--metrics-port",
            str(self.metrics_port),
            "--lease-duration",
            str(self.lease_duration),
            "--renew-deadline",
            str(self.renew_deadline),
            "--retry-period",
            str(self.retry_period),
            "--resync",
            str(self.resync),
        ]
        return [*argv, "--config", str(self.config)] if self.config is not None else argv

    def start(self, timeout: float = 60) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"controller exited {self.proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"controller not ready after {timeout:.0f}s: {self.log_tail()}")

    def metrics(self) -> str:
        with urllib.request.urlopen(f"{self.url}/metrics", timeout=5) as resp:
            return str(resp.read().decode())

    def metric(self, name: str, **labels: str) -> float:
        """The value of one sample (0 when absent)."""
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for line in self.metrics().splitlines():
            head, _, value = line.rpartition(" ")
            sample, _, rest = head.partition("{")
            if sample == name and ",".join(sorted(rest.rstrip("}").split(","))) == want:
                return float(value)
        return 0.0

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """A crash: SIGKILL, so the Lease is left to expire."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None
