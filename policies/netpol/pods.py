"""What NetworkPolicy needs to know about a pod: namespace, labels, IP, named container ports, hostNetwork."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.fields import mapping, sequence


@dataclass(frozen=True, slots=True, kw_only=True)
class ContainerPort:
    port: int
    name: str = ""
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True, kw_only=True)
class PodInfo:
    namespace: str
    name: str
    labels: Mapping[str, str]
    ip: str = ""
    ports: tuple[ContainerPort, ...] = ()
    host_network: bool = False

    def __hash__(self) -> int:  # labels is a dict: identify a pod by where it lives
        return hash((self.namespace, self.name))


def _running_containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Containers that run alongside the pod: regular ones and sidecars (init containers restarting Always)."""
    for container in sequence(spec.get("initContainers")):
        if isinstance(container, dict) and container.get("restartPolicy") == "Always":
            yield container
    for container in sequence(spec.get("containers")):
        if isinstance(container, dict):
            yield container


def pod_info(pod: dict[str, Any]) -> PodInfo:
    """A Pod object as NetworkPolicy sees it (status.podIP, container ports, spec.hostNetwork)."""
    metadata = mapping(pod.get("metadata"))
    spec = mapping(pod.get("spec"))
    labels = {str(k): str(v) for k, v in mapping(metadata.get("labels")).items()}
    ports: list[ContainerPort] = []
    for container in _running_containers(spec):
        for item in sequence(container.get("ports")):
            number = mapping(item).get("containerPort")
            if isinstance(number, int) and not isinstance(number, bool):
                name = item.get("name")
                protocol = item.get("protocol")
                ports.append(
                    ContainerPort(
                        port=number,
                        name=name if isinstance(name, str) else "",
                        protocol=protocol if isinstance(protocol, str) and protocol else "TCP",
                    )
                )
    ip = mapping(pod.get("status")).get("podIP")
    namespace = metadata.get("namespace")
    return PodInfo(
        namespace=namespace if isinstance(namespace, str) and namespace else "default",
        name=str(metadata.get("name") or ""),
        labels=labels,
        ip=ip if isinstance(ip, str) else "",
        ports=tuple(ports),
        host_network=spec.get("hostNetwork") is True,
    )
