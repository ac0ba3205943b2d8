"""Containers, init containers and ephemeral containers of a pod spec, each with its path."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tenantguard.policies.model import Obj
from tenantguard.policies.paths import Path
from tenantguard.policies.subjects import PodTemplate

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
        refs = pod.memo[fields] = _containers(pod, fields)
    return iter(refs)


def _containers(pod: PodTemplate, fields: tuple[str, ...]) -> tuple[ContainerRef, ...]:
    # Rules ask for several field sets of one pod; each field's refs are built once and shared by all.
    refs: list[ContainerRef] = []
    for f in fields:
        refs.extend(_field_refs(pod, f))
    if "containers" in fields and pod.extra_containers:
        refs.extend(ContainerRef(path=path, container=c, field=str(path[-1])) for path, c in pod.extra_containers)
    return tuple(refs)


def _field_refs(pod: PodTemplate, f: str) -> tuple[ContainerRef, ...]:
    key = ("visit:field", f)  # no field set a rule asks for looks like this
    refs = pod.memo.get(key)
    if refs is None:
        items = pod.spec.get(f)
        listed = items if isinstance(items, list) else ()
        refs = pod.memo[key] = tuple(
            [
                ContainerRef(path=(*pod.path, f, i), container=c, field=f)
                for i, c in enumerate(listed)
                if isinstance(c, dict)
            ]
        )
    return refs


def security_context(c: ContainerRef) -> Obj:
    sc = c.container.get("securityContext")
    return sc if isinstance(sc, dict) else {}
