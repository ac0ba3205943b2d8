"""What NetworkPolicy needs to know about a pod: namespace, labels, IP, named container ports, hostNetwork — and,
for the reports, the node it runs on, the workload that owns it and the ports it binds on its node."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.fields import mapping, sequence
from tenantguard.policies.ownership import workload_name

ANY_NODE = "*"  # a pod from a manifest: it may be scheduled on any node


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
    node: str = ""  # spec.nodeName; "" until scheduled; ANY_NODE for a pod built from a manifest
    addresses: tuple[str, ...] = ()  # CIDRs its IP will come from, for a pod without one yet (from a manifest)
    workload: str = ""  # "namespace/name[Kind]" of its outermost owner (policies.ownership)
    host_ports: tuple[ContainerPort, ...] = ()  # containerPorts with a hostPort, numbered by the hostPort

    def __hash__(self) -> int:  # labels is a dict: identify a pod by where it lives
        return hash((self.namespace, self.name))

    @property
    def owner(self) -> str:
        """The workload, or the pod itself when it has none."""
        return self.workload or f"{self.namespace}/{self.name}[Pod]"


def _running_containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Containers that run alongside the pod: regular ones and sidecars (init containers restarting Always)."""
    for container in sequence(spec.get("initContainers")):
        if isinstance(container, dict) and container.get("restartPolicy") == "Always":
            yield container
    for container in sequence(spec.get("containers")):
        if isinstance(container, dict):
            yield container


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def container_ports(spec: Mapping[str, Any]) -> tuple[tuple[ContainerPort, ...], tuple[ContainerPort, ...]]:
    """The declared container ports of a pod spec, and those bound on the node (hostPort), by hostPort."""
    ports: list[ContainerPort] = []
    host: list[ContainerPort] = []
    for container in _running_containers(dict(spec)):
        for item in sequence(container.get("ports")):
            item = mapping(item)
            number = _number(item.get("containerPort"))
            if number is None:
                continue
            name = item.get("name")
            raw = item.get("protocol")
            protocol = raw if isinstance(raw, str) and raw else "TCP"
            ports.append(ContainerPort(port=number, name=name if isinstance(name, str) else "", protocol=protocol))
            bound = _number(item.get("hostPort"))
            if bound:
                host.append(ContainerPort(port=bound, name=name if isinstance(name, str) else "", protocol=protocol))
    return tuple(ports), tuple(host)


def pod_info(pod: dict[str, Any]) -> PodInfo:
    """A Pod object as NetworkPolicy sees it (status.podIP, container ports, spec.hostNetwork, spec.nodeName)."""
    metadata = mapping(pod.get("metadata"))
    spec = mapping(pod.get("spec"))
    labels = {str(k): str(v) for k, v in mapping(metadata.get("labels")).items()}
    ports, host_ports = container_ports(spec)
    ip = mapping(pod.get("status")).get("podIP")
    namespace = metadata.get("namespace")
    namespace = namespace if isinstance(namespace, str) and namespace else "default"
    node = spec.get("nodeName")
    return PodInfo(
        namespace=namespace,
        name=str(metadata.get("name") or ""),
        labels=labels,
        ip=ip if isinstance(ip, str) else "",
        ports=ports,
        host_network=spec.get("hostNetwork") is True,
        node=node if isinstance(node, str) else "",
        workload=workload_name(pod if pod.get("kind") == "Pod" else {**pod, "kind": "Pod"}, namespace),
        host_ports=host_ports,
    )
