"""What NetworkPolicy needs to know about a pod: namespace, labels, IP, named container ports, hostNetwork — and,
for the reports, the node it runs on, the workload that owns it and the ports it binds on its node."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
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


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@lru_cache(maxsize=4096)  # every pod of a workload declares the same ports: build each one once
def _port(port: int, name: str, protocol: str) -> ContainerPort:
    return ContainerPort(port=port, name=name, protocol=protocol)


def container_ports(spec: Mapping[str, Any]) -> tuple[tuple[ContainerPort, ...], tuple[ContainerPort, ...]]:
    """The declared container ports of the containers that run alongside the pod (regular ones and sidecars:
    init containers restarting Always), and those bound on the node (hostPort), numbered by the hostPort."""
    ports: list[ContainerPort] = []
    host: list[ContainerPort] = []
    inits = spec.get("initContainers")
    running = [c for c in inits if isinstance(c, dict) and c.get("restartPolicy") == "Always"] if inits else []
    for container in [*running, *sequence(spec.get("containers"))]:
        declared = container.get("ports") if isinstance(container, dict) else None
        if not declared or not isinstance(declared, list):
            continue
        for item in declared:
            number = _number(item.get("containerPort")) if isinstance(item, dict) else None
            if number is None:
                continue
            name = item.get("name")
            name = name if isinstance(name, str) else ""
            raw = item.get("protocol")
            protocol = raw if isinstance(raw, str) and raw else "TCP"
            ports.append(_port(number, name, protocol))
            bound = _number(item.get("hostPort"))
            if bound:
                host.append(_port(bound, name, protocol))
    return tuple(ports), tuple(host)


def pod_info(pod: dict[str, Any], *, workload: str | None = None) -> PodInfo:
    """A Pod object as NetworkPolicy sees it (status.podIP, container ports, spec.hostNetwork, spec.nodeName);
    `workload`: its workload's name when the caller knows it already (`policies.ownership.workload_name`)."""
    metadata = mapping(pod.get("metadata"))
    spec = mapping(pod.get("spec"))
    labels = {str(k): str(v) for k, v in mapping(metadata.get("labels")).items()}
    ports, host_ports = container_ports(spec)
    ip = mapping(pod.get("status")).get("podIP")
    namespace = metadata.get("namespace")
    namespace = namespace if isinstance(namespace, str) and namespace else "default"
    node = spec.get("nodeName")
    if workload is None:
        workload = workload_name(pod if pod.get("kind") == "Pod" else {**pod, "kind": "Pod"}, namespace)
    return PodInfo(
        namespace=namespace,
        name=str(metadata.get("name") or ""),
        labels=labels,
        ip=ip if isinstance(ip, str) else "",
        ports=ports,
        host_network=spec.get("hostNetwork") is True,
        node=node if isinstance(node, str) else "",
        workload=workload,
        host_ports=host_ports,
    )
