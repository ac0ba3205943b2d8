"""policies.subjects: every kind that makes pods is judged on its template, at its real path."""

from __future__ import annotations

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.rules.gpu.samples import container, deployment
from tenantguard.policies.subjects import Subject
from tests.support.fixtures import cluster_for, request


@pytest.mark.parametrize("kind", ["ReplicaSet", "ReplicationController"])
def test_replica_owners_are_judged_on_their_template_and_counted(kind: str) -> None:
    """ReplicationControllers (core/v1, granted by Kubernetes' edit role) escaped every template rule until the
    attack corpus sent one."""
    obj = {**deployment(5, container({"nvidia.com/gpu": 2}), hostNetwork=True), "kind": kind}
    if kind == "ReplicationController":
        obj["apiVersion"] = "v1"
    (pod,) = Subject.of(obj).pods
    assert (pod.path, pod.replicas, pod.count_path) == (("spec", "template", "spec"), 5, ("spec", "replicas"))
    rules = {v.rule for v in evaluate(obj, cluster_for(), request()).violations}
    assert {"PSS002", "GPU006"} <= rules
