"""GPU013 no-node-name: tenant pods are not pinned with spec.nodeName (the runtime bypass of the group 3 issue)."""

from __future__ import annotations

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.request import Operation, Origin, Request, Requester
from tenantguard.policies.rules.gpu.samples import container, deployment, isvc, pod
from tests.support.fixtures import NOW, cluster_for, request

CPU = container({"cpu": "1"})


def fired(obj: Obj, req: Request | None = None) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(), req or request()).violations if v.rule == "GPU013"]


def test_a_pod_created_with_node_name() -> None:
    (v,) = fired(pod(CPU, nodeName="kwok-gpu-h100-0"))
    assert v.path == "spec.nodeName" and "'kwok-gpu-h100-0'" in v.message


def test_templates_are_judged_everywhere_the_audit_included() -> None:
    obj = deployment(1, CPU, nodeName="gpu-0")
    assert [v.path for v in fired(obj)] == ["spec.template.spec.nodeName"]
    assert [v.path for v in fired(obj, Request.existing(NOW))] == ["spec.template.spec.nodeName"]
    assert [
        v.path for v in fired(isvc(1, CPU) | {"spec": {"predictor": {"nodeName": "gpu-0", "containers": [CPU]}}})
    ] == ["spec.predictor.nodeName"]


def test_scheduled_pods_are_not_judged() -> None:
    """The scheduler sets nodeName through the binding: updates and the audit's existing pods carry it."""
    scheduled = pod(CPU, nodeName="gpu-0")
    assert fired(scheduled, request("UPDATE", scheduled)) == []
    assert fired(scheduled, Request.existing(NOW)) == []


def test_platform_identities_may_pin_pods() -> None:
    admin = Request(
        operation=Operation.CREATE,
        origin=Origin.ADMISSION,
        requester=Requester(username="root", groups=("system:masters",)),
    )
    assert fired(pod(CPU, nodeName="gpu-0"), admin) == []
    alice = Request(
        operation=Operation.CREATE,
        origin=Origin.ADMISSION,
        requester=Requester(username="alice", groups=("acme-devs",)),
    )
    assert fired(pod(CPU, nodeName="gpu-0"), alice) != []
