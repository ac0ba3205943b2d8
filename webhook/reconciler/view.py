"""What the reconciler observes, and the one interface it writes through.

`View` is the observed state: the settings, the Tenants, namespaces with their labels, the GPU devices each
namespace's running pods hold, and every object the reconciler generated (found by the managed label). The
live one (`LiveView`) reads the watch cache the webhook uses (`webhook.cache.ClusterCache`: Tenants,
Namespaces, Pods) and the reconciler's own watches of its objects (`Store`); the unit tests' fake cluster
implements both `View` and `Writer`, so the reconcile loop runs the same code against either.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from tenantguard.policies.settings import Settings
from tenantguard.policies.tenancy import TenantIndex

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)
KINDS = ("NetworkPolicy", "ResourceQuota", "Secret", "PeerAuthentication")


def key_of(obj: Mapping[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class Store:
    """Objects of one kind by (namespace, name), filled by a watch and read by the reconcile loop; indexed by
    namespace and by the value of one label (the tenant label), so a pass reads only its tenant's objects."""

    def __init__(self, index_label: str = "tenantguard.io/tenant") -> None:
        self.index_label = index_label
        self._items: dict[Key, Obj] = {}
        self._by_namespace: dict[str, dict[Key, Obj]] = {}
        self._by_label: dict[str, dict[Key, Obj]] = {}
        self._lock = threading.Lock()

    def _label(self, obj: Obj) -> str:
        value = ((obj.get("metadata") or {}).get("labels") or {}).get(self.index_label)
        return value if isinstance(value, str) else ""

    def _add(self, key: Key, obj: Obj) -> None:
        self._items[key] = obj
        self._by_namespace.setdefault(key[0], {})[key] = obj
        self._by_label.setdefault(self._label(obj), {})[key] = obj

    def _remove(self, key: Key) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._by_namespace.get(key[0], {}).pop(key, None)
            self._by_label.get(self._label(old), {}).pop(key, None)

    def replace(self, items: Iterable[Obj]) -> None:
        fresh = list(items)
        with self._lock:
            self._items, self._by_namespace, self._by_label = {}, {}, {}
            for obj in fresh:
                self._add(key_of(obj), obj)

    def put(self, obj: Obj) -> None:
        key = key_of(obj)
        with self._lock:
            self._remove(key)
            self._add(key, obj)

    def drop(self, obj: Obj) -> None:
        with self._lock:
            self._remove(key_of(obj))

    def get(self, namespace: str, name: str) -> Obj | None:
        with self._lock:
            return self._items.get((namespace, name))

    def objects(self, namespace: str | None = None) -> list[Obj]:
        with self._lock:
            found = self._items if namespace is None else self._by_namespace.get(namespace, {})
            return list(found.values())

    def labelled(self, value: str) -> list[Obj]:
        """The objects whose index label has `value` (the objects generated for one tenant)."""
        with self._lock:
            return list(self._by_label.get(value, {}).values())


class View(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def tenants(self) -> TenantIndex: ...

    def tenant_object(self, name: str) -> Mapping[str, Any] | None: ...

    def namespaces(self) -> Mapping[str, Mapping[str, str]]:
        """Every namespace that exists, with its labels."""
        ...

    def labelled_namespaces(self, tenant: str) -> list[str]:
        """The namespaces whose tenant label names `tenant`."""
        ...

    def managed(self, kind: str) -> Store:
        """The generated objects of `kind` (one of KINDS) that exist."""
        ...

    def gpu_devices(self, namespace: str) -> Mapping[str, int]:
        """GPU devices per resource that the namespace's running pods hold."""
        ...

    def mesh_served(self) -> bool:
        """Whether istio's PeerAuthentication API is served."""
        ...

    def device_classes(self) -> list[str]:
        """The cluster's DRA DeviceClasses (their quota lines: `0` for those a Tenant is not given)."""
        ...


class Writer(Protocol):
    def apply(self, obj: Mapping[str, Any], *, subresource: str = "") -> dict[str, Any]: ...

    def delete(self, obj: Mapping[str, Any]) -> bool: ...

    def create(self, obj: Mapping[str, Any]) -> dict[str, Any]: ...
