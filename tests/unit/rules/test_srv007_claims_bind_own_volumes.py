"""SRV007 claims-bind-own-volumes: spec.volumeName binds a PersistentVolume only under a pv:// allowed source."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, deployment, pod, request

GRANTED = {"models": {"allowedSources": ["s3://acme-models/", "pv://acme-weights"]}}


def fired(obj: Obj, tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(tenant), request()).violations if v.rule == "SRV007"]


def claim(**spec: Any) -> Obj:
    meta = {"name": "weights", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta, "spec": spec}


def statefulset(volume: str) -> Obj:
    dep = deployment()
    template = {"metadata": {"name": "ckpt"}, "spec": {"accessModes": ["ReadWriteOnce"], "volumeName": volume}}
    return {**dep, "kind": "StatefulSet", "spec": {**dep["spec"], "volumeClaimTemplates": [template]}}


def ephemeral(volume: str) -> Obj:
    template = {"spec": {"accessModes": ["ReadWriteOnce"], "volumeName": volume}}
    return pod(volumes=[{"name": "scratch", "ephemeral": {"volumeClaimTemplate": template}}])


@pytest.mark.parametrize(
    ("obj", "path"),
    [
        pytest.param(claim(volumeName="globex-ft-weights"), "spec.volumeName", id="claim"),
        pytest.param(
            statefulset("globex-ft-weights"), "spec.volumeClaimTemplates[0].spec.volumeName", id="statefulset"
        ),
        pytest.param(
            ephemeral("globex-ft-weights"),
            "spec.volumes[0].ephemeral.volumeClaimTemplate.spec.volumeName",
            id="ephemeral-volume",
        ),
        pytest.param(claim(volumeName="acme-weights-old"), "spec.volumeName", id="look-alike-name"),
    ],
)
def test_binding_another_volume_is_denied(obj: Obj, path: str) -> None:
    (v,) = fired(obj, GRANTED)
    assert v.path == path
    assert v.message.startswith("claim binds PersistentVolume '")
    assert "tenant 'acme' may bind only pv://acme-weights" in v.message


@pytest.mark.parametrize(
    ("obj", "tenant"),
    [
        pytest.param(claim(), None, id="provisioned"),
        pytest.param(claim(volumeName="acme-weights"), GRANTED, id="granted-volume"),
        pytest.param(claim(volumeName="anything"), {"models": None}, id="no-restriction"),
        pytest.param(claim(volumeName="anything"), {"models": {"allowedSources": ["pv://"]}}, id="every-volume"),
    ],
)
def test_allowed(obj: Obj, tenant: dict[str, Any] | None) -> None:
    assert fired(obj, tenant) == []


def test_no_pv_source_admits_no_named_volume() -> None:
    (v,) = fired(claim(volumeName="acme-weights"))
    assert v.message.endswith("may bind only no volume by name")
