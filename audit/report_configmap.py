"""`--output-configmap NAMESPACE/NAME`: a rendered report kept in a ConfigMap, under `audit.<ext>`.

For the Helm chart's audit CronJob (`audit.reports.persistence: configMap`): no volume to provision, and the
report is read with `kubectl get configmap`. Written with server-side apply, one field manager per key, so the
CronJob's runs for several formats each keep their own key. A ConfigMap holds at most 1 MiB: a larger report is
refused here with what to do, before the API server refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

LIMIT = 1024 * 1024  # bytes: kube-apiserver's cap on a ConfigMap's data
EXTENSIONS = {"json": "json", "markdown": "md", "html": "html", "csv": "csv"}
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@dataclass(frozen=True, slots=True)
class Target:
    namespace: str
    name: str

    @property
    def path(self) -> str:
        return f"/api/v1/namespaces/{self.namespace}/configmaps/{self.name}"


def parse_target(text: str) -> Target:
    namespace, _, name = text.partition("/")
    if not (_NAME.match(namespace) and _NAME.match(name)):
        raise ValueError(f"--output-configmap: expected NAMESPACE/NAME (lower-case DNS names), got {text!r}")
    return Target(namespace, name)


def key_for(fmt: str) -> str:
    return f"audit.{EXTENSIONS[fmt]}"


def write(reader: Any, target: Target, key: str, text: str) -> int:
    """Apply `text` under `key` through an audit.cluster.ClusterReader; its size in bytes. ValueError when too big."""
    size = len(text.encode())
    if size > LIMIT:
        raise ValueError(
            f"the {key} report is {size:,} bytes, more than a ConfigMap holds (1 MiB): write it to a file "
            "(--output; the chart's audit.reports.persistence=pvc) or choose a smaller format"
        )
    doc = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": target.name, "namespace": target.namespace},
        "data": {key: text},
    }
    reader.request(
        "PATCH",
        target.path,
        [("fieldManager", f"tenantguard-audit-{key}"), ("force", "true")],
        body=orjson.dumps(doc),
        content_type="application/apply-patch+yaml",
    )
    return size
