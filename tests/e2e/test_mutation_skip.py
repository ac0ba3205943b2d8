"""kube-apiserver skips /mutate for pods no mutator would change, and only for those (policies.mutation_cel).

Through the real API server with the configurations `tenantguard certs webhook-config` registers: the webhook's
own request counter says whether /mutate was called; lint's `review` says whether a call would have patched.
A skipped call must be one lint would not have patched, and the object kube-apiserver keeps is the same either
way; the pods controllers create from templates the webhook mutated are the ones skipped.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import pytest

from tenantguard.policies.engine import review
from tenantguard.policies.mutation_cel import MODE_LABEL
from tenantguard.policies.request import Operation, Request
from tenantguard.policies.subjects import Subject
from tests.corpus import all_objects, cluster
from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

MODES = {"acme-dev": "native", "globex-prod": "istio"}
NAMESPACES = {**MODES, "acme-prod": "native"}
_MUTATE = re.compile(r'^tenantguard_admission_requests_total\{endpoint="mutate",[^}]*\} (\S+)$', re.M)
_SERVER_SET = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields")


def mutate_calls(hook: WebhookProcess) -> float:
    status, text = hook.get("/metrics")
    assert status == 200
    return sum(float(v) for v in _MUTATE.findall(text.decode()))


def serving_pod(namespace: str, name: str) -> dict[str, Any]:
    """A bare pod that serves on a port: it lacks the tenant label and the tenant's mTLS."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "registry.acme.example/app:1",
                    "ports": [{"containerPort": 8080}],
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                }
            ],
            # restricted, so Pod Security Admission admits it whether or not the Tenant asks for defaults
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        },
    }


def admitted(dev: DevCluster, pod: dict[str, Any]) -> dict[str, Any]:
    """The pod as kube-apiserver would store it (dry run, as cluster-admin): mutated by every webhook called."""
    proc = dev.kubectl("create", "--dry-run=server", "-o", "json", "-f", "-", input=json.dumps(pod), check=False)
    assert proc.returncode == 0, proc.stderr
    stored: dict[str, Any] = json.loads(proc.stdout)
    for key in _SERVER_SET:
        stored["metadata"].pop(key, None)
    stored.pop("status", None)
    return stored


def lint_patches(pod: dict[str, Any]) -> tuple[Any, ...]:
    return review(pod, cluster(), Request(operation=Operation.CREATE)).patches


def sent(dev: DevCluster, hook: WebhookProcess, pod: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    before = mutate_calls(hook)
    stored = admitted(dev, pod)
    return mutate_calls(hook) > before, stored


@pytest.fixture(scope="module")
def labelled(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    def has_mode(ns: str, mode: str) -> Callable[[], bool]:
        return lambda: dev_cluster.get("namespace", ns)["metadata"]["labels"].get(MODE_LABEL) == mode

    for ns, mode in NAMESPACES.items():
        wait_for(has_mode(ns, mode), what=f"the reconciler's {MODE_LABEL}={mode} on {ns}")


@pytest.mark.parametrize("namespace", sorted(MODES))
def test_a_pod_as_its_controller_creates_it_skips_mutate_and_is_stored_the_same(
    namespace: str, dev_cluster: DevCluster, webhook: WebhookProcess, labelled: None
) -> None:
    called, first = sent(dev_cluster, webhook, serving_pod(namespace, "skip-1"))
    assert called, "a bare pod needs the tenant label, the Pod Security defaults and mTLS: /mutate is called"
    assert lint_patches(serving_pod(namespace, "skip-1")), "lint patches it too"
    # What a ReplicaSet copies from a template /mutate already saw: the mutated pod, under a new name.
    again = copy.deepcopy(first)
    again["metadata"]["name"] = "skip-2"
    assert lint_patches(again) == (), "mutating the result again changes nothing"
    # The counter is the webhook's: a controller's write elsewhere in the namespace may land in between, so a
    # skip seen once in three tries is a skip (a webhook that is always called never shows one).
    results = [sent(dev_cluster, webhook, again) for _ in range(3)]
    assert any(not called for called, _ in results), "kube-apiserver still sent a pod no mutator would change"
    assert all(stored == again for _, stored in results)


def touched(pod: dict[str, Any]) -> dict[str, Any]:
    """What the Pod mutators write (labels, securityContexts, containers, volumes), without what kube-apiserver
    defaults around it."""
    spec = pod.get("spec") or {}
    fields = ("initContainers", "containers", "ephemeralContainers")
    return {
        "labels": (pod.get("metadata") or {}).get("labels") or {},
        "securityContext": spec.get("securityContext") or {},
        **{f: [(c.get("name"), c.get("securityContext")) for c in spec.get(f) or []] for f in fields},
        # the ServiceAccount admission plugin adds its token volume after the webhooks
        "volumes": [v.get("name") for v in spec.get("volumes") or [] if not v["name"].startswith("kube-api-access-")],
    }


def _broken(pod: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The mutated pod with one thing a mutator adds taken away again."""
    app = ("spec", "containers", 0, "securityContext")
    edits: list[tuple[str, tuple[Any, ...], str]] = [
        ("tenant label", ("metadata", "labels"), "tenantguard.io/tenant"),
        ("pod seccompProfile", ("spec", "securityContext"), "seccompProfile"),
        ("runAsNonRoot", ("spec", "securityContext"), "runAsNonRoot"),
        ("drop ALL", (*app, "capabilities"), "drop"),
        ("allowPrivilegeEscalation", app, "allowPrivilegeEscalation"),
        ("mesh label", ("metadata", "labels"), "sidecar.istio.io/inject"),
        ("sidecar", ("spec",), "initContainers"),
    ]
    cases = []
    for what, path, key in edits:
        broken = copy.deepcopy(pod)
        node: Any = broken
        for step in path:
            node = node[step]
        if key in node:
            del node[key]
            cases.append((what, broken))
    return cases


def stored_as_linted(dev: DevCluster, pod: dict[str, Any]) -> tuple[Any, ...]:
    """kube-apiserver stores the pod as lint mutates it, or both refuse it; lint's patches."""
    linted = review(pod, cluster(), Request(operation=Operation.CREATE))
    proc = dev.kubectl("create", "--dry-run=server", "-o", "json", "-f", "-", input=json.dumps(pod), check=False)
    if linted.evaluation.denials:
        assert proc.returncode != 0, "lint denies what kube-apiserver admits"
        assert "denied the request" in proc.stderr or "violates PodSecurity" in proc.stderr, proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
        assert touched(json.loads(proc.stdout)) == touched(linted.mutated)
    return linted.patches


@pytest.mark.parametrize("namespace", sorted(MODES))
def test_a_pod_missing_anything_a_mutator_adds_is_mutated_as_lint_mutates_it(
    namespace: str, dev_cluster: DevCluster, webhook: WebhookProcess, labelled: None
) -> None:
    base = admitted(dev_cluster, serving_pod(namespace, "skip-3"))
    cases = _broken(base)
    assert len(cases) >= 5, [what for what, _ in cases]
    patched = [what for what, pod in cases if stored_as_linted(dev_cluster, pod)]
    assert "tenant label" in patched and ("sidecar" in patched or "mesh label" in patched), patched


def _controller_pods() -> list[Any]:
    """A Pod from every pod template of the corpus in a tenant namespace, as its controller makes it: the
    template after lint's mutation (what the webhook made of it at the workload's admission)."""
    params = []
    for file, obj in all_objects():
        namespace = obj["metadata"].get("namespace")
        if namespace not in NAMESPACES:
            continue
        mutated = review(obj, cluster(), Request(operation=Operation.CREATE)).mutated
        for i, template in enumerate(Subject.of(mutated, namespace).pods):
            if template.meta_path is None or obj["kind"] == "Pod":
                continue  # inline pod specs (KServe's) reach pods through the serving controller's own template
            name = f"{obj['metadata']['name'][:50]}-{i}"
            meta = {**copy.deepcopy(template.meta or {}), "name": name, "namespace": namespace}
            spec: dict[str, Any] = copy.deepcopy(template.spec)
            pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
            for claim in mutated["spec"].get("volumeClaimTemplates") or []:  # as the StatefulSet controller does
                volume = {"name": claim["metadata"]["name"], "persistentVolumeClaim": {"claimName": f"{name}-c"}}
                spec.setdefault("volumes", []).append(volume)
            params.append(pytest.param(pod, id=f"{file}:{obj['kind']}/{obj['metadata']['name']}/{i}"))
    return params


@pytest.mark.parametrize("pod", _controller_pods())
def test_controller_made_pods_are_stored_as_lint_mutates_them(
    pod: dict[str, Any], dev_cluster: DevCluster, webhook: WebhookProcess, labelled: None
) -> None:
    stored_as_linted(dev_cluster, pod)
