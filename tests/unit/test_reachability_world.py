"""Network worlds from manifests: representative pods of every workload kind, and existing vs applied objects."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.isolation.templates import template_pods
from tenantguard.policies.isolation.world import from_objects
from tenantguard.policies.netpol import ANY_NODE, ContainerPort
from tenantguard.policies.settings import DEFAULT_SETTINGS, NetworkSettings
from tests.support.fixtures import cluster_for

TENANT = {"tenantguard.io/tenant": "acme"}
NETWORK = NetworkSettings(pod_cidrs=("10.244.0.0/16",), node_cidrs=("192.168.0.0/24",))


def _tenants() -> Any:
    return cluster_for().tenants


def _container(port: int = 8000, **extra: Any) -> dict[str, Any]:
    return {"name": "c", "image": "registry.acme.example/x:1", "ports": [{"containerPort": port, "name": "http",
                                                                           **extra}]}  # fmt: skip


def _workload(kind: str, spec: dict[str, Any], name: str = "app", **meta: Any) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "namespace": "acme-prod", **meta}, "spec": spec}


def _template(labels: dict[str, str], **pod: Any) -> dict[str, Any]:
    return {"metadata": {"labels": labels}, "spec": {"containers": [_container()], **pod}}


def _pods(obj: dict[str, Any]) -> list[tuple[str, dict[str, str], bool, tuple[str, ...]]]:
    return [
        (p.name, dict(p.labels), p.host_network, p.addresses)
        for p in template_pods(obj, namespace="acme-prod", network=NETWORK, tenant_labels=TENANT)
    ]


def test_a_deployment_is_represented_by_its_template_twice_when_it_makes_several_pods() -> None:
    deployment = _workload("Deployment", {"replicas": 3, "template": _template({"app": "chat"})})
    (first, second) = template_pods(deployment, namespace="acme-prod", network=NETWORK, tenant_labels=TENANT)
    assert (first.name, second.name) == ("app (template)", "app (template) #2")
    assert first.labels == {"app": "chat", **TENANT}
    assert (first.node, first.addresses, first.workload) == (ANY_NODE, ("10.244.0.0/16",), "acme-prod/app[Deployment]")
    assert first.ports == (ContainerPort(port=8000, name="http"),)
    single = _workload("StatefulSet", {"replicas": 1, "template": _template({"app": "db"})})
    assert [name for name, *_ in _pods(single)] == ["app (template)"]


def test_a_host_network_daemonset_gets_node_addresses_and_host_ports() -> None:
    template = _template({"app": "agent"}, hostNetwork=True)
    template["spec"]["containers"] = [_container(9100, hostPort=9100)]
    (pod, _) = template_pods(_workload("DaemonSet", {"template": template}), namespace="acme-prod",
                             network=NETWORK, tenant_labels=TENANT)  # fmt: skip
    assert (pod.host_network, pod.addresses) == (True, ("192.168.0.0/24",))
    assert pod.host_ports == (ContainerPort(port=9100, name="http"),)


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(
            _workload("Job", {"template": _template({"app": "eval"})}, name="eval"),
            [("eval (template)",
              {"app": "eval", "job-name": "eval", "batch.kubernetes.io/job-name": "eval", **TENANT})],
            id="Job: job-name labels",
        ),
        pytest.param(
            _workload("CronJob", {"jobTemplate": {"spec": {"template": _template({"app": "nightly"})}}}),
            [("app (template)", {"app": "nightly", **TENANT})],
            id="CronJob: its job template",
        ),
        pytest.param(
            _workload("InferenceService", {"predictor": {"containers": [_container()], "labels": {"tier": "gpu"}}},
                      name="llama", labels={"team": "ml"}),
            [("llama (predictor)", {"team": "ml", "tier": "gpu", "serving.kserve.io/inferenceservice": "llama",
                                    "component": "predictor", **TENANT})],
            id="InferenceService: KServe's labels and the object's",
        ),
        pytest.param(
            _workload("LeaderWorkerSet", {"replicas": 1, "leaderWorkerTemplate": {
                "size": 2, "leaderTemplate": _template({"role": "leader"}),
                "workerTemplate": _template({"role": "worker"})}}),
            [("app (leader)", {"leaderworkerset.sigs.k8s.io/name": "app", "role": "leader", **TENANT}),
             ("app (worker)", {"leaderworkerset.sigs.k8s.io/name": "app", "role": "worker", **TENANT})],
            id="LeaderWorkerSet: leader and worker templates",
        ),
        pytest.param(
            _workload("RayCluster", {"headGroupSpec": {"template": _template({"app": "ray"})}}, name="ray"),
            [("ray (head)", {"ray.io/node-type": "head", "ray.io/cluster": "ray", "app": "ray", **TENANT})],
            id="RayCluster: node type and cluster",
        ),
        pytest.param(
            _workload("RayService", {"rayClusterConfig": {"headGroupSpec": {"template": _template({})}}}),
            [("app (head)", {"ray.io/node-type": "head", **TENANT})],
            id="RayService: its cluster's name is generated, the node type is known",
        ),
        pytest.param(
            _workload("LLMInferenceService", {"template": {"containers": [_container()]}}, labels={"app": "llm"}),
            [("app (decode)", {"app": "llm", **TENANT})],
            id="LLMInferenceService: an inline spec carries the object's labels",
        ),
        pytest.param(_workload("ServingRuntime", {"containers": [_container()]}), [], id="ServingRuntime: no pods"),
        pytest.param(
            _workload("ReplicaSet", {"template": _template({})},
                      ownerReferences=[{"kind": "Deployment", "name": "app", "controller": True}]),
            [], id="owned ReplicaSet: its Deployment stands for it",
        ),
        pytest.param(
            {**_workload("Job", {"template": _template({})}), "status": {"completionTime": "2026-01-01T00:00:00Z"}},
            [], id="finished Job: no pods to come",
        ),
    ],
)  # fmt: skip
def test_representative_pods_of_each_kind(obj: dict[str, Any], expected: list[tuple[str, dict[str, str]]]) -> None:
    assert [(name, labels) for name, labels, *_ in _pods(obj)] == expected


def test_kserve_framework_containers_declare_ports() -> None:
    model = {"modelFormat": {"name": "hf"}, "ports": [{"containerPort": 8080, "name": "h2c"}]}
    isvc = _workload("InferenceService", {"predictor": {"model": model}})
    (pod,) = template_pods(isvc, namespace="acme-prod", network=NETWORK, tenant_labels=TENANT)
    assert pod.ports == (ContainerPort(port=8080, name="h2c"),)


def _pod(name: str, owner: str, labels: dict[str, str]) -> dict[str, Any]:
    refs = [{"kind": "ReplicaSet", "name": f"{owner}-5d8f9", "controller": True}]
    return {"kind": "Pod", "metadata": {"name": name, "namespace": "acme-prod", "ownerReferences": refs,
                                        "labels": {**labels, "pod-template-hash": "5d8f9"}},
            "spec": {"nodeName": "n1", "containers": [_container()]}, "status": {"podIP": "10.244.1.5"}}  # fmt: skip


def test_existing_pods_stand_for_their_workload_and_an_applied_one_replaces_them() -> None:
    deployment = _workload("Deployment", {"replicas": 1, "template": _template({"app": "new"})}, name="chat")
    running = _pod("chat-5d8f9-x", "chat", {"app": "old"})
    world = from_objects([deployment, running], [], _tenants())
    assert [(p.name, p.labels["app"], p.node) for p in world.pods] == [("chat-5d8f9-x", "old", "n1")]
    changed = from_objects([deployment, running], [deployment], _tenants())
    assert [(p.name, p.labels["app"], p.node) for p in changed.pods] == [("chat (template)", "new", ANY_NODE)]


def test_tenant_namespaces_get_the_tenant_label_unless_a_live_namespace_says_otherwise() -> None:
    live = {"kind": "Namespace", "metadata": {"name": "acme-prod", "labels": {"team": "x"}}}
    assert "tenantguard.io/tenant" not in from_objects([live], [], _tenants()).namespaces["acme-prod"]
    declared = from_objects([], [], _tenants(), namespaces={"acme-prod": {"team": "x"}})
    assert declared.namespaces["acme-prod"] == {"team": "x", "tenantguard.io/tenant": "acme",
                                                 "kubernetes.io/metadata.name": "acme-prod"}  # fmt: skip
    applied = from_objects([live], [{**live, "metadata": {"name": "acme-prod"}}], _tenants())
    assert applied.namespaces["acme-prod"]["tenantguard.io/tenant"] == "acme"
    assert from_objects([], [], _tenants(), settings=DEFAULT_SETTINGS).tenant_of == {
        "acme-prod": "acme", "acme-dev": "acme", "globex-prod": "globex"}  # fmt: skip
