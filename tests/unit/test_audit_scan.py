"""audit.scan: objects judged as they are, with a cluster view filled from the scan itself."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tenantguard.audit.scan import ScanResult, scan
from tests.support.fixtures import ACME_SPEC, GLOBEX_SPEC, deployment, pod, restricted_container, tenant_object

NOW = datetime(2026, 11, 27, 12, 0, 0)
SIDECAR = {"name": "tenantguard-mtls", "image": "ghcr.io/ghostunnel/ghostunnel:v1.8.4", "restartPolicy": "Always"}


class ListSource:
    def __init__(self, objects: list[dict[str, Any]], *, judges_context: bool) -> None:
        self.judges_context = judges_context
        self._objects = objects
        # A live source lists Tenants, Namespaces, Pods in order; a snapshot's files mix them.
        self._context = ("Tenant", "Namespace", "Pod") if judges_context else ("Pod", "Namespace", "Tenant")

    def context(self) -> Iterator[dict[str, Any]]:
        for kind in self._context:
            yield from (o for o in self._objects if o["kind"] == kind)

    def objects(self) -> Iterator[dict[str, Any]]:
        skip = self._context if self.judges_context else ()
        yield from (o for o in self._objects if o["kind"] not in skip)


def namespace(name: str, tenant: str | None, **labels: str) -> dict[str, Any]:
    all_labels = {"tenantguard.io/tenant": tenant, **labels} if tenant else dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": all_labels}}


def gpu_pod(name: str, gpus: int, phase: str = "Running") -> dict[str, Any]:
    limits = {"nvidia.com/gpu": str(gpus)}
    container = restricted_container(resources={"limits": limits, "requests": limits})
    obj = pod("acme-prod", name, containers=[container], tolerations=[{"key": "nvidia.com/gpu", "operator": "Exists"}])
    obj["status"] = {"phase": phase, "startTime": "2026-11-27T10:00:00Z"}
    return obj


def cluster() -> list[dict[str, Any]]:
    gpu_deploy = deployment("acme-prod", "train", replicas=2)
    limits = {"nvidia.com/gpu": "2"}
    gpu_deploy["spec"]["template"]["spec"]["containers"][0]["resources"] = {"limits": limits, "requests": limits}
    gpu_deploy["spec"]["template"]["spec"]["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists"}]
    served = pod("acme-prod", "vllm", containers=[restricted_container(ports=[{"containerPort": 8000}])])
    covered = copy.deepcopy(served)
    covered["metadata"]["name"] = "vllm-mtls"
    covered["spec"]["initContainers"] = [SIDECAR]
    return [
        tenant_object("acme", ACME_SPEC),
        tenant_object("globex", GLOBEX_SPEC),
        namespace("acme-prod", "acme"),
        namespace("globex-prod", "globex", **{"istio-injection": "enabled"}),
        namespace("kube-system", None),
        *(gpu_pod(f"gpu-{i}", 2) for i in range(3)),
        gpu_pod("done", 2, phase="Succeeded"),
        served,
        covered,
        pod(
            "globex-prod",
            "api",
            labels={"tenantguard.io/tenant": "globex"},
            containers=[restricted_container(ports=[{"containerPort": 80}])],
        ),
        gpu_deploy,
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "old", "namespace": "acme-prod"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "sys", "namespace": "kube-system"}},
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "tenantguard-default-deny",
                "namespace": "acme-prod",
                "labels": {"tenantguard.io/tenant": "acme", "tenantguard.io/managed": "true"},
            },
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {
                "name": "tenantguard-fake",
                "namespace": "acme-prod",
                "labels": {"tenantguard.io/tenant": "acme"},
            },
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]},
        },
    ]


def _scan(judges_context: bool) -> ScanResult:
    return scan(ListSource(cluster(), judges_context=judges_context), now=NOW)


def _found(s: ScanResult) -> set[tuple[str, str, str]]:
    return {(r.rule, r.kind, r.name) for r in s.results}


@pytest.mark.parametrize("judges_context", [True, False], ids=["live-order", "snapshot-order"])
def test_every_object_is_judged_once_with_the_full_gpu_view(judges_context: bool) -> None:
    s = _scan(judges_context)
    assert s.objects == len(cluster())
    found = _found(s)
    # 3 running pods hold 6 GPUs; the Deployment adds 2 x 2 = 10 > 8. Each pod alone: 4 elsewhere + 2 = 6.
    assert ("GPU006", "Deployment", "train") in found
    assert not any(rule == "GPU006" and kind == "Pod" for rule, kind, _ in found)


def test_objects_are_judged_as_they_are_not_mutated() -> None:
    found = _found(_scan(True))
    assert ("TEN004", "ConfigMap", "old") in found  # admission would have added the label
    assert ("MTLS001", "Pod", "vllm") in found  # admission would have injected the sidecar
    assert ("MTLS001", "Pod", "vllm-mtls") not in found


def test_managed_policies_skip_net001_but_look_alikes_do_not() -> None:
    found = _found(_scan(True))
    assert ("NET001", "NetworkPolicy", "tenantguard-default-deny") not in found
    assert ("NET001", "NetworkPolicy", "tenantguard-fake") in found


def test_exempt_namespaces_are_not_judged() -> None:
    s = _scan(True)
    assert not [r for r in s.results if r.namespace == "kube-system"]
    assert all(o["namespace"] != "kube-system" for o in s.unlabelled)


def test_unlabelled_objects_and_mtls_coverage() -> None:
    s = _scan(True)
    assert {"kind": "ConfigMap", "namespace": "acme-prod", "name": "old", "tenant": "acme"} in s.unlabelled
    # vllm (no sidecar), vllm-mtls (sidecar), globex api (namespace injection enabled)
    assert (s.mtls.serving_pods, s.mtls.covered) == (3, 2)
    assert s.mtls.uncovered == ({"tenant": "acme", "namespace": "acme-prod", "name": "vllm", "reason": "no sidecar"},)


def test_compact_collections() -> None:
    s = _scan(False)
    assert sorted(p.name for p in s.pods) == ["api", "gpu-0", "gpu-1", "gpu-2", "vllm", "vllm-mtls"]
    assert sorted(u.name for u in s.usage) == ["done", "gpu-0", "gpu-1", "gpu-2"]
    assert [n["metadata"]["name"] for n in s.netpols] == ["tenantguard-default-deny", "tenantguard-fake"]
    assert all(set(n["metadata"]) <= {"name", "namespace", "labels"} for n in s.netpols)
    assert s.cluster.gpu_usage("acme").devices == {"nvidia.com/gpu": 6}
    assert s.cluster.gpu_usage("acme", exclude=("Pod", "acme-prod", "gpu-0")).equivalents == 4
    assert s.kinds["acme-prod"]["Pod"] == 6


def test_invalid_tenants_are_problems_not_crashes() -> None:
    s = scan(ListSource([tenant_object("bad", {"namespaces": "nope"})], judges_context=True), now=NOW)
    assert s.problems and "Tenant 'bad'" in s.problems[0]


def test_what_kubernetes_makes_in_every_namespace_is_kept_apart_from_violations() -> None:
    made_by_kubernetes = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "kube-root-ca.crt",
                "namespace": "acme-prod",
                "managedFields": [{"manager": "kube-controller-manager", "operation": "Update"}],
            },
        },
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "acme-prod"}},
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": "globex-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        },
    ]
    s = scan(ListSource([*cluster(), *made_by_kubernetes], judges_context=True), now=NOW)
    assert [(o["kind"], o["namespace"], o["name"], o["rule"], o["tenant"]) for o in s.platform] == [
        ("ConfigMap", "acme-prod", "kube-root-ca.crt", "TEN004", "acme"),
        ("ServiceAccount", "acme-prod", "default", "TEN004", "acme"),
    ]
    assert "root CA" in s.platform[0]["reason"]
    found = {(r.rule, r.kind, r.namespace, r.name) for r in s.results}
    assert ("TEN004", "ConfigMap", "acme-prod", "old") in found  # a tenant's own unlabelled object still counts
    assert ("TEN004", "ServiceAccount", "globex-prod", "default") in found  # another tenant's label: a real error
    assert not {("ConfigMap", "kube-root-ca.crt"), ("ServiceAccount", "default")} & {
        (kind, name) for _, kind, ns, name in found if ns == "acme-prod"
    }
    assert s.namespace_objects == {"acme-prod", "globex-prod", "kube-system"}


def hpa(name: str, target: str, max_replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "maxReplicas": max_replicas,
        },
    }


@pytest.mark.parametrize("first", [True, False], ids=["hpa-before-target", "hpa-after-target"])
def test_autoscalers_are_judged_against_targets_read_later_or_earlier(first: bool) -> None:
    """An HPA listed before its Deployment is held back until every object is read."""
    objects = cluster()
    autoscalers = [hpa("train", "train", 3), hpa("gone", "missing", 50)]
    objects = [*autoscalers, *objects] if first else [*objects, *autoscalers]
    s = scan(ListSource(objects, judges_context=True), now=NOW)
    found = _found(s)
    assert ("GPU006", "HorizontalPodAutoscaler", "train") in found, "3 x 2 GPUs + the 6 held beside it > 8"
    assert not any(kind == "HorizontalPodAutoscaler" and name != "train" for _, kind, name in found), (
        "a target the audit did not find holds no GPUs: it read every workload (no GPU014)"
    )
    assert s.objects == len(objects)
