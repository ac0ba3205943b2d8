"""A minimal HTTPS client for bootstrapping: health probes, node registration, readiness reads.

The ``kubernetes`` package takes a second to import and spawning kubectl costs more per call;
``up`` makes a few dozen requests while it waits, so it speaks HTTP itself.
"""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class ApiError(RuntimeError):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:500]}")
        self.status = status


@dataclass(frozen=True, slots=True, kw_only=True)
class Client:
    """Talks to one HTTPS endpoint, verifying it against ``ca_file``, with an optional client cert."""

    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None
    timeout: float = 5.0

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if self.cert_file is not None and self.key_file is not None:
            context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context

    def request(self, method: str, url: str, body: Any = None) -> tuple[int, str]:
        parts = urlsplit(url)
        if parts.scheme == "http":
            conn: http.client.HTTPConnection = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=self.timeout
            )
        else:
            conn = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=self.timeout, context=self._context()
            )
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(method, path or "/", body=payload, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()

    def probe(self, url: str) -> str | None:
        """None when the endpoint answers 200, else a short reason."""
        try:
            status, body = self.request("GET", url)
        except (OSError, http.client.HTTPException) as error:
            return f"{type(error).__name__}: {error}"
        return None if status == 200 else f"HTTP {status}: {body.strip()[-300:]}"

    def get_json(self, url: str) -> dict[str, Any]:
        status, body = self.request("GET", url)
        if status != 200:
            raise ApiError(status, body)
        result: dict[str, Any] = json.loads(body)
        return result

    def create(self, url: str, body: dict[str, Any]) -> None:
        """POST, treating "already exists" as success: registration must be idempotent."""
        status, text = self.request("POST", url, body)
        if status not in (200, 201, 202, 409):
            raise ApiError(status, text)
