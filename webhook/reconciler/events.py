"""Events on the Tenant: what the reconciler created, repaired, pruned or could not do.

core/v1 Events in the `default` namespace (where client-go records Events of cluster-scoped objects), so
`kubectl describe tenant acme` and `kubectl get events --field-selector involvedObject.kind=Tenant` show them.
The same (tenant, reason, message) is recorded at most once per `quiet` seconds: a warning that holds at
every resync (the mesh API missing) does not flood etcd. A failed Event write is logged, never fatal.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from tenantguard.webhook.reconciler.api import FIELD_MANAGER, ApiError
from tenantguard.webhook.reconciler.view import Writer

log = logging.getLogger("tenantguard.reconciler")
EVENT_NAMESPACE = "default"


def _rfc3339(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Recorder:
    def __init__(
        self,
        writer: Writer,
        *,
        instance: str,
        quiet: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
        may_write: Callable[[], bool] = lambda: True,
    ) -> None:
        self.writer, self.instance, self.quiet, self.clock, self.may_write = writer, instance, quiet, clock, may_write
        self._last: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def event(self, tenant: Mapping[str, Any], kind: str, reason: str, message: str) -> None:
        """Record `reason`/`message` (type `kind`: Normal or Warning) on the Tenant object `tenant`."""
        meta = tenant.get("metadata") or {}
        name = str(meta.get("name") or "")
        key = (name, reason, message)
        now = self.clock()
        with self._lock:
            last = self._last.get(key)
            if last is not None and now - last < self.quiet:
                return
            self._last[key] = now
        if not self.may_write():
            return
        stamp = _rfc3339(datetime.now(UTC))
        event = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{name}.{secrets.token_hex(8)}", "namespace": EVENT_NAMESPACE},
            "involvedObject": {
                "apiVersion": str(tenant.get("apiVersion") or "tenantguard.io/v1alpha1"),
                "kind": "Tenant",
                "name": name,
                **({"uid": meta["uid"]} if meta.get("uid") else {}),
            },
            "reason": reason,
            "message": message[:1024],
            "type": kind,
            "count": 1,
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "source": {"component": FIELD_MANAGER},
            "reportingComponent": FIELD_MANAGER,
            "reportingInstance": self.instance[:128],
        }
        try:
            self.writer.create(event)
        except ApiError as err:
            log.warning("could not record an Event on Tenant %s: %s", name, err)
