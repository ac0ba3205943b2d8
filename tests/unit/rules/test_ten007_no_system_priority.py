"""TEN007 no-system-priority: a tenant pod cannot take Kubernetes' system priority classes (found by the attack
corpus: kube-apiserver admits them in any namespace, and a pod at that priority preempts other tenants')."""

from __future__ import annotations

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.request import Request
from tenantguard.policies.rules.gpu.samples import container, deployment, isvc, pod
from tests.support.fixtures import NOW, cluster_for, request

CPU = container({"cpu": "1"})


def fired(obj: Obj, req: Request | None = None) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(), req or request()).violations if v.rule == "TEN007"]


@pytest.mark.parametrize("name", ["system-node-critical", "system-cluster-critical"])
def test_system_classes_are_refused_in_pods_and_templates(name: str) -> None:
    (v,) = fired(pod(CPU, priorityClassName=name))
    assert v.path == "spec.priorityClassName" and repr(name) in v.message
    (v,) = fired(deployment(1, CPU, priorityClassName=name))
    assert v.path == "spec.template.spec.priorityClassName"


def test_serving_objects_and_the_audit_are_judged_alike() -> None:
    served = isvc(1, CPU) | {"spec": {"predictor": {"priorityClassName": "system-node-critical", "containers": [CPU]}}}
    assert [v.path for v in fired(served)] == ["spec.predictor.priorityClassName"]
    assert [v.path for v in fired(served, Request.existing(NOW))] == ["spec.predictor.priorityClassName"]


def test_other_classes_and_other_namespaces_are_not_judged() -> None:
    assert fired(pod(CPU, priorityClassName="tenant-high")) == []
    outside = pod(CPU, priorityClassName="system-node-critical")
    outside["metadata"]["namespace"] = "monitoring"
    assert fired(outside) == []
