"""Local HTTPS servers on a given SSLContext, for tests that handshake with a real server.

Three kinds, because a server context reaches OpenSSL differently in each: ``socket`` (blocking
``SSLSocket``s, one thread), and uvicorn on ``asyncio`` or ``uvloop`` (``SSLObject``s over memory BIOs),
the way `tenantguard serve` runs. Each answers every request with ``200 ok``.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

KINDS = ("socket", "asyncio", "uvloop")
_RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"


@contextlib.contextmanager
def serving(context: ssl.SSLContext, kind: str) -> Iterator[int]:
    """Serve on 127.0.0.1 with ``context`` while the block runs; yields the port."""
    server = _socket_server if kind == "socket" else _uvicorn_server
    with server(context, kind) as port:
        yield port


@contextlib.contextmanager
def _socket_server(context: ssl.SSLContext, _: str) -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            with contextlib.suppress(ssl.SSLError, OSError), conn, context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(4096)
                tls.sendall(_RESPONSE)

    thread = threading.Thread(target=serve, name="tls-test-server", daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        listener.close()


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


@contextlib.contextmanager
def _uvicorn_server(context: ssl.SSLContext, loop: str) -> Iterator[int]:
    import uvicorn

    config = uvicorn.Config(_app, host="127.0.0.1", port=0, loop=loop, log_config=None, lifespan="off")
    config.load()
    config.ssl = context  # as `tenantguard serve` does
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{loop}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn ({loop}) did not start")
        time.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
