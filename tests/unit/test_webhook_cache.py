"""The reflector against a fake API server: paginated lists, watch events, relist on 410 Gone.

What the cache keeps is held to the same contract as every other cluster view (test_cluster_contract.py)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from kubernetes.client import ApiClient, Configuration

from tenantguard.webhook import reflector as module
from tenantguard.webhook.reflector import Reflector


class FakeApi:
    """Serves /api/v1/namespaces: two list pages, then a watch that sends one event and 410 Gone once; 404 for any
    other path (an API the server does not serve)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, list[str]]] = []
        self.accepts: list[str] = []
        self.gone_sent = False

    def handle(self, path: str, query: dict[str, list[str]]) -> tuple[int, list[bytes]]:
        if path != "/api/v1/namespaces":
            return 404, [json.dumps({"kind": "Status", "code": 404, "reason": "NotFound"}).encode()]
        self.requests.append(query)
        if "watch" not in query:
            if "continue" not in query:
                return 200, [json.dumps({"items": [_ns("a")], "metadata": {"continue": "page2"}}).encode()]
            return 200, [json.dumps({"items": [_ns("b")], "metadata": {"resourceVersion": "10"}}).encode()]
        if not self.gone_sent:
            self.gone_sent = True
            added = {"type": "ADDED", "object": _ns("c", rv="11")}
            gone = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old"}}
            return 200, [json.dumps(added).encode() + b"\n", json.dumps(gone).encode() + b"\n"]
        time.sleep(0.2)
        return 200, [json.dumps({"type": "DELETED", "object": _ns("a", rv="12")}).encode() + b"\n"]


def _ns(name: str, rv: str = "1") -> dict[str, Any]:
    return {"metadata": {"name": name, "resourceVersion": rv, "labels": {"n": name}}}


@pytest.fixture
def api() -> Iterator[tuple[FakeApi, ApiClient]]:
    fake = FakeApi()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            url = urlparse(self.path)
            fake.accepts.append(self.headers.get("Accept", ""))
            status, chunks = fake.handle(url.path, parse_qs(url.query))
            body = b"".join(chunks)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    config = Configuration(host=f"http://127.0.0.1:{server.server_address[1]}")
    client = ApiClient(config)
    try:
        yield fake, client
    finally:
        server.shutdown()
        server.server_close()
        client.close()  # type: ignore[no-untyped-call]


def test_lists_page_by_page_then_watches_and_relists_on_410(api: tuple[FakeApi, ApiClient]) -> None:
    fake, client = api
    seen: dict[str, dict[str, Any]] = {}
    lists: list[list[str]] = []

    def replace(items: Any) -> None:
        names = []
        seen.clear()
        for item in items:
            seen[item["metadata"]["name"]] = item
            names.append(item["metadata"]["name"])
        lists.append(names)

    def event(kind: str, obj: dict[str, Any]) -> None:
        if kind == "DELETED":
            seen.pop(obj["metadata"]["name"], None)
        else:
            seen[obj["metadata"]["name"]] = obj

    reflector = Reflector(client, "/api/v1/namespaces", on_event=event, on_replace=replace, watch_timeout=1)
    stop = threading.Event()
    reflector.start(stop)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (len(lists) < 2 or "a" in seen):
        time.sleep(0.05)
    stop.set()
    assert reflector.synced.is_set()
    assert lists[:2] == [["a", "b"], ["a", "b"]], "410 Gone made it list again"
    first_watch = next(q for q in fake.requests if "watch" in q)
    assert first_watch["resourceVersion"] == ["10"], "the watch resumes from the list's resourceVersion"
    assert fake.requests[1]["continue"] == ["page2"] and fake.requests[0]["limit"] == ["500"]
    assert "a" not in seen and "b" in seen, "watch events after the relist are applied"


def test_an_optional_api_the_server_does_not_serve_reads_as_empty_and_synced(
    api: tuple[FakeApi, ApiClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    """resource.k8s.io/v1 on a cluster older than 1.34: the cache must still become ready (and not spin)."""
    monkeypatch.setattr(module, "NOT_SERVED_RETRY", 0.05)
    _, client = api
    replaced: list[list[Any]] = []
    reflector = Reflector(
        client,
        "/apis/resource.k8s.io/v1/resourceclaims",
        on_event=lambda kind, obj: None,
        on_replace=lambda items: replaced.append(list(items)),
        optional=True,
    )
    stop = threading.Event()
    reflector.start(stop)
    assert reflector.synced.wait(5), "an optional API that is not served counts as synced"
    time.sleep(0.3)
    stop.set()
    assert replaced == [[]], "read once as empty; later 404s change nothing"
    required = Reflector(
        client,
        "/apis/resource.k8s.io/v1/resourceclaims",
        on_event=lambda k, o: None,
        on_replace=lambda items: replaced.append(list(items)),
    )
    stop = threading.Event()
    required.start(stop)
    time.sleep(0.3)
    stop.set()
    assert not required.synced.is_set(), "a required one keeps retrying and the cache stays unready"
    assert replaced == [[]], "and never reads as empty"


def test_a_metadata_only_reflector_asks_for_partial_object_metadata(api: tuple[FakeApi, ApiClient]) -> None:
    """Nodes: only their labels are needed, so neither a list nor a watch carries their status."""
    fake, client = api

    def replace(items: Any) -> None:
        list(items)

    reflector = Reflector(
        # The fake serves namespaces: what matters is the Accept header a metadata-only reflector sends.
        client,
        "/api/v1/namespaces",
        on_event=lambda *_: None,
        on_replace=replace,
        watch_timeout=1,
        metadata_only=True,
    )
    stop = threading.Event()
    reflector.start(stop)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("watch" in q for q in fake.requests):
        time.sleep(0.05)
    stop.set()
    kinds = {("watch" in q, a) for q, a in zip(fake.requests, fake.accepts, strict=True)}
    assert (False, "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1, application/json") in kinds
    assert (True, "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json") in kinds
