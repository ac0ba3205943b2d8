"""Containers, init containers and ephemeral containers of a pod spec, each with its path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from policies.model import Obj
from policies.paths import Path
from policies.subjects import PodTemplate

CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerRef:
    path: Path
    container: Obj
    field: str  # containers | initContainers | ephemeralContainers | a KServe framework key

    @property
    def name(self) -> str:
        name = self.container.get("name")
        return name if isinstance(name, str) and name else self.field

    @property
    def is_sidecar(self) -> bool:
        return self.field == "initContainers" and self.container.get("restartPolicy") == "Always"


def containers(pod: PodTemplate, fields: tuple[str, ...] = CONTAINER_FIELDS) -> Iterator[ContainerRef]:
    refs = pod.memo.get(fields)
    if refs is None:
        refs = pod.memo[fields] = tuple(_containers(pod, fields))
    return iter(refs)


def _containers(pod: PodTemplate, fields: tuple[str, ...]) -> Iterator[ContainerRef]:
    for f in fields:
        items = pod.spec.get(f)
        if isinstance(items, list):
            for i, c in enumerate(items):
                if isinstance(c, dict):
                    yield ContainerRef(path=(*pod.path, f, i), container=c, field=f)
    if "containers" in fields:
        for path, c in pod.extra_containers:
            yield ContainerRef(path=path, container=c, field=str(path[-1]))


def security_context(c: ContainerRef) -> Obj:
    sc = c.container.get("securityContext")
    return sc if isinstance(sc, dict) else {}
