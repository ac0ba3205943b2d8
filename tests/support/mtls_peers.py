"""What sits around the sidecar in the mTLS tests: the app behind it, clients in front, kubelet's Secret volume.

- `App`: a small HTTP server on loopback, counting the requests that reach it.
- `call()`: one HTTPS request through the sidecar with a client certificate (or none), verifying the server
  against a trust bundle; the outcome says whether the app answered, and with which server certificate.
- `plain_call()`: the same over plain TCP.
- `project()`: a Secret's data written into a directory the way kubelet updates a mounted Secret: files in a
  fresh `..<timestamp>` directory, the `..data` symlink swapped to it in one rename, each key a symlink
  through `..data`, the old directory removed.
"""

from __future__ import annotations

import base64
import datetime as dt
import os
import shutil
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509

BODY = b"hello from the app\n"


@dataclass(slots=True)
class App:
    server: ThreadingHTTPServer | None = None
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def start(self) -> None:
        app = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with app.lock:
                    app.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                self.wfile.write(BODY)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    status: int | None  # the app's HTTP status; None when no answer came through
    error: str = ""
    server_serial: int | None = None  # the certificate the sidecar presented

    @property
    def through(self) -> bool:
        return self.status == 200


REQUEST = b"GET / HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n"


def _status(response: bytes) -> int | None:
    line = response.split(b"\r\n", 1)[0].split()
    return int(line[1]) if len(line) >= 2 and line[0].startswith(b"HTTP/") and line[1].isdigit() else None


def _read_all(sock: socket.socket | ssl.SSLSocket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def call(port: int, *, trust: Path, cert: Path | None = None, key: Path | None = None, server_name: str) -> Outcome:
    """GET / through the sidecar at 127.0.0.1:`port`, presenting `cert` (none when None) and checking the
    server's certificate against `trust` for `server_name`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(trust))
    if cert is not None:
        context.load_cert_chain(str(cert), str(key))
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
            serial = x509.load_der_x509_certificate(der).serial_number if der else None
            tls.sendall(REQUEST)
            response = _read_all(tls)
    except (OSError, ssl.SSLError) as error:  # refused: an alert, a reset, or the connection closed on us
        return Outcome(status=None, error=f"{type(error).__name__}: {error}")
    status = _status(response)
    return Outcome(status=status, server_serial=serial, error="" if status else f"no HTTP answer: {response[:60]!r}")


def plain_call(port: int) -> Outcome:
    """GET / in plain text, as a client that skips TLS would."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            raw.sendall(REQUEST)
            response = _read_all(raw)
    except OSError as error:
        return Outcome(status=None, error=f"{type(error).__name__}: {error}")
    status = _status(response)
    return Outcome(status=status, error="" if status else f"no HTTP answer: {response[:60]!r}")


def project(directory: Path, secret: dict[str, Any]) -> None:
    """Write `secret`'s data into `directory` as kubelet's atomic writer updates a Secret volume."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("..%Y_%m_%d_%H_%M_%S.%f")
    fresh = directory / stamp
    fresh.mkdir()
    for key, value in secret["data"].items():
        (fresh / key).write_bytes(base64.b64decode(value))
        (fresh / key).chmod(0o644)  # a Secret volume's defaultMode
    old = os.readlink(directory / "..data") if (directory / "..data").is_symlink() else None
    os.symlink(stamp, directory / "..data_tmp")
    os.rename(directory / "..data_tmp", directory / "..data")
    for key in secret["data"]:
        if not (directory / key).is_symlink():
            os.symlink(f"..data/{key}", directory / key)
    if old is not None:
        shutil.rmtree(directory / old)


def write_files(directory: Path, secret: dict[str, Any]) -> dict[str, Path]:
    """A client's copy of a Secret's files (plain files); their paths by key."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, value in secret["data"].items():
        paths[key] = directory / key
        paths[key].write_bytes(base64.b64decode(value))
    return paths
