"""An in-memory cluster for the reconciler's unit tests: its `View` and its `Writer` at once.

Writes land in the same dicts the view reads, so a second pass sees the first one's objects, as it would
through its watches. Server-side apply is modelled where the reconciler relies on it: a Namespace's labels
that the reconciler applied and later leaves out are removed unless someone else set them too (`shared`);
status goes to the Tenant's status. Every write is logged in `writes` as (verb, kind, namespace, name).
End-to-end tests check the real API server's behaviour; this only has to be faithful enough to test the loop.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping
from typing import Any

from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings
from tenantguard.policies.tenancy import TenantError, TenantIndex, parse_tenant
from tenantguard.webhook.reconciler.api import ApiError
from tenantguard.webhook.reconciler.view import KINDS, Obj, Store, key_of


class FakeCluster:
    def __init__(self, settings: Settings = DEFAULT_SETTINGS) -> None:
        self._settings = settings
        self.tenant_objs: dict[str, Obj] = {}
        self.labels: dict[str, dict[str, str]] = {}
        self.ours: dict[str, set[str]] = {}  # namespace -> labels the reconciler applied
        self.shared: dict[str, set[str]] = {}  # namespace -> labels someone else set too
        self.stores = {kind: Store() for kind in KINDS}
        self.gpu: dict[str, dict[str, int]] = {}
        self.mesh = False
        self.classes: set[str] = set()  # the cluster's DRA DeviceClasses
        self.events: list[Obj] = []
        self.writes: list[tuple[str, str, str, str]] = []
        self.fail: set[tuple[str, str]] = set()  # (kind, name) whose writes fail
        self._uids = itertools.count(1)
        self._index = TenantIndex.build([])
        self._index_key: tuple[tuple[str, int], ...] = ()

    # View
    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def tenants(self) -> TenantIndex:
        """Rebuilt when a Tenant is added, replaced or removed (as the watch cache's index is)."""
        key = tuple((name, id(obj)) for name, obj in sorted(self.tenant_objs.items()))
        if key != self._index_key:
            parsed = []
            for obj in self.tenant_objs.values():
                try:
                    parsed.append(parse_tenant(obj))
                except TenantError:
                    continue
            self._index, self._index_key = TenantIndex.build(parsed), key
        return self._index

    def tenant_object(self, name: str) -> Mapping[str, Any] | None:
        return self.tenant_objs.get(name)

    def namespaces(self) -> Mapping[str, Mapping[str, str]]:
        return self.labels

    def labelled_namespaces(self, tenant: str) -> list[str]:
        return [ns for ns, labels in self.labels.items() if labels.get(self._settings.tenant_label) == tenant]

    def managed(self, kind: str) -> Store:
        return self.stores[kind]

    def gpu_devices(self, namespace: str) -> Mapping[str, int]:
        return self.gpu.get(namespace, {})

    def device_classes(self) -> list[str]:
        return sorted(self.classes)

    def mesh_served(self) -> bool:
        return self.mesh

    # set-up
    def add_tenant(self, name: str, spec: Mapping[str, Any]) -> None:
        old = self.tenant_objs.get(name)
        generation = old["metadata"]["generation"] + 1 if old is not None else 1
        obj: Obj = {
            "apiVersion": "tenantguard.io/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": name, "uid": name, "generation": generation},
            "spec": copy.deepcopy(dict(spec)),
        }
        if old is not None and "status" in old:
            obj["status"] = old["status"]
        self.tenant_objs[name] = obj

    def add_namespace(self, name: str, **labels: str) -> None:
        self.labels[name] = dict(labels)
        self.shared[name] = set(labels)

    # Writer
    def apply(self, obj: Mapping[str, Any], *, subresource: str = "") -> dict[str, Any]:
        kind, (ns, name) = str(obj["kind"]), key_of(obj)
        if (kind, name) in self.fail:
            raise ApiError(500, f"{kind} {name}: injected failure")
        self.writes.append(("apply" + (f"/{subresource}" if subresource else ""), kind, ns, name))
        if kind == "Namespace":
            want = dict(obj["metadata"].get("labels") or {})
            current = self.labels[name]
            for key in self.ours.get(name, set()) - set(want):
                if key not in self.shared.get(name, set()):
                    current.pop(key, None)
            current.update(want)
            self.ours[name] = set(want)
            return {}
        if kind == "Tenant":  # the status subresource: the same object, as far as the index is concerned
            self.tenant_objs[name]["status"] = copy.deepcopy(obj["status"])
            return {}
        stored = copy.deepcopy(dict(obj))
        before = self.stores[kind].get(ns, name)
        stored["metadata"]["uid"] = (before or {}).get("metadata", {}).get("uid") or f"uid-{next(self._uids)}"
        if before is not None and "status" in before:
            stored["status"] = before["status"]
        self.stores[kind].put(stored)
        return stored

    def delete(self, obj: Mapping[str, Any]) -> bool:
        kind, (ns, name) = str(obj["kind"]), key_of(obj)
        if (kind, name) in self.fail:
            raise ApiError(500, f"{kind} {name}: injected failure")
        self.writes.append(("delete", kind, ns, name))
        if self.stores[kind].get(ns, name) is None:
            return False
        self.stores[kind].drop(dict(obj))
        return True

    def create(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        self.events.append(dict(obj))
        return dict(obj)

    # reading back
    def get(self, kind: str, namespace: str, name: str) -> Obj | None:
        return self.stores[kind].get(namespace, name)

    def names(self, kind: str, namespace: str) -> set[str]:
        return {key_of(o)[1] for o in self.stores[kind].objects(namespace)}

    def reasons(self) -> list[str]:
        return [str(e["reason"]) for e in self.events]

    def condition(self, tenant: str, kind: str) -> Obj:
        status = self.tenant_objs[tenant].get("status") or {}
        return next(c for c in status.get("conditions", ()) if c["type"] == kind)
