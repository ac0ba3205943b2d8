"""SRV001 no-external-services: tenant Services are ClusterIP without external IPs."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, request


def fired(obj: Obj) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(), request()).violations if v.rule == "SRV001"]


def service(namespace: str = "acme-prod", **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "vllm", "namespace": namespace, "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {"selector": {"app": "vllm"}, "ports": [{"port": 8443}], **spec},
    }


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(service(), id="default-type"),
        pytest.param(service(type="ClusterIP"), id="ClusterIP"),
        pytest.param(service(type="ClusterIP", clusterIP="None"), id="headless"),
        pytest.param(service(type="ExternalName", externalName="db.acme.example"), id="ExternalName"),
        pytest.param(service(type="LoadBalancer", namespace="llm-gateway"), id="platform-namespace"),
        pytest.param(service(externalIPs=[]), id="empty-externalIPs"),
    ],
)
def test_allowed(obj: Obj) -> None:
    assert fired(obj) == []


@pytest.mark.parametrize("kind", ["NodePort", "LoadBalancer"])
def test_external_types_are_denied(kind: str) -> None:
    (v,) = fired(service(type=kind))
    assert v.path == "spec.type"
    assert kind in v.message and "ClusterIP" in v.message


def test_every_external_ip_is_reported() -> None:
    found = fired(service(type="LoadBalancer", externalIPs=["203.0.113.7", "203.0.113.8"]))
    assert [v.path for v in found] == ["spec.type", "spec.externalIPs[0]", "spec.externalIPs[1]"]
    assert "'203.0.113.8'" in found[2].message
