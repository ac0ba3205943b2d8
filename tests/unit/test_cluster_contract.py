"""One contract for every way the engine's ClusterState gets filled.

The same world — Tenants, Namespaces, DRA DeviceClasses, claim templates, ResourceClaims and Pods as files — goes
through each adapter: the webhook's watch cache (its list and watch handlers), the audit's scan (a snapshot of the
files), lint (`--tenants`) and the webhook's static mode. Every adapter must give the same answers to the questions
rules ask; the two that know no running pods (lint, static) say so and count none. DeviceClasses come with the
Tenants (a platform's files); claims and templates are looked up by name wherever they are known (lint: among its
inputs; static mode knows none). The same object must then get the same verdict from each. The end-to-end twin of
this suite (tests/e2e/test_cluster_contract.py) holds the cache and the live audit to the same answers from a real
API server.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
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
from tenantguard.policies.generated.netpols import DEFAULT_DENY, baseline_names, network_policies
from tenantguard.policies.request import Operation, Origin, Request, Requester
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.policies.tenancy import parse_tenant
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


def device_class(name: str, expression: str) -> Obj:
    return {
        "apiVersion": "resource.k8s.io/v1",
        "kind": "DeviceClass",
        "metadata": {"name": name},
        "spec": {"selectors": [{"cel": {"expression": expression}}]},
    }


def claim_spec(device_class: str, count: int) -> Obj:
    return {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": device_class, "count": count}}]}}


def dra_object(kind: str, name: str, ns: str, spec: Obj, **meta: Any) -> Obj:
    labels = {"tenantguard.io/tenant": "acme"} if ns.startswith("acme") else {}
    body = {"spec": spec} if kind == "ResourceClaimTemplate" else spec
    return {
        "apiVersion": "resource.k8s.io/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": ns, "labels": labels, **meta},
        "spec": body,
    }


def claim_pod(name: str, ns: str, *refs: Obj, **resources: int) -> Obj:
    p = gpu_pod(name, ns, 0)
    p["spec"]["resourceClaims"] = list(refs)
    p["spec"]["containers"][0]["resources"] = {"limits": dict(resources)} if resources else {}
    return p


def owned_by(pod_name: str, **annotations: str) -> dict[str, Any]:
    return {
        "ownerReferences": [{"apiVersion": "v1", "kind": "Pod", "name": pod_name, "uid": "u", "controller": True}],
        "annotations": annotations,
    }


SLICE_CLASS = "mig-1g.10gb.nvidia.com"
CLASSES = [
    device_class(
        "gpu.nvidia.com", "device.driver == 'gpu.nvidia.com' && device.attributes['gpu.nvidia.com'].type == 'gpu'"
    ),
    device_class(SLICE_CLASS, "device.attributes['gpu.nvidia.com'].profile == '1g.10gb'"),
]
CLAIMS = [
    dra_object("ResourceClaimTemplate", "slices", "acme-dev", claim_spec(SLICE_CLASS, 2)),
    dra_object("ResourceClaim", "shared", "acme-prod", claim_spec("gpu.nvidia.com", 1)),
    # made from the template for pod dra-1: counted once, as a claim
    dra_object(
        "ResourceClaim",
        "dra-1-gpu-abcde",
        "acme-dev",
        claim_spec(SLICE_CLASS, 2),
        **owned_by("dra-1", **{"resource.kubernetes.io/pod-claim-name": "gpu"}),
    ),
    # made by the scheduler for pod ext's DeviceClass resource: the pod counts it
    dra_object(
        "ResourceClaim",
        "ext-extended-resources-x",
        "acme-dev",
        claim_spec("gpu.nvidia.com", 1),
        **owned_by("ext", **{"resource.kubernetes.io/extended-resource-claim": "true"}),
    ),
]
DRA_PODS = [
    claim_pod("share-a", "acme-prod", {"name": "gpu", "resourceClaimName": "shared"}),
    claim_pod("share-b", "acme-prod", {"name": "gpu", "resourceClaimName": "shared"}),
    claim_pod("dra-0", "acme-dev", {"name": "gpu", "resourceClaimTemplateName": "slices"}),  # not made yet
    claim_pod("dra-1", "acme-dev", {"name": "gpu", "resourceClaimTemplateName": "slices"}),
    claim_pod("ext", "acme-dev", **{"deviceclass.resource.kubernetes.io/gpu.nvidia.com": 1}),
]


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


CONTEXT_FILES = ("tenants", "namespaces", "classes")  # what a platform gives lint and static mode (--tenants)


def _own_policy(ns: str, **labels: str) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "allow-frontend", "namespace": ns, "labels": labels},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
    }


ACME = parse_tenant(TENANTS[0])
# acme's namespaces have their baseline; globex-prod has only policies of its own (one claiming "managed: false").
NETPOLS = [
    *network_policies(ACME, "acme-prod", DEFAULT_SETTINGS),
    *network_policies(ACME, "acme-dev", DEFAULT_SETTINGS),
    _own_policy("globex-prod", **{"tenantguard.io/managed": "false"}),
]


def world(tmp_path: Path) -> dict[str, Path]:
    files = {
        "tenants": tmp_path / "tenants.yaml",
        "namespaces": tmp_path / "namespaces.yaml",
        "classes": tmp_path / "classes.yaml",
        "claims": tmp_path / "claims.yaml",
        "pods": tmp_path / "pods.yaml",
        "netpols": tmp_path / "netpols.yaml",
        "nodes": tmp_path / "nodes.yaml",
    }
    everything = {"tenants": TENANTS, "namespaces": NAMESPACES, "classes": CLASSES, "claims": CLAIMS}
    for key, objs in (*everything.items(), ("pods", [*PODS, *DRA_PODS]), ("netpols", NETPOLS), ("nodes", NODES)):
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
    tenants, namespaces, pods, netpols, classes, templates, claims, nodes = cache.reflectors
    classes.on_replace(_listed([m.obj for m in _read(files["classes"])]))
    dra = [m.obj for m in _read(files["claims"])]
    templates.on_replace(_listed([o for o in dra if o["kind"] == "ResourceClaimTemplate"]))
    claims.on_replace(_listed([o for o in dra if o["kind"] == "ResourceClaim"][:1]))
    for obj in [o for o in dra if o["kind"] == "ResourceClaim"][1:]:
        claims.on_event("ADDED", obj)
    tenants.on_replace(_listed([m.obj for m in _read(files["tenants"])]))
    namespaces.on_replace(_listed([m.obj for m in _read(files["namespaces"])][:2]))
    for obj in [m.obj for m in _read(files["namespaces"])][2:]:
        namespaces.on_event("ADDED", obj)
    everything = [m.obj for m in _read(files["pods"])]
    pods.on_replace(_listed(everything[:2]))
    for obj in everything[2:]:
        pods.on_event("ADDED", obj)
    # The watch selects managed policies only: kube-apiserver never sends globex-prod's own one.
    policies = [m.obj for m in _read(files["netpols"]) if m.obj["metadata"]["labels"].get("tenantguard.io/managed")]
    netpols.on_replace(_listed(policies[:3]))
    for obj in policies[3:]:
        netpols.on_event("ADDED", obj)
    listed = [m.obj for m in _read(files["nodes"])]
    nodes.on_replace(_listed(listed[:1]))
    for obj in [*listed[1:], node("gone-0", **{"nvidia.com/gpu.product": "X"})]:
        nodes.on_event("ADDED", obj)
    nodes.on_event("DELETED", node("gone-0"))
    return cache.cluster()


def via_scan(files: dict[str, Path]) -> ClusterState:
    return scan(SnapshotReader([str(p) for p in files.values()])).cluster


def via_lint(files: dict[str, Path]) -> ClusterState:
    others = [path for key, path in files.items() if key not in CONTEXT_FILES]
    cluster, errors = lint_cluster(_read(*(files[k] for k in CONTEXT_FILES)), _read(*others))
    assert errors == []
    return cluster


def via_static(files: dict[str, Path]) -> ClusterState:
    return StaticSource(DEFAULT_SETTINGS, [str(files[k]) for k in CONTEXT_FILES]).cluster()


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
    dra = Fraction(2) + Fraction(4, 7)  # shared once, ext's class resource; dra-0's template, dra-1's claim (1g: 1/7)
    assert cluster.gpu_usage("acme", exclude=("Deployment", "acme-prod", "vllm")).equivalents == 3 + dra
    assert cluster.gpu_usage("acme", exclude=("Pod", "acme-dev", "train")).equivalents == 2 + dra, (
        "a pod's update excludes itself"
    )
    assert cluster.gpu_usage("nobody").devices == {}


@pytest.mark.parametrize(("build", "knows_pods"), PARAMS)
def test_dra_devices_held_counted_once_each(
    build: Callable[[dict[str, Path]], ClusterState], knows_pods: bool, tmp_path: Path
) -> None:
    """A shared claim once; a pod's template until its claim is made, then the claim; the scheduler's claim for a
    DeviceClass resource through its pod; a DeviceClass that pins a profile weighs that profile."""
    cluster = build(world(tmp_path))
    assert sorted(cluster.device_classes) == ["gpu.nvidia.com", SLICE_CLASS], "from the platform's files everywhere"
    assert cluster.device_classes[SLICE_CLASS].profile == frozenset({"1g.10gb"})
    if not knows_pods:
        assert cluster.gpu_usage("acme").classes == {}
        return
    held = cluster.gpu_usage("acme")
    assert held.classes == {"gpu.nvidia.com": 2, SLICE_CLASS: 4}
    assert held.claim_sevenths == 2 * 7 + 4
    assert cluster.gpu_usage("acme", exclude=("Pod", "acme-dev", "dra-1")).classes[SLICE_CLASS] == 2, (
        "a pod's update leaves out the claim made for it"
    )
    assert cluster.gpu_usage("acme", exclude=("ResourceClaim", "acme-prod", "shared")).classes["gpu.nvidia.com"] == 1


@pytest.mark.parametrize("name", list(ADAPTERS))
def test_claims_and_templates_are_looked_up_wherever_known(name: str, tmp_path: Path) -> None:
    cluster = ADAPTERS[name][0](world(tmp_path))
    knows = name != "static"  # static mode reads only the platform's files
    assert (cluster.claim_template("acme-dev", "slices") is not None) is knows
    found = cluster.claim("acme-dev", "dra-1-gpu-abcde")
    assert (found is not None) is knows
    if found is not None:
        assert (found.pod, found.pod_claim, found.extended) == ("dra-1", "gpu", False)
    big = pod("acme-dev", "big-slices")
    big["spec"]["resourceClaims"] = [{"name": "a", "resourceClaimTemplateName": "slices"}]
    big["spec"]["containers"][0]["resources"] = {"limits": {"nvidia.com/gpu": 2}}
    per_pod = {"GPU005", "GPU021", "GPU022"}  # GPU006 depends on what runs: the test above
    rules = {v.rule for v in evaluate(big, cluster, request()).violations} & per_pod
    assert rules == ({"GPU005"} if knows else {"GPU022"}), "2 GPUs + 2 slices > 2; unknown template: a warning"
    steal = pod("acme-dev", "thief")
    steal["spec"]["resourceClaims"] = [{"name": "a", "resourceClaimName": "dra-1-gpu-abcde"}]
    rules = {v.rule for v in evaluate(steal, cluster, request()).violations} & per_pod
    assert rules == ({"GPU021"} if knows else {"GPU022"})


@pytest.mark.parametrize(("build", "knows_pods"), PARAMS)
def test_managed_network_policies(
    build: Callable[[dict[str, Path]], ClusterState], knows_pods: bool, tmp_path: Path
) -> None:
    """Where running pods are known, so are the cluster's NetworkPolicies; lint and static mode know neither."""
    cluster = build(world(tmp_path))
    if not knows_pods:
        assert cluster.policies_known is False
        assert cluster.managed_policies("acme-prod") is None
        return
    assert cluster.managed_policies("acme-prod") == frozenset(baseline_names(ACME, DEFAULT_SETTINGS))
    assert cluster.managed_policies("acme-dev") == frozenset(baseline_names(ACME, DEFAULT_SETTINGS))
    assert cluster.managed_policies("globex-prod") == frozenset(), 'a label other than "true" is not managed'
    assert cluster.managed_policies("nowhere") == frozenset()


def test_the_cache_follows_managed_policies_that_lose_their_label_or_go(tmp_path: Path) -> None:
    cluster = via_cache(world(tmp_path))
    netpols = ClusterCache(ApiClient(Configuration(host="http://127.0.0.1:9")), DEFAULT_SETTINGS).reflectors[3]
    assert netpols.label_selector == "tenantguard.io/managed=true"
    deny = next(p for p in NETPOLS if p["metadata"]["name"] == DEFAULT_DENY)
    cluster.drop_network_policy(deny)
    assert DEFAULT_DENY not in (cluster.managed_policies("acme-prod") or ())
    cluster.put_network_policy(deny)
    unlabelled = {**deny, "metadata": {**deny["metadata"], "labels": {"tenantguard.io/tenant": "acme"}}}
    cluster.put_network_policy(unlabelled)
    assert DEFAULT_DENY not in (cluster.managed_policies("acme-prod") or ())


@pytest.mark.parametrize("name", list(ADAPTERS))
def test_a_pod_in_a_namespace_without_its_baseline(name: str, tmp_path: Path) -> None:
    """NET005 judges where NetworkPolicies are known and the object is about to be created; the audit reports
    the namespace (ISO007, ISO009) rather than every existing object in it."""
    cluster = ADAPTERS[name][0](world(tmp_path))
    new = pod("globex-prod", "tokenizer", labels={"tenantguard.io/tenant": "globex"})
    admission = Request(origin=Origin.ADMISSION, requester=Requester(username="bob"), now=NOW)
    rules = {v.rule for v in evaluate(new, cluster, admission).violations}
    assert ("NET005" in rules) is ADAPTERS[name][1]
    assert "NET005" not in {v.rule for v in evaluate(new, cluster, Request.existing(NOW)).violations}
    in_acme = {v.rule for v in evaluate(pod("acme-prod", "tokenizer"), cluster, admission).violations}
    assert "NET005" not in in_acme


@pytest.mark.parametrize(("build", "knows_pods"), PARAMS)
def test_gpu_products_and_the_allocation_the_gauges_export(
    build: Callable[[dict[str, Path]], ClusterState], knows_pods: bool, tmp_path: Path
) -> None:
    cluster = build(world(tmp_path))
    if not knows_pods:
        assert cluster.gpu_allocation() == []
        return
    assert dict(cluster.gpu_products) == {"h100-0": "NVIDIA-H100-80GB-HBM3", "a100-0": "NVIDIA-A100-SXM4-80GB"}
    claimed = "Claimed"  # DRA claims, per DeviceClass as ResourceQuota counts them (the shared claim once)
    assert [(a.tenant, a.namespace, a.resource, a.product, a.phase, a.devices) for a in cluster.gpu_allocation()] == [
        ("acme", "acme-dev", f"{SLICE_CLASS}.deviceclass.resource.k8s.io/devices", "", claimed, 2),
        ("acme", "acme-dev", "nvidia.com/gpu", "NVIDIA-A100-SXM4-80GB", "Running", 3),
        ("acme", "acme-prod", "gpu.nvidia.com.deviceclass.resource.k8s.io/devices", "", claimed, 1),
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
