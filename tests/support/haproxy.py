"""HAProxy (Debian's package) in front of webhook replicas: TLS passthrough, health checks on /readyz.

Passthrough (`mode tcp`) keeps TLS end to end, as a Kubernetes Service does: kube-apiserver verifies the replica's
own serving certificate (so a rotation is seen as it happens) and the replica verifies kube-apiserver's client
certificate. HAProxy's health checks speak TLS themselves and present a client certificate of the same CA:

- `GET /readyz` every `inter`, a replica is DOWN after `fall` failures and UP after `rise` successes — a replica
  whose cache has not synced gets no traffic;
- `observe layer4` with `error-limit 1`: the first connection a dead replica refuses marks it DOWN at once, and
  `retries` with `option redispatch` sends that connection to the other replica;
- `on-marked-down shutdown-sessions`: connections to a replica marked DOWN are closed, so kube-apiserver redials.

`states()` reads the servers' states from the stats socket; `watch()` records every change with its time.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BINARY = shutil.which("haproxy") or "/usr/sbin/haproxy"  # Debian installs it in /usr/sbin, off a user's PATH


@dataclass(frozen=True, slots=True, kw_only=True)
class Backend:
    name: str
    port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    at: float  # the recording clock's time
    server: str
    state: str  # UP, DOWN, MAINT, …


def config(
    *,
    port: int,
    backends: list[Backend],
    ca_file: Path,
    check_cert: Path,
    socket_path: Path,
    inter_ms: int = 500,
    fall: int = 2,
    rise: int = 2,
) -> str:
    """haproxy.cfg for one frontend on 127.0.0.1:port and the replicas behind it."""
    servers = "\n".join(f"  server {b.name} 127.0.0.1:{b.port}" for b in backends)
    return f"""\
global
  log stdout format raw daemon
  stats socket {socket_path} mode 600 level admin
  maxconn 2000

defaults
  mode tcp
  log global
  option tcplog
  timeout connect 1s
  timeout client 90s
  timeout server 90s
  timeout check 2s
  retries 3
  option redispatch 1

frontend webhook
  bind 127.0.0.1:{port}
  default_backend replicas

backend replicas
  balance leastconn
  option httpchk
  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host webhook
  http-check expect status 200
  default-server check check-ssl verify required ca-file {ca_file} crt {check_cert} inter {inter_ms} fall {fall} \
rise {rise} observe layer4 error-limit 1 on-error mark-down on-marked-down shutdown-sessions
{servers}
"""


@dataclass(slots=True)
class HaproxyProcess:
    work_dir: Path
    port: int
    backends: list[Backend]
    ca_file: Path  # the replicas' serving CA
    check_cert: Path  # PEM with a client certificate and its key, for the health checks
    proc: subprocess.Popen[bytes] | None = None
    transitions: list[Transition] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _watcher: threading.Thread | None = None
    # The stats socket lives in a short directory of its own: a Unix socket's path has at most 107 bytes, and
    # pytest's temporary directories can be longer.
    _socket_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="haproxy-")))

    @property
    def config_file(self) -> Path:
        return self.work_dir / "haproxy.cfg"

    @property
    def socket_path(self) -> Path:
        return self._socket_dir / "stats.sock"

    @property
    def log_file(self) -> Path:
        return self.work_dir / "haproxy.log"

    def start(self, timeout: float = 30) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        text = config(
            port=self.port,
            backends=self.backends,
            ca_file=self.ca_file,
            check_cert=self.check_cert,
            socket_path=self.socket_path,
        )
        self.config_file.write_text(text)
        check = subprocess.run([BINARY, "-c", "-f", str(self.config_file)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"haproxy refused its configuration: {check.stdout}{check.stderr}")
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [BINARY, "-db", "-f", str(self.config_file)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not self.socket_path.exists() or not self._answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start: {self.log_file.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            self.states()
        except OSError:
            return False
        return True

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(2)
            s.connect(str(self.socket_path))
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def states(self) -> dict[str, str]:
        """Each backend server's state: UP, DOWN (a server going up or down shows its direction too)."""
        text = self.command("show stat").lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {r["svname"]: r["status"] for r in rows if r["pxname"] == "replicas" and r["svname"] != "BACKEND"}

    def wait_up(self, names: list[str], timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            states = self.states()
            if all(states.get(n) == "UP" for n in names):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy servers not UP after {timeout:.0f}s: {states}")
            time.sleep(0.1)

    def watch(self, clock: Callable[[], float], interval: float = 0.05) -> None:
        """Record every state change of every server, with `clock`'s time, until stop()."""
        last: dict[str, str] = {}

        def loop() -> None:
            while not self._stop.wait(interval):
                with contextlib.suppress(OSError):
                    for server, state in self.states().items():
                        if last.get(server) != state:
                            last[server] = state
                            self.transitions.append(Transition(at=clock(), server=server, state=state))

        self._watcher = threading.Thread(target=loop, name="haproxy-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(5)
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None
        shutil.rmtree(self._socket_dir, ignore_errors=True)
