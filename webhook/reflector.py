"""List + watch one resource with resourceVersion, relisting on `410 Gone`, parsed with orjson.

Raw HTTP through the Kubernetes client's ApiClient (`_preload_content=False`): no model classes are built,
and each watch event is handed over as a plain dict. One thread per resource.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
from kubernetes.client import ApiClient

log = logging.getLogger("tenantguard.cache")

Handler = Callable[[str, dict[str, Any]], None]  # (ADDED|MODIFIED|DELETED, object)
Replace = Callable[[Iterable[dict[str, Any]]], None]  # every item of a (re)list, streamed


NOT_SERVED_RETRY = 60.0  # seconds between lists of an optional API the server does not serve


class Gone(Exception):
    pass


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class Reflector:
    def __init__(
        self,
        api: ApiClient,
        path: str,
        *,
        on_event: Handler,
        on_replace: Replace,
        label_selector: str = "",
        field_selector: str = "",
        page_size: int = 500,
        watch_timeout: int = 300,
        optional: bool = False,
        metadata_only: bool = False,
    ) -> None:
        self.api, self.path = api, path
        # optional: the API may not be served (resource.k8s.io/v1 before Kubernetes 1.34): a 404 reads as an empty
        # list, synced, and the list is retried now and then in case the API appears.
        self.optional = optional
        self.metadata_only = metadata_only  # PartialObjectMetadata: only metadata crosses the wire (Nodes)
        self.on_event, self.on_replace = on_event, on_replace
        self.label_selector, self.page_size, self.watch_timeout = label_selector, page_size, watch_timeout
        self.field_selector = field_selector
        self.synced = threading.Event()
        self.resource_version = ""
        self.relists = 0

    def _get(self, query: list[tuple[str, Any]], *, stream: bool = False, timeout: float | None = 30) -> Any:
        """GET the path; the raw urllib3 response, unread. 410 raises Gone, other errors ApiError."""
        if self.label_selector:
            query = [*query, ("labelSelector", self.label_selector)]
        if self.field_selector:
            query = [*query, ("fieldSelector", self.field_selector)]
        accept = "application/json"
        if self.metadata_only:  # a list answers a PartialObjectMetadataList, a watch PartialObjectMetadata events
            kind = "PartialObjectMetadata" if stream else "PartialObjectMetadataList"
            accept = f"application/json;as={kind};g=meta.k8s.io;v=v1, application/json"
        headers = {"Accept": accept}
        request_timeout = None if stream else timeout
        method, url, hdrs, _, _ = self.api.param_serialize(
            "GET", self.path, query_params=query, header_params=headers, auth_settings=["BearerToken"]
        )
        resp = self.api.call_api(method, url, header_params=hdrs, _request_timeout=request_timeout).response
        if resp.status == 410:
            resp.release_conn()
            raise Gone
        if resp.status >= 400:
            body = resp.data[:300]
            raise ApiError(resp.status, body.decode(errors="replace"))
        return resp

    def _pages(self) -> Iterator[dict[str, Any]]:
        """Items page by page (bounded memory); sets resource_version once the last page is read."""
        token = ""
        while True:
            query: list[tuple[str, Any]] = [("limit", self.page_size)]
            if token:
                query.append(("continue", token))
            doc = orjson.loads(self._get(query).data)
            yield from doc.get("items") or ()
            meta = doc.get("metadata") or {}
            token = meta.get("continue") or ""
            if not token:
                self.resource_version = meta.get("resourceVersion") or ""
                return

    def list(self) -> None:
        self.on_replace(self._pages())
        self.relists += 1
        self.synced.set()

    def watch(self, stop: threading.Event) -> None:
        query: list[tuple[str, Any]] = [
            ("watch", "true"),
            ("resourceVersion", self.resource_version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", self.watch_timeout),
        ]
        resp = self._get(query, stream=True)
        try:
            buffer = b""
            for chunk in resp.stream(65536, decode_content=True):
                if stop.is_set():
                    return
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        self._event(orjson.loads(line))
        finally:
            resp.release_conn()

    def _event(self, event: dict[str, Any]) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Gone
            raise RuntimeError(f"watch error: {obj.get('message')}")
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        if rv:
            self.resource_version = rv
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            self.on_event(kind, obj)

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        need_list = True
        while not stop.is_set():
            try:
                if need_list:
                    self.list()
                    need_list = False
                self.watch(stop)
                backoff = 0.5
            except Gone:
                log.info("watch expired (410 Gone), relisting", extra={"fields": {"path": self.path}})
                need_list = True
            except Exception as err:  # API server away, TLS, timeouts: retry with backoff
                status = getattr(err, "status", None)
                if self.optional and status == 404:
                    self._not_served(stop)
                    need_list = True
                    continue
                if status == 410:
                    need_list = True
                log.warning("list/watch %s failed: %s: %s", self.path, type(err).__name__, str(err)[:200])
                stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
                if not self.synced.is_set():
                    need_list = True
            time.sleep(0)

    def _not_served(self, stop: threading.Event) -> None:
        if not self.synced.is_set():
            log.info("%s is not served; reading it as empty", self.path)
            self.on_replace(())
            self.synced.set()
        stop.wait(NOT_SERVED_RETRY)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name=f"reflector{self.path}", daemon=True)
        thread.start()
        return thread
