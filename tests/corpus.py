"""The example corpus of LLM-serving manifests and one-field breakages of it, shared by unit and e2e tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tenantguard.manifests import Manifest, parse
from tenantguard.policies.cluster import ClusterState

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "examples" / "manifests"
TENANTS = ROOT / "examples" / "tenants"


def cluster() -> ClusterState:
    """The example Tenants, as lint reads them (nothing running)."""
    docs = [d for d in yaml.safe_load_all((TENANTS / "tenants.yaml").read_text()) if d["kind"] == "Tenant"]
    state = ClusterState()
    state.replace_tenants(docs)
    return state


def objects(name: str) -> list[dict[str, Any]]:
    return [m.obj for m in parse((CORPUS / name).read_text(), name) if isinstance(m, Manifest)]


def all_objects() -> list[tuple[str, dict[str, Any]]]:
    return [(f.name, o) for f in sorted(CORPUS.glob("*.yaml")) for o in objects(f.name)]


Edit = Callable[[dict[str, Any]], None]


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def _c0(obj: dict[str, Any]) -> dict[str, Any]:
    c: dict[str, Any] = _pod_spec(obj)["containers"][0]
    return c


def _set(path: str, value: Any) -> Edit:
    def edit(obj: dict[str, Any]) -> None:
        node: Any = obj
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        node[keys[-1]] = value

    return edit


BREAKS: list[tuple[str, str, int, Edit, str]] = [
    (
        "privileged vLLM",
        "vllm-gpu.yaml",
        0,
        lambda o: _c0(o).update(securityContext={"privileged": True, "capabilities": {"drop": ["ALL"]}}),
        "pod-security",
    ),
    (
        "hostNetwork redis",
        "redis-cache.yaml",
        0,
        lambda o: _pod_spec(o).update(hostNetwork=True),
        "pod-security",
    ),
    (
        "3 GPUs per pod",
        "vllm-gpu.yaml",
        0,
        lambda o: _c0(o)["resources"].update(requests={"nvidia.com/gpu": 3}, limits={"nvidia.com/gpu": 3}),
        "gpu",
    ),
    (
        "unallowed MIG profile",
        "vllm-mig.yaml",
        0,
        lambda o: _c0(o)["resources"].update(
            requests={"nvidia.com/mig-2g.20gb": 1}, limits={"nvidia.com/mig-2g.20gb": 1}
        ),
        "gpu",
    ),
    ("LWS over the tenant total", "lws-multinode.yaml", 0, _set("spec.leaderWorkerTemplate.size", 5), "gpu"),
    (
        "CPU head tolerates the GPU taint",
        "rayservice.yaml",
        0,
        lambda o: o["spec"]["rayClusterConfig"]["headGroupSpec"]["template"]["spec"].update(
            tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
        ),
        "gpu",
    ),
    (
        "image from an unknown registry",
        "vllm-gpu.yaml",
        0,
        lambda o: _c0(o).update(image="quay.io/x/vllm:1"),
        "serving",
    ),
    (
        "another tenant's model",
        "vllm-gpu.yaml",
        0,
        lambda o: _c0(o).update(args=["--model", "s3://globex-models/llama/"]),
        "serving",
    ),
    (
        "storageUri in another tenant's bucket",
        "kserve-isvc.yaml",
        0,
        _set("spec.predictor.model.storageUri", "s3://globex-models/llama/"),
        "serving",
    ),
    # A headless Service cannot be a NodePort (API validation); the break drops clusterIP: None too.
    (
        "NodePort service",
        "redis-cache.yaml",
        1,
        lambda o: o.update(spec={**o["spec"], "type": "NodePort", "clusterIP": ""}),
        "serving",
    ),
    (
        "sidecar opt-out",
        "redis-cache.yaml",
        0,
        lambda o: o["spec"]["template"]["metadata"]["labels"].update({"sidecar.istio.io/inject": "false"}),
        "mtls",
    ),
    (
        "all-namespaces peer",
        "netpol-gateway.yaml",
        0,
        lambda o: o["spec"]["ingress"][0]["from"].append({"namespaceSelector": {}}),
        "network",
    ),
    (
        "binding another tenant's group",
        "rbac-devs.yaml",
        0,
        lambda o: o["subjects"].append({"kind": "Group", "name": "globex-devs"}),
        "rbac",
    ),
    (
        "wrong tenant label",
        "redis-cache.yaml",
        1,
        lambda o: o["metadata"].setdefault("labels", {}).update({"tenantguard.io/tenant": "globex"}),
        "tenancy",
    ),
]
