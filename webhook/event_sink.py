"""Where denial Events are written: kube-apiserver's core/v1 Events, through the Kubernetes client's ApiClient.

Raw calls as in the cache (no model classes); owner reads are delegated to the cache's `read_object`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kubernetes.client import ApiClient
from urllib3.exceptions import HTTPError

from tenantguard.webhook.denial_events import SinkError
from tenantguard.webhook.related import ObjectReader

TIMEOUT = 5.0  # seconds; off the request path, so only the worker waits


class ApiEventSink:
    def __init__(self, api: ApiClient, reader: ObjectReader) -> None:
        self.api, self.reader = api, reader

    def read_object(self, path: str) -> dict[str, Any] | None:
        return self.reader.read_object(path)

    def create_event(self, namespace: str, body: Mapping[str, Any]) -> None:
        status, data = self._call("POST", f"/api/v1/namespaces/{namespace}/events", body, "application/json")
        if status >= 400 and status != 409:  # 409: a retry of a create that went through
            raise SinkError(f"create Event in {namespace}: HTTP {status}: {data}")

    def patch_event(self, namespace: str, name: str, body: Mapping[str, Any]) -> bool:
        path = f"/api/v1/namespaces/{namespace}/events/{name}"
        status, data = self._call("PATCH", path, body, "application/merge-patch+json")
        if status == 404:
            return False
        if status >= 400:
            raise SinkError(f"patch Event {namespace}/{name}: HTTP {status}: {data}")
        return True

    def _call(self, method: str, path: str, body: Mapping[str, Any], content_type: str) -> tuple[int, str]:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        try:
            method, url, hdrs, _, _ = self.api.param_serialize(
                method, path, header_params=headers, auth_settings=["BearerToken"]
            )
            resp = self.api.call_api(method, url, header_params=hdrs, body=dict(body), _request_timeout=TIMEOUT)
            response = resp.response
        except (HTTPError, OSError) as err:
            raise SinkError(f"{type(err).__name__}: {err}") from err
        return response.status, response.data[:200].decode(errors="replace") if response.status >= 400 else ""
