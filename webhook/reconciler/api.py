"""The reconciler's calls to kube-apiserver: raw HTTP through the Kubernetes client's ApiClient, orjson replies.

No model classes, as in `webhook.reflector` and the audit's reader. Writes are server-side apply
(`PATCH application/apply-patch+yaml`, JSON being YAML) with the field manager `tenantguard-reconciler` and
`force=true`: the reconciler owns every field it generates, so another manager's edit of one of them is taken
back rather than reported as a conflict. Paths come from the object's apiVersion and kind (`path_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from kubernetes.client import ApiClient
from urllib3.exceptions import HTTPError

FIELD_MANAGER = "tenantguard-reconciler"
TIMEOUT = 10.0

# kind -> (plural, namespaced) for every kind the reconciler reads or writes.
RESOURCES: dict[str, tuple[str, bool]] = {
    "Namespace": ("namespaces", False),
    "Tenant": ("tenants", False),
    "NetworkPolicy": ("networkpolicies", True),
    "ResourceQuota": ("resourcequotas", True),
    "Secret": ("secrets", True),
    "PeerAuthentication": ("peerauthentications", True),
    "Event": ("events", True),
    "Lease": ("leases", True),
}


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status
        self.message = message


def collection_path(api_version: str, kind: str, namespace: str = "") -> str:
    plural, namespaced = RESOURCES[kind]
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    return f"{base}/namespaces/{namespace}/{plural}" if namespaced else f"{base}/{plural}"


def path_of(obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    collection = collection_path(str(obj["apiVersion"]), str(obj["kind"]), str(meta.get("namespace") or ""))
    return f"{collection}/{meta['name']}"


class Api:
    def __init__(self, client: ApiClient, *, field_manager: str = FIELD_MANAGER, timeout: float = TIMEOUT) -> None:
        self.client = client
        self.field_manager = field_manager
        self.timeout = timeout

    def call(
        self,
        method: str,
        path: str,
        *,
        query: list[tuple[str, Any]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        """One request; the reply as plain data, None for 404 on GET and DELETE; ApiError for anything else."""
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            method, url, hdrs, _, _ = self.client.param_serialize(
                method, path, query_params=query or [], header_params=headers, auth_settings=["BearerToken"]
            )
            resp = self.client.call_api(method, url, header_params=hdrs, body=body, _request_timeout=self.timeout)
        except (HTTPError, OSError) as err:
            raise ApiError(0, f"{method} {path}: {type(err).__name__}: {err}") from err
        data = resp.response.data
        if resp.response.status == 404 and method in ("GET", "DELETE"):
            return None
        if resp.response.status >= 400:
            raise ApiError(resp.response.status, _message(data))
        return orjson.loads(data) if data else {}

    def get(self, path: str) -> dict[str, Any] | None:
        found = self.call("GET", path)
        return found if isinstance(found, dict) else None

    def apply(self, obj: Mapping[str, Any], *, subresource: str = "") -> dict[str, Any]:
        """Server-side apply of `obj` (its whole desired state), taking over fields others changed."""
        path = path_of(obj) + (f"/{subresource}" if subresource else "")
        query = [("fieldManager", self.field_manager), ("force", "true")]
        body = orjson.dumps(obj)
        found = self.call("PATCH", path, query=query, body=body, content_type="application/apply-patch+yaml")
        return found if isinstance(found, dict) else {}

    def delete(self, obj: Mapping[str, Any]) -> bool:
        """Delete `obj` (only the same UID when it has one); False when it was already gone."""
        uid = (obj.get("metadata") or {}).get("uid")
        body = {"apiVersion": "v1", "kind": "DeleteOptions", **({"preconditions": {"uid": uid}} if uid else {})}
        try:
            return self.call("DELETE", path_of(obj), body=body) is not None
        except ApiError as err:
            if err.status == 409:  # a new object by the same name: not ours to delete
                return False
            raise

    def create(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        meta = obj["metadata"]
        found = self.call("POST", collection_path(obj["apiVersion"], obj["kind"], meta.get("namespace", "")), body=obj)
        return found if isinstance(found, dict) else {}

    def replace(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """PUT: fails with 409 when `metadata.resourceVersion` is not current (the Lease's compare-and-swap)."""
        found = self.call("PUT", path_of(obj), body=obj)
        return found if isinstance(found, dict) else {}

    def served(self, group_version: str, plural: str) -> bool:
        """Whether the API server serves `plural` at `group_version` (a CRD may not be installed)."""
        found = self.get("/api/v1" if group_version == "v1" else f"/apis/{group_version}")
        return any(r.get("name") == plural for r in (found or {}).get("resources") or ())


def _message(data: bytes) -> str:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return data[:300].decode(errors="replace")
    return str(doc.get("message") or doc)[:500] if isinstance(doc, dict) else str(doc)[:500]
