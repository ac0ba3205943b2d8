"""The cluster cache: list + watch of Tenants, Namespaces, Pods, Nodes, the managed NetworkPolicies and the DRA
objects into the engine's one ClusterState.

Enough to judge any request without calling the API server: the tenant index, namespace labels, the GPU-class
devices held by each tenant's running pods and ResourceClaims (`policies.ledger`) with the DeviceClasses and
ResourceClaimTemplates those are weighed and looked up by, which baseline NetworkPolicies each namespace has
(NET005; only those with the managed label are watched), and, for the allocation gauges (`webhook.allocation`),
the GPU product of each node the pods run on. The DRA resources (`resource.k8s.io/v1`) are optional: on a cluster
that does not serve them they read as empty. What the state keeps and how it answers is decided in
`policies.cluster`; this module only feeds it from the API server. The one read per request, for the rare request
that refers to another object (`webhook.related`), is `read_object`.
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
DRA = "/apis/resource.k8s.io/v1"


# Told after the state took a change: (resource, ADDED|MODIFIED|DELETED, object), or (resource, RELISTED, {}).
Listener = Callable[[str, str, Obj], None]
RELISTED = "RELISTED"


def _resource(path: str) -> str:
    return path.rsplit("/", 1)[-1]


class ClusterCache:
    """The webhook's ClusterSource in cluster mode."""

    def __init__(self, api: ApiClient, settings: Settings) -> None:
        self.api = api
        self.state = ClusterState(settings, pods_known=True, policies_known=True)
        self._reported: tuple[str, ...] = ()
        self._listeners: list[Listener] = []
        state = self.state
        self.reflectors = [
            self._reflector(
                "/apis/tenantguard.io/v1alpha1/tenants",
                state.put_tenant,
                state.drop_tenant,
                state.replace_tenants,
                self._report_tenants,
            ),
            self._reflector("/api/v1/namespaces", state.put_namespace, state.drop_namespace, state.replace_namespaces),
            self._reflector("/api/v1/pods", state.put_pod, state.drop_pod, state.replace_pods),
            self._reflector(
                "/apis/networking.k8s.io/v1/networkpolicies",
                state.put_network_policy,
                state.drop_network_policy,
                state.replace_network_policies,
                label_selector=f"{settings.managed_label}=true",
            ),
            self._reflector(
                f"{DRA}/deviceclasses",
                state.put_device_class,
                state.drop_device_class,
                state.replace_device_classes,
                optional=True,
            ),
            self._reflector(
                f"{DRA}/resourceclaimtemplates",
                state.put_claim_template,
                state.drop_claim_template,
                state.replace_claim_templates,
                optional=True,
            ),
            self._reflector(
                f"{DRA}/resourceclaims",
                state.put_claim,
                state.drop_claim,
                state.replace_claims,
                optional=True,
            ),
            self._reflector(
                "/api/v1/nodes",
                state.put_node,
                state.drop_node,
                state.replace_nodes,
                metadata_only=True,  # labels are all it needs, never a node's status or images
            ),
        ]
        self._stop = threading.Event()

    def _reflector(
        self,
        path: str,
        put: Callable[[Obj], None],
        drop: Callable[[Obj], None],
        replace: Callable[[Iterable[Obj]], None],
        after: Callable[[], None] = lambda: None,
        *,
        label_selector: str = "",
        optional: bool = False,
        metadata_only: bool = False,
    ) -> Reflector:
        resource = _resource(path)

        def on_event(kind: str, obj: Obj) -> None:
            (drop if kind == "DELETED" else put)(obj)
            after()
            for listener in self._listeners:
                listener(resource, kind, obj)

        def on_replace(items: Iterable[Obj]) -> None:
            replace(items)
            after()
            for listener in self._listeners:
                listener(resource, RELISTED, {})

        handler: Handler = on_event
        replacer: Replace = on_replace
        return Reflector(
            self.api,
            path,
            on_event=handler,
            on_replace=replacer,
            label_selector=label_selector,
            optional=optional,
            metadata_only=metadata_only,
        )

    def subscribe(self, listener: Listener) -> None:
        """Tell `listener` of every change after the state took it (the reconciler's watches; before start())."""
        self._listeners.append(listener)

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
