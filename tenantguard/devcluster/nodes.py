"""The simulated nodes: CPU-only, whole-GPU (H100) and MIG (A100, mixed strategy).

Labels and taints are what GPU feature discovery and the NVIDIA device plugin put on real nodes,
so node selectors, tolerations and quota in tests mean what they mean in production. The GPU nodes' devices
are also published for Dynamic Resource Allocation, as NVIDIA's DRA driver would (`devcluster.dra`). Nodes
accept a status on create, so capacity is set here and KWOK keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tenantguard.devcluster.components import KWOK_NODE_ANNOTATION, KWOK_NODE_ANNOTATION_VALUE

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
H100 = "NVIDIA-H100-80GB-HBM3"
A100 = "NVIDIA-A100-SXM4-80GB"

# A100-80GB in mixed strategy, 8 GPUs: four as 7x1g.10gb, two as 3x2g.20gb, two as 2x3g.40gb.
MIG_CAPACITY = {
    "nvidia.com/mig-1g.10gb": "28",
    "nvidia.com/mig-2g.20gb": "6",
    "nvidia.com/mig-3g.40gb": "4",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulatedNode:
    name: str
    cpu: str
    memory: str
    labels: dict[str, str] = field(default_factory=dict)
    extended: dict[str, str] = field(default_factory=dict)
    taints: tuple[dict[str, str], ...] = ()
    dra_product: str = ""  # NVML's product name: the node's GPUs are also published as DRA devices (devcluster.dra)

    def manifest(self) -> dict[str, Any]:
        capacity = {"cpu": self.cpu, "memory": self.memory, "pods": "110", **self.extended}
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name,
                "annotations": {
                    KWOK_NODE_ANNOTATION: KWOK_NODE_ANNOTATION_VALUE,
                    "node.alpha.kubernetes.io/ttl": "0",
                },
                "labels": {
                    "kubernetes.io/arch": "amd64",
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/hostname": self.name,
                    "type": "kwok",
                    **self.labels,
                },
            },
            "spec": {"taints": [dict(t) for t in self.taints]},
            "status": {"capacity": capacity, "allocatable": dict(capacity)},
        }


def _gpu_labels(product: str, memory_mib: int) -> dict[str, str]:
    return {
        "nvidia.com/gpu.present": "true",
        "nvidia.com/gpu.product": product,
        "nvidia.com/gpu.count": "8",
        "nvidia.com/gpu.memory": str(memory_mib),
        "nvidia.com/mig.capable": "true",
    }


DEFAULT_NODES: tuple[SimulatedNode, ...] = (
    SimulatedNode(name="kwok-cpu-0", cpu="32", memory="128Gi", labels={"node.kubernetes.io/instance-type": "cpu-32"}),
    SimulatedNode(name="kwok-cpu-1", cpu="32", memory="128Gi", labels={"node.kubernetes.io/instance-type": "cpu-32"}),
    SimulatedNode(
        name="kwok-gpu-h100-0",
        cpu="192",
        memory="2048Gi",
        labels={
            **_gpu_labels(H100, 81559),
            "nvidia.com/mig.strategy": "none",
            "node.kubernetes.io/instance-type": "gpu-8xh100",
        },
        extended={"nvidia.com/gpu": "8"},
        taints=(GPU_TAINT,),
        dra_product="NVIDIA H100 80GB HBM3",
    ),
    SimulatedNode(
        name="kwok-gpu-h100-1",
        cpu="192",
        memory="2048Gi",
        labels={
            **_gpu_labels(H100, 81559),
            "nvidia.com/mig.strategy": "none",
            "node.kubernetes.io/instance-type": "gpu-8xh100",
        },
        extended={"nvidia.com/gpu": "8"},
        taints=(GPU_TAINT,),
        dra_product="NVIDIA H100 80GB HBM3",
    ),
    SimulatedNode(
        name="kwok-mig-a100-0",
        cpu="128",
        memory="1024Gi",
        labels={
            **_gpu_labels(A100, 81920),
            "nvidia.com/mig.strategy": "mixed",
            "nvidia.com/mig.config": "custom-mixed",
            "nvidia.com/mig.config.state": "success",
            "node.kubernetes.io/instance-type": "gpu-8xa100-mig",
        },
        extended=MIG_CAPACITY,
        taints=(GPU_TAINT,),
        dra_product="NVIDIA A100-SXM4-80GB",
    ),
)
