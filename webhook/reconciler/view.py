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
    """Objects of one kind by (namespace, name): filled by a watch, read by the reconcile loop."""

    def __init__(self) -> None:
        self._items: dict[Key, Obj] = {}
        self._lock = threading.Lock()

    def replace(self, items: Iterable[Obj]) -> None:
        fresh = {key_of(o): o for o in items}
        with self._lock:
            self._items = fresh

    def put(self, obj: Obj) -> None:
        with self._lock:
            self._items[key_of(obj)] = obj

    def drop(self, obj: Obj) -> None:
        with self._lock:
            self._items.pop(key_of(obj), None)

    def get(self, namespace: str, name: str) -> Obj | None:
        with self._lock:
            return self._items.get((namespace, name))

    def objects(self, namespace: str | None = None) -> list[Obj]:
        with self._lock:
            return [o for (ns, _), o in self._items.items() if namespace is None or ns == namespace]


class View(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def tenants(self) -> TenantIndex: ...

    def tenant_object(self, name: str) -> Mapping[str, Any] | None: ...

    def namespaces(self) -> Mapping[str, Mapping[str, str]]:
        """Every namespace that exists, with its labels."""
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


class Writer(Protocol):
    def apply(self, obj: Mapping[str, Any], *, subresource: str = "") -> dict[str, Any]: ...

    def delete(self, obj: Mapping[str, Any]) -> bool: ...

    def create(self, obj: Mapping[str, Any]) -> dict[str, Any]: ...
