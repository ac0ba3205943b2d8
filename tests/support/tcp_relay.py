"""A loopback TCP relay whose connections a test can drop, to make a client dial (and handshake) again.

kube-apiserver keeps its connections to a webhook alive, so a test that needs new TLS handshakes at a given
moment registers the webhook behind this relay and calls ``close_all()`` while no request is in flight: the
next call arrives on a new connection. Bytes pass through untouched (TLS stays end to end).
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpRelay:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept, name="tcp-relay", daemon=True)

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def open_connections(self) -> int:
        """Relayed connections open now (each is a client socket and an upstream socket)."""
        with self._lock:
            return len(self._open) // 2

    def start(self) -> None:
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            # Registered before the upstream dial, so that close_all() closes every connection accepted before it
            # (a client's late dial would otherwise slip past it and be reused for the next request).
            with self._lock:
                self.accepted += 1
                self._open.add(client)
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                self._drop(client)
                continue
            upstream.settimeout(None)
            with self._lock:
                if client not in self._open:  # closed by close_all() while the upstream was dialled
                    upstream.close()
                    continue
                self._open.add(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(src, dst)

    def _drop(self, *socks: socket.socket) -> None:
        with self._lock:
            for sock in socks:
                if sock in self._open:
                    self._open.discard(sock)
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
                    sock.close()

    def close_all(self) -> None:
        """Close every relayed connection (both ends): clients see the server close an idle connection."""
        with self._lock:
            socks = list(self._open)
        self._drop(*socks)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        self.close_all()
