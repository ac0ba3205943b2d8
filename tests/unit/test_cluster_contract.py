"""One contract for every way the engine's ClusterState gets filled.

The same world — Tenants, Namespaces and Pods as files — goes through each adapter: the webhook's watch cache
(its list and watch handlers), the audit's scan (a snapshot of the files), lint (`--tenants`) and the webhook's
static mode. Every adapter must give the same answers to the questions rules ask; the two that know no
running pods (lint, static) say so and count none. The same object must then get the same verdict from each.
The end-to-end twin of this suite (tests/e2e/test_cluster_contract.py) holds the cache and the live audit to
the same answers from a real API server.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient, Configuration

from tenantguard import manifests
from tenantguard.audit.lint import lint_cluster
from tenantguard.audit.scan import scan
from tenantguard.audit.snapshot import SnapshotReader
from tenantguard.manifests import Manifest
from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import evaluate
from tenantguard.policies.request import Operation, Origin, Request
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook.cache import ClusterCache
from tenantguard.webhook.static import ConfigError, StaticSource
from tests.support.fixtures import ACME_SPEC, GLOBEX_SPEC, NOW, deployment, pod, request, tenant_object

Obj = dict[str, Any]


def namespace(name: str, **labels: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **labels}},
    }


def gpu_pod(name: str, ns: str, gpus: int, phase: str = "Running", node: str = "h100-0", **meta: Any) -> Obj:
    p = pod(ns, name)
    p["metadata"].update(uid=f"uid-{ns}-{name}", **meta)
    p["spec"]["containers"][0]["resources"] = {"limits": {"nvidia.com/gpu": gpus}}
    if node:
        p["spec"]["nodeName"] = node
    p["status"] = {"phase": phase}
    return p


def node(name: str, **labels: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": labels}}


TENANTS = [tenant_object("acme", ACME_SPEC), tenant_object("globex", GLOBEX_SPEC)]
NAMESPACES = [
    namespace("acme-prod", **{"tenantguard.io/tenant": "acme"}),
    namespace("acme-dev", **{"tenantguard.io/tenant": "acme", "istio-injection": "enabled"}),
    namespace("globex-prod", **{"tenantguard.io/tenant": "globex"}),
    namespace("platform"),
]
PODS = [
    gpu_pod(
        "vllm-5f4688bbc7-abcde",
        "acme-prod",
        2,
        labels={"tenantguard.io/tenant": "acme", "pod-template-hash": "5f4688bbc7"},
        ownerReferences=[
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "vllm-5f4688bbc7", "controller": True}
        ],
    ),
    gpu_pod("train", "acme-dev", 3, node="a100-0"),
    gpu_pod("done", "acme-dev", 4, phase="Succeeded"),
    gpu_pod("cpu", "acme-dev", 0),
    gpu_pod("globex-gpu", "globex-prod", 1),
    gpu_pod("queued", "globex-prod", 1, phase="Pending", node=""),
]
NODES = [
    node("h100-0", **{"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}),
    node("a100-0", **{"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-80GB"}),
    node("cpu-0"),
]


def world(tmp_path: Path) -> dict[str, Path]:
    files = {
        "tenants": tmp_path / "tenants.yaml",
        "namespaces": tmp_path / "namespaces.yaml",
        "pods": tmp_path / "pods.yaml",
        "nodes": tmp_path / "nodes.yaml",
    }
    for key, objs in (("tenants", TENANTS), ("namespaces", NAMESPACES), ("pods", PODS), ("nodes", NODES)):
        files[key].write_text(yaml.safe_dump_all(objs, sort_keys=False))
    return files


def _read(*paths: Path) -> list[Manifest]:
    return [m for m in manifests.read([str(p) for p in paths]) if isinstance(m, Manifest)]


def _listed(objs: list[Obj]) -> list[Obj]:
    """Items as kube-apiserver lists them: built-in kinds without kind and apiVersion (custom resources and watch
    events keep both)."""
    return [
        {k: v for k, v in o.items() if k not in ("kind", "apiVersion")} if o["apiVersion"] == "v1" else o for o in objs
    ]


def via_cache(files: dict[str, Path]) -> ClusterState:
    """The watch cache, fed through the handlers its reflectors call: a list of each resource, then events."""
    cache = ClusterCache(ApiClient(Configuration(host="http://127.0.0.1:9")), DEFAULT_SETTINGS)
    tenants, namespaces, pods, nodes = cache.reflectors
    tenants.on_replace(_listed([m.obj for m in _read(files["tenants"])]))
    namespaces.on_replace(_listed([m.obj for m in _read(files["namespaces"])][:2]))
    for obj in [m.obj for m in _read(files["namespaces"])][2:]:
        namespaces.on_event("ADDED", obj)
    everything = [m.obj for m in _read(files["pods"])]
    pods.on_replace(_listed(everything[:2]))
    for obj in everything[2:]:
        pods.on_event("ADDED", obj)
    listed = [m.obj for m in _read(files["nodes"])]
    nodes.on_replace(_listed(listed[:1]))
    for obj in [*listed[1:], node("gone-0", **{"nvidia.com/gpu.product": "X"})]:
        nodes.on_event("ADDED", obj)
    nodes.on_event("DELETED", node("gone-0"))
    return cache.cluster()


def via_scan(files: dict[str, Path]) -> ClusterState:
    return scan(SnapshotReader([str(p) for p in files.values()])).cluster


def via_lint(files: dict[str, Path]) -> ClusterState:
    others = [path for key, path in files.items() if key not in ("tenants", "namespaces")]
    cluster, errors = lint_cluster(_read(files["tenants"], files["namespaces"]), _read(*others))
    assert errors == []
    return cluster


def via_static(files: dict[str, Path]) -> ClusterState:
    return StaticSource(DEFAULT_SETTINGS, [str(files["tenants"]), str(files["namespaces"])]).cluster()


ADAPTERS: dict[str, tuple[Callable[[dict[str, Path]], ClusterState], bool]] = {
    "webhook-cache": (via_cache, True),
    "audit-scan": (via_scan, True),
    "lint": (via_lint, False),
    "static": (via_static, False),
}
PARAMS = [pytest.param(build, knows_pods, id=name) for name, (build, knows_pods) in ADAPTERS.items()]


@pytest.mark.parametrize(("build", "knows_pods"), PARAMS)
def test_tenants_and_owners(build: Callable[[dict[str, Path]], ClusterState], knows_pods: bool, tmp_path: Path) -> None:
    cluster = build(world(tmp_path))
    assert sorted(cluster.tenants.by_name) == ["acme", "globex"]
    assert dict(cluster.tenants.owner_of) == {"acme-prod": "acme", "acme-dev": "acme", "globex-prod": "globex"}
    assert cluster.tenant_problems == ()


@pytest.mark.parametrize(("build", "knows_pods"), PARAMS)
def test_namespace_labels(build: Callable[[dict[str, Path]], ClusterState], knows_pods: bool, tmp_path: Path) -> None:
    cluster = build(world(tmp_path))
    for ns in NAMESPACES:
        assert cluster.namespace_labels(ns["metadata"]["name"]) == ns["metadata"]["labels"]
    assert cluster.namespace_labels("nowhere") is None


@pytest.mark.parametrize(("build", "knows_pods"), PARAMS)
def test_gpu_usage_and_the_exclusion_of_an_updated_workloads_own_pods(
    build: Callable[[dict[str, Path]], ClusterState], knows_pods: bool, tmp_path: Path
) -> None:
    cluster = build(world(tmp_path))
    assert cluster.pods_known is knows_pods
    if not knows_pods:
        assert cluster.gpu_usage("acme").equivalents == 0 and len(cluster.gpu) == 0
        return
    assert cluster.gpu_usage("acme").devices == {"nvidia.com/gpu": 5}, "2 + 3 running; the finished pod holds nothing"
    assert cluster.gpu_usage("globex").equivalents == 2, "running and pending: GPU006 counts what will run"
    assert cluster.gpu_usage("acme", exclude=("Deployment", "acme-prod", "vllm")).equivalents == 3
    assert cluster.gpu_usage("acme", exclude=("Pod", "acme-dev", "train")).equivalents == 2, (
        "a pod's update excludes itself"
    )
    assert cluster.gpu_usage("nobody").devices == {}


@pytest.mark.parametrize(("build", "knows_pods"), PARAMS)
def test_gpu_products_and_the_allocation_the_gauges_export(
    build: Callable[[dict[str, Path]], ClusterState], knows_pods: bool, tmp_path: Path
) -> None:
    cluster = build(world(tmp_path))
    if not knows_pods:
        assert cluster.gpu_allocation() == []
        return
    assert dict(cluster.gpu_products) == {"h100-0": "NVIDIA-H100-80GB-HBM3", "a100-0": "NVIDIA-A100-SXM4-80GB"}
    assert [(a.tenant, a.namespace, a.resource, a.product, a.phase, a.devices) for a in cluster.gpu_allocation()] == [
        ("acme", "acme-dev", "nvidia.com/gpu", "NVIDIA-A100-SXM4-80GB", "Running", 3),
        ("acme", "acme-prod", "nvidia.com/gpu", "NVIDIA-H100-80GB-HBM3", "Running", 2),
        ("globex", "globex-prod", "nvidia.com/gpu", "", "Pending", 1),
        ("globex", "globex-prod", "nvidia.com/gpu", "NVIDIA-H100-80GB-HBM3", "Running", 1),
    ]


@pytest.mark.parametrize(("build", "knows_pods"), PARAMS)
def test_same_object_same_verdict(
    build: Callable[[dict[str, Path]], ClusterState], knows_pods: bool, tmp_path: Path
) -> None:
    cluster = build(world(tmp_path))
    # MTLS001 reads namespace labels (istio injection in acme-dev); GPU006 reads GPU usage.
    serving = deployment("acme-dev", "server")
    serving["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 8000}]
    verdict = sorted(v.render() for v in evaluate(serving, cluster, request()).violations)
    reference = sorted(v.render() for v in evaluate(serving, via_static(world(tmp_path)), request()).violations)
    assert verdict == reference
    big = deployment("acme-prod", "big", replicas=2)
    big["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"nvidia.com/gpu": 2}}
    gpu_rules = {v.rule for v in evaluate(big, cluster, request()).violations if v.rule == "GPU006"}
    assert gpu_rules == ({"GPU006"} if knows_pods else set()), "4 fits alone; with the 5 held it does not"


@pytest.mark.parametrize("name", list(ADAPTERS))
def test_an_autoscaler_is_judged_against_its_target_wherever_the_target_can_be_known(name: str, tmp_path: Path) -> None:
    """lint finds the target among its inputs, the audit in its scan, the webhook reads it per request
    (Request.related, what ClusterCache.read_object returns); static mode cannot know it and says so."""
    target = deployment("acme-prod", "vllm")
    target["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": {"nvidia.com/gpu": 2}}
    files = world(tmp_path)
    files["workloads"] = tmp_path / "workloads.yaml"
    files["workloads"].write_text(yaml.safe_dump(target))
    cluster = ADAPTERS[name][0](files)
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "vllm"}, "maxReplicas": 5},
    }
    read = {("Deployment", "acme-prod", "vllm"): target} if name == "webhook-cache" else {}
    req = Request(operation=Operation.CREATE, origin=Origin.ADMISSION, related=read, now=NOW)
    rules = {v.rule for v in evaluate(hpa, cluster, req).violations}
    assert rules == ({"GPU014"} if name == "static" else {"GPU006"}), "5 x 2 GPUs > 8, whatever else runs"


def test_invalid_tenant_is_never_in_the_index_and_is_reported(tmp_path: Path) -> None:
    files = world(tmp_path)
    broken = tenant_object("broken", {"namespaces": ["x"], "podSecurity": "privileged"})
    files["tenants"].write_text(yaml.safe_dump_all([*TENANTS, broken], sort_keys=False))
    for name in ("webhook-cache", "audit-scan"):
        cluster = ADAPTERS[name][0](files)
        assert "broken" not in cluster.tenants.by_name, name
        assert any("broken" in p and "podSecurity" in p for p in cluster.tenant_problems), name
    _, errors = lint_cluster(_read(files["tenants"]), [])
    assert any("broken" in e.message and e.file == str(files["tenants"]) and e.line > 1 for e in errors)
    with pytest.raises(ConfigError, match="broken"):
        via_static(files)
