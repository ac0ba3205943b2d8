from typing import Any

import yaml

from tenantguard.devcluster import dra, kwok
from tenantguard.devcluster.nodes import DEFAULT_NODES


def _by_name() -> dict[str, dict[str, Any]]:
    return {node.name: node.manifest() for node in DEFAULT_NODES}


def test_every_node_is_managed_by_kwok() -> None:
    for manifest in _by_name().values():
        assert manifest["metadata"]["annotations"]["kwok.x-k8s.io/node"] == "fake"


def test_gpu_node_has_eight_h100_and_the_gpu_taint() -> None:
    node = _by_name()["kwok-gpu-h100-0"]
    assert node["status"]["capacity"]["nvidia.com/gpu"] == "8"
    assert node["metadata"]["labels"]["nvidia.com/gpu.product"] == "NVIDIA-H100-80GB-HBM3"
    assert node["spec"]["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]


def test_mig_node_exposes_profiles_in_mixed_strategy() -> None:
    node = _by_name()["kwok-mig-a100-0"]
    labels = node["metadata"]["labels"]
    assert labels["nvidia.com/mig.strategy"] == "mixed"
    assert labels["nvidia.com/gpu.product"] == "NVIDIA-A100-SXM4-80GB"
    capacity = node["status"]["capacity"]
    assert capacity["nvidia.com/mig-1g.10gb"] == "28"
    assert capacity["nvidia.com/mig-3g.40gb"] == "4"
    assert "nvidia.com/gpu" not in capacity


def test_cpu_nodes_are_untainted() -> None:
    assert _by_name()["kwok-cpu-0"]["spec"] == {"taints": []}


def test_kwok_stages_cover_node_and_pod_lifecycle() -> None:
    stages = list(yaml.safe_load_all(kwok.stages_yaml()))
    assert [s["metadata"]["name"] for s in stages] == [
        "node-initialize",
        "node-heartbeat-with-lease",
        "pod-ready",
        "pod-complete",
        "pod-delete",
    ]
    assert {s["kind"] for s in stages} == {"Stage"}


def test_gpu_nodes_are_published_as_nvidias_dra_driver_would() -> None:
    assert [c["metadata"]["name"] for c in dra.device_classes()] == ["gpu.nvidia.com", "mig.nvidia.com"]
    slices = {s["spec"]["nodeName"]: s for s in dra.resource_slices(DEFAULT_NODES)}
    assert set(slices) == {"kwok-gpu-h100-0", "kwok-gpu-h100-1", "kwok-mig-a100-0"}, "CPU nodes publish nothing"
    h100 = slices["kwok-gpu-h100-0"]["spec"]
    assert h100["driver"] == "gpu.nvidia.com" and h100["pool"] == {
        "name": "kwok-gpu-h100-0",
        "generation": 1,
        "resourceSliceCount": 1,
    }
    assert [d["name"] for d in h100["devices"]] == [f"gpu-{i}" for i in range(8)], "the node's 8 extended GPUs"
    assert h100["devices"][0]["attributes"]["productName"] == {"string": "NVIDIA H100 80GB HBM3"}
    mig = slices["kwok-mig-a100-0"]["spec"]["devices"]
    profiles = [d["attributes"]["profile"]["string"] for d in mig]
    capacity = _by_name()["kwok-mig-a100-0"]["status"]["capacity"]
    for profile in ("1g.10gb", "2g.20gb", "3g.40gb"):
        assert profiles.count(profile) == int(capacity[f"nvidia.com/mig-{profile}"]), "the same partitions both ways"
    assert mig[0]["name"] == "gpu-0-mig-19-0-1" and mig[-1]["name"] == "gpu-7-mig-9-4-4"
    assert {d["attributes"]["type"]["string"] for d in mig} == {"mig"}
