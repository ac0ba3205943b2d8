"""What NVIDIA's DRA driver would publish for the simulated GPU nodes: its DeviceClasses and one ResourceSlice a node.

The driver (`gpu.nvidia.com`, NVIDIA/k8s-dra-driver-gpu) installs two DeviceClasses, `gpu.nvidia.com` (full GPUs)
and `mig.nvidia.com` (MIG devices), and publishes each node's devices with the attributes `type` (`gpu`, `mig`),
`uuid`, `productName` (NVML's name, `NVIDIA H100 80GB HBM3`), a MIG device's `profile` and `parentUUID`, and a
`memory` capacity; a device is named `gpu-<minor>` or `gpu-<minor>-mig-<GI profile id>-<start>-<size>`. The
H100 nodes publish their 8 GPUs, the A100 node the MIG partitions its `nvidia.com/mig-*` capacity describes.

The simulation publishes the same devices both ways — extended resources in the Node's capacity (the device
plugin) and ResourceSlices (DRA) — where a real node runs one or the other, so the two paths never compete
here: the scheduler allocates DRA claims from the slices, and extended resources from the capacity.
No DeviceClass sets `extendedResourceName`, so `nvidia.com/gpu` requests stay with the device plugin.
"""

from __future__ import annotations

from typing import Any

from tenantguard.devcluster.nodes import SimulatedNode

DRIVER = "gpu.nvidia.com"
API_VERSION = "resource.k8s.io/v1"
# NVML's GPU instance profile IDs and placements on an 80 GB A100/H100: (profile id, (start, size) of each slot).
MIG_LAYOUT = {
    "1g.10gb": (19, tuple((start, 1) for start in range(7))),
    "2g.20gb": (14, ((0, 2), (2, 2), (4, 2))),
    "3g.40gb": (9, ((0, 4), (4, 4))),
}
_MIB = {"1g.10gb": 9856, "2g.20gb": 19968, "3g.40gb": 40192}


def device_classes() -> list[dict[str, Any]]:
    def selector(kind: str) -> list[dict[str, Any]]:
        expression = f"device.driver == '{DRIVER}' && device.attributes['{DRIVER}'].type == '{kind}'"
        return [{"cel": {"expression": expression}}]

    classes = (("gpu.nvidia.com", "gpu"), ("mig.nvidia.com", "mig"))
    return [
        {"apiVersion": API_VERSION, "kind": "DeviceClass", "metadata": {"name": n}, "spec": {"selectors": selector(t)}}
        for n, t in classes
    ]


def _string(value: str) -> dict[str, str]:
    return {"string": value}


def _devices(node: SimulatedNode) -> list[dict[str, Any]]:
    product = node.dra_product
    full = int(node.extended.get("nvidia.com/gpu", "0"))
    out = [
        {
            "name": f"gpu-{minor}",
            "attributes": {
                "type": _string("gpu"),
                "uuid": _string(f"GPU-{node.name}-{minor}"),
                "productName": _string(product),
            },
            "capacity": {"memory": {"value": "80Gi"}},
        }
        for minor in range(full)
    ]
    minor = 0
    for profile, (profile_id, slots) in MIG_LAYOUT.items():
        count = int(node.extended.get(f"nvidia.com/mig-{profile}", "0"))
        for _ in range(count // len(slots)):  # whole GPUs partitioned into this profile
            for start, size in slots:
                out.append(
                    {
                        "name": f"gpu-{minor}-mig-{profile_id}-{start}-{size}",
                        "attributes": {
                            "type": _string("mig"),
                            "uuid": _string(f"MIG-{node.name}-{minor}-{start}"),
                            "parentUUID": _string(f"GPU-{node.name}-{minor}"),
                            "profile": _string(profile),
                            "productName": _string(product),
                        },
                        "capacity": {"memory": {"value": f"{_MIB[profile]}Mi"}},
                    }
                )
            minor += 1
    return out


def resource_slices(nodes: tuple[SimulatedNode, ...]) -> list[dict[str, Any]]:
    """One ResourceSlice per GPU node (a pool named after the node, as the driver names it)."""
    out = []
    for node in nodes:
        devices = _devices(node) if node.dra_product else []
        if devices:
            out.append(
                {
                    "apiVersion": API_VERSION,
                    "kind": "ResourceSlice",
                    "metadata": {"name": f"{node.name}-{DRIVER}"},
                    "spec": {
                        "driver": DRIVER,
                        "nodeName": node.name,
                        "pool": {"name": node.name, "generation": 1, "resourceSliceCount": 1},
                        "devices": devices,
                    },
                }
            )
    return out
