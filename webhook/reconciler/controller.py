"""The reconciler's process side: watches, the work queue, leader election and the worker.

- Watches: the webhook's cache (Tenants, Namespaces, GPU pods: `webhook.cache.ClusterCache`, shared in
  `serve --reconcile`) and the reconciler's own objects by the managed label (NetworkPolicies, ResourceQuotas,
  Secrets, PeerAuthentications once istio's CRD is there; the CRD itself is watched so installing it is noticed).
  Every change enqueues the tenants it concerns: the owner of its namespace and the tenant its label names.
- A resync enqueues every tenant every `resync` seconds, so a missed event is repaired at the latest then.
- Only the leader works: a standby drains its queue and, on becoming leader, enqueues every tenant.
- Failures retry with exponential backoff (0.5 s doubling to 60 s); a certificate's renewal time requeues its
  tenant then.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from kubernetes.client import ApiClient
from prometheus_client import CollectorRegistry

from tenantguard.policies.generated import labels, mesh
from tenantguard.policies.ledger import holding
from tenantguard.policies.settings import Settings
from tenantguard.policies.tenancy import TenantIndex
from tenantguard.webhook.cache import RELISTED, ClusterCache
from tenantguard.webhook.reconciler.api import Api, collection_path
from tenantguard.webhook.reconciler.events import Recorder
from tenantguard.webhook.reconciler.leader import LeaderElector, LeaseConfig
from tenantguard.webhook.reconciler.metrics import ReconcileMetrics
from tenantguard.webhook.reconciler.queue import WorkQueue
from tenantguard.webhook.reconciler.reconcile import Reconciler
from tenantguard.webhook.reconciler.view import KINDS, Obj, Store
from tenantguard.webhook.reconciler.writes import NotLeader
from tenantguard.webhook.reflector import Reflector

log = logging.getLogger("tenantguard.reconciler")
RESYNC = ""  # the queue key of a full resync (no tenant has an empty name)
MESH = "\x00mesh"  # the queue key of a look at istio's API (its CRD changed)
MESH_CRD = f"{mesh.PLURAL}.{mesh.GROUP}"
_API = {"NetworkPolicy": "networking.k8s.io/v1", "ResourceQuota": "v1", "Secret": "v1",
        "PeerAuthentication": mesh.API_VERSION}  # fmt: skip


class LiveView:
    """`view.View` over the cluster cache and the reconciler's own watches."""

    def __init__(self, cache: ClusterCache, stores: Mapping[str, Store], mesh_ready: threading.Event) -> None:
        self.cache, self.stores, self._mesh_ready = cache, stores, mesh_ready
        self._by_label: dict[str, list[str]] | None = None  # tenant label value -> namespaces; None: to rebuild
        self._lock = threading.Lock()

    def namespaces_changed(self) -> None:
        with self._lock:
            self._by_label = None

    @property
    def settings(self) -> Settings:
        return self.cache.state.settings

    @property
    def tenants(self) -> TenantIndex:
        return self.cache.state.tenants

    def tenant_object(self, name: str) -> Mapping[str, Any] | None:
        return self.cache.state.tenant_object(name)

    def namespaces(self) -> Mapping[str, Mapping[str, str]]:
        return self.cache.state.namespaces

    def labelled_namespaces(self, tenant: str) -> list[str]:
        with self._lock:
            if self._by_label is None:
                label, index = self.settings.tenant_label, dict[str, list[str]]()
                for ns, found in list(self.cache.state.namespaces.items()):
                    value = found.get(label)
                    if value:
                        index.setdefault(value, []).append(ns)
                self._by_label = index
            return list(self._by_label.get(tenant, ()))

    def managed(self, kind: str) -> Store:
        return self.stores[kind]

    def gpu_devices(self, namespace: str) -> Mapping[str, int]:
        return self.cache.state.gpu.usage(frozenset({namespace})).devices

    def mesh_served(self) -> bool:
        return self._mesh_ready.is_set()

    def device_classes(self) -> list[str]:
        return sorted(self.cache.state.device_classes)


def _store_reflector(api: ApiClient, kind: str, store: Store, selector: str, notify: Any) -> Reflector:
    def on_event(event: str, obj: Obj) -> None:
        (store.drop if event == "DELETED" else store.put)({"apiVersion": _API[kind], "kind": kind, **obj})
        notify(obj)

    def on_replace(items: Iterable[Obj]) -> None:
        store.replace({"apiVersion": _API[kind], "kind": kind, **o} for o in items)
        notify(None)

    return Reflector(api, collection_path(_API[kind], kind), on_event=on_event, on_replace=on_replace,
                     label_selector=selector)  # fmt: skip


class Controller:
    def __init__(
        self,
        client: ApiClient,
        cache: ClusterCache,
        *,
        lease: LeaseConfig,
        registry: CollectorRegistry,
        resync: float = 300.0,
    ) -> None:
        self.client, self.cache, self.resync = client, cache, resync
        self.api = Api(client)
        self.queue = WorkQueue()
        self.metrics = ReconcileMetrics(registry)
        self.stores = {kind: Store(cache.state.settings.tenant_label) for kind in KINDS}
        self.elector = LeaderElector(self.api, lease, on_change=self._leadership)
        self.recorder = Recorder(self.api, instance=lease.identity, may_write=self.elector.is_leader)
        self._mesh_ready = threading.Event()
        self.view = LiveView(cache, self.stores, self._mesh_ready)
        self.reconciler = Reconciler(
            self.view, self.api, recorder=self.recorder, metrics=self.metrics, may_write=self.elector.is_leader
        )
        selector = labels.managed_selector(cache.state.settings)
        self.reflectors = [
            _store_reflector(client, kind, self.stores[kind], selector, self._on_object)
            for kind in ("NetworkPolicy", "ResourceQuota", "Secret")
        ]
        self._crd = Reflector(
            client,
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            on_event=lambda event, obj: self.queue.add(MESH),
            on_replace=self._crds_listed,
            field_selector=f"metadata.name={MESH_CRD}",
        )
        self._mesh_reflector: Reflector | None = None
        self._failures: dict[str, int] = {}
        self._elector_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.synced = threading.Event()
        cache.subscribe(self._on_cache)

    def _crds_listed(self, items: Iterable[Obj]) -> None:
        for _ in items:  # the list is streamed: read it to the end
            pass
        self.queue.add(MESH)

    # what to look at again ------------------------------------------------------------------------------------
    def _tenants_of(self, namespace: str, label: str | None) -> Iterable[str]:
        owner = self.cache.state.tenants.owner_of.get(namespace)
        return {t for t in (owner, label) if t}

    def _on_object(self, obj: Obj | None) -> None:
        if obj is None:
            self.queue.add(RESYNC)
            return
        meta = obj.get("metadata") or {}
        for tenant in self._tenants_of(str(meta.get("namespace") or ""), labels.tenant_of(obj, self.view.settings)):
            self.queue.add(tenant)

    def _on_cache(self, resource: str, event: str, obj: Obj) -> None:
        if resource == "namespaces":
            self.view.namespaces_changed()
        if event == RELISTED:
            self.queue.add(RESYNC)
            return
        meta = obj.get("metadata") or {}
        if resource == "deviceclasses":  # every tenant's quota has a line per class of the cluster
            self.queue.add(RESYNC)
            return
        if resource == "tenants":
            self.queue.add(str(meta.get("name") or ""))
        elif resource == "namespaces":
            settings = self.view.settings
            if meta.get("name") in (*settings.gateway_namespaces, settings.webhook_namespace):
                self.queue.add(RESYNC)  # a gateway's identities, or the tenants' CAs, can be written now
                return
            found = (meta.get("labels") or {}).get(self.view.settings.tenant_label)
            for tenant in self._tenants_of(str(meta.get("name") or ""), found if isinstance(found, str) else None):
                self.queue.add(tenant)
        elif resource == "pods" and holding({**obj, "status": {}}) is not None:  # a GPU pod, whatever its phase
            owner = self.cache.state.tenants.owner_of.get(str(meta.get("namespace") or ""))
            if owner:
                self.queue.add(owner)

    def enqueue_all(self) -> None:
        names = set(self.cache.state.tenants.by_name)
        settings = self.view.settings
        for store in self.stores.values():
            names.update(t for o in store.objects() if (t := labels.tenant_of(o, settings)))
        names.update(v for ls in list(self.view.namespaces().values()) if (v := ls.get(settings.tenant_label)))
        for name in sorted(names):
            self.queue.add(name)

    def _leadership(self, leading: bool) -> None:
        self.metrics.leader.set(1 if leading else 0)
        if leading:
            self.enqueue_all()

    # istio ------------------------------------------------------------------------------------------------------
    def _look_at_mesh(self) -> None:
        try:
            served = self.api.served(mesh.API_VERSION, mesh.PLURAL)
        except Exception as err:  # discovery failing must not stop the worker
            log.warning("cannot discover %s: %s", mesh.API_VERSION, err)
            return
        if served and self._mesh_reflector is None:
            store = self.stores["PeerAuthentication"]
            selector = labels.managed_selector(self.view.settings)
            self._mesh_reflector = _store_reflector(self.client, "PeerAuthentication", store, selector, self._on_object)
            self._mesh_reflector.start(self._stop)
            self._mesh_reflector.synced.wait(10)
        if served != self._mesh_ready.is_set():
            (self._mesh_ready.set if served else self._mesh_ready.clear)()
            log.info("istio PeerAuthentication API %s", "served" if served else "not served")
            self.enqueue_all()

    # the worker -------------------------------------------------------------------------------------------------
    def _process(self, key: str) -> None:
        if key == RESYNC:
            self.enqueue_all()
            return
        if key == MESH:
            self._look_at_mesh()
            return
        try:
            run = self.reconciler.reconcile(key)
        except NotLeader:
            return
        except Exception:  # a bug must cost one tenant one retry, never the worker
            log.exception("reconciling tenant %s failed", key)
            self._retry(key)
            return
        if run.failed:
            self._retry(key)
            return
        self._failures.pop(key, None)
        if run.due is not None:
            self.queue.add(key, max(1.0, (run.due - datetime.now(UTC)).total_seconds()))

    def _retry(self, key: str) -> None:
        n = self._failures[key] = self._failures.get(key, 0) + 1
        self.queue.add(key, min(0.5 * 2 ** (n - 1), 60.0))

    def _work(self) -> None:
        while not self._stop.is_set():
            key = self.queue.get(timeout=1.0)
            if key is None:
                continue
            try:
                if self.elector.is_leader() or key == MESH:
                    self._process(key)
            finally:
                self.queue.done(key)

    def _resync_loop(self) -> None:
        while not self._stop.wait(self.resync):
            self.queue.add(RESYNC)
            self.queue.add(MESH)

    def _run(self) -> None:
        for r in (*self.reflectors, self._crd):
            while not r.synced.wait(1.0):
                if self._stop.is_set():
                    return
        self.cache.wait_synced(3600)
        self._look_at_mesh()
        self.synced.set()
        log.info("reconciler synced; competing for the lease")
        self._elector_thread = self.elector.start(self._stop)
        threading.Thread(target=self._resync_loop, name="reconciler-resync", daemon=True).start()
        self._work()

    def start(self) -> None:
        for r in (*self.reflectors, self._crd):
            r.start(self._stop)
        threading.Thread(target=self._run, name="reconciler", daemon=True).start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop working; the leader releases its Lease (in its election thread) so a standby takes over at once."""
        self._stop.set()
        self.queue.close()
        if self._elector_thread is not None:
            self._elector_thread.join(timeout)
        self.metrics.leader.set(0)
