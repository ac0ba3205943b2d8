"""The cluster cache: list + watch of Tenants, Namespaces, Pods and Nodes into the engine's one ClusterState.

Enough to judge any request without calling the API server: the tenant index, namespace labels, and the
GPU-class devices held by each tenant's running pods (`policies.ledger`); and, for the allocation gauges
(`webhook.allocation`), the GPU product of each node the pods run on. What the state keeps and how it
answers is decided in `policies.cluster`; this module only feeds it from the API server. The one read per
request, for the rare request that refers to another object (`webhook.related`), is `read_object`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from kubernetes.client import ApiClient
from urllib3.exceptions import HTTPError

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.settings import Settings
from tenantguard.webhook.reflector import Handler, Reflector, Replace
from tenantguard.webhook.related import ReadError

log = logging.getLogger("tenantguard.cache")

Obj = dict[str, Any]
READ_TIMEOUT = 3.0  # seconds; the webhook's own timeout (configuration.py) is 5


def _handler(put: Callable[[Obj], None], drop: Callable[[Obj], None], after: Callable[[], None]) -> Handler:
    def on_event(kind: str, obj: Obj) -> None:
        (drop if kind == "DELETED" else put)(obj)
        after()

    return on_event


def _replace(replace: Callable[[Iterable[Obj]], None], after: Callable[[], None]) -> Replace:
    def on_replace(items: Iterable[Obj]) -> None:
        replace(items)
        after()

    return on_replace


class ClusterCache:
    """The webhook's ClusterSource in cluster mode."""

    def __init__(self, api: ApiClient, settings: Settings) -> None:
        self.api = api
        self.state = ClusterState(settings, pods_known=True)
        self._reported: tuple[str, ...] = ()
        state, nothing = self.state, lambda: None
        self.reflectors = [
            Reflector(
                api,
                "/apis/tenantguard.io/v1alpha1/tenants",
                on_event=_handler(state.put_tenant, state.drop_tenant, self._report_tenants),
                on_replace=_replace(state.replace_tenants, self._report_tenants),
            ),
            Reflector(
                api,
                "/api/v1/namespaces",
                on_event=_handler(state.put_namespace, state.drop_namespace, nothing),
                on_replace=_replace(state.replace_namespaces, nothing),
            ),
            Reflector(
                api,
                "/api/v1/pods",
                on_event=_handler(state.put_pod, state.drop_pod, nothing),
                on_replace=_replace(state.replace_pods, nothing),
            ),
            Reflector(
                api,
                "/api/v1/nodes",
                on_event=_handler(state.put_node, state.drop_node, nothing),
                on_replace=_replace(state.replace_nodes, nothing),
                metadata_only=True,  # labels are all it needs, never a node's status or images
            ),
        ]
        self._stop = threading.Event()

    def _report_tenants(self) -> None:
        problems = self.state.tenant_problems
        if problems != self._reported:
            for problem in problems:
                log.warning("ignoring invalid Tenant: %s", problem)
            self._reported = problems

    def read_object(self, path: str) -> dict[str, Any] | None:
        """One GET (webhook.related.ObjectReader): the object, None on 404, ReadError otherwise."""
        try:
            method, url, headers, _, _ = self.api.param_serialize(
                "GET", path, header_params={"Accept": "application/json"}, auth_settings=["BearerToken"]
            )
            resp = self.api.call_api(method, url, header_params=headers, _request_timeout=READ_TIMEOUT).response
        except (HTTPError, OSError) as err:
            raise ReadError(f"{type(err).__name__}: {err}") from err
        if resp.status == 404:
            return None
        if resp.status >= 400:
            raise ReadError(f"GET {path}: HTTP {resp.status}: {resp.data[:200].decode(errors='replace')}")
        found = orjson.loads(resp.data)
        return found if isinstance(found, dict) else None

    # ClusterSource
    def cluster(self) -> ClusterState:
        return self.state

    def ready(self) -> tuple[bool, str]:
        waiting = [r.path for r in self.reflectors if not r.synced.is_set()]
        return (not waiting, "cache synced" if not waiting else "cache syncing: " + ", ".join(waiting))

    def counts(self) -> Mapping[str, int]:
        return self.state.counts()

    def start(self) -> None:
        for r in self.reflectors:
            r.start(self._stop)

    def stop(self) -> None:
        self._stop.set()

    def wait_synced(self, timeout: float) -> bool:
        return all(r.synced.wait(timeout) for r in self.reflectors)
