"""SRV006 ingress-tls: an Ingress in a tenant namespace terminates TLS for every host (warning severity)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate, review
from tenantguard.policies.model import Obj, Severity, Violation
from tenantguard.policies.registry import BY_ID
from tests.support.fixtures import cluster_for, request


def fired(obj: Obj) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(), request()).violations if v.rule == "SRV006"]


def ingress(*hosts: str | None, tls: list[dict[str, Any]] | None = None, namespace: str = "acme-prod") -> Obj:
    backend = {"service": {"name": "vllm", "port": {"number": 8443}}}
    rules = [
        {
            **({"host": h} if h else {}),
            "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
        }
        for h in hosts
    ]
    spec: dict[str, Any] = {"rules": rules}
    if tls is not None:
        spec["tls"] = tls
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "chat", "namespace": namespace},
        "spec": spec,
    }


def test_is_a_warning_that_admits_the_ingress() -> None:
    assert BY_ID["SRV006"].severity is Severity.WARNING
    evaluation = review(ingress("chat.acme.example"), cluster_for(), request()).evaluation
    assert evaluation.allowed
    assert [v.rule for v in evaluation.warnings] == ["SRV006"]


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(
            ingress("chat.acme.example", tls=[{"hosts": ["chat.acme.example"], "secretName": "t"}]),
            id="host-covered",
        ),
        pytest.param(ingress(None, tls=[{"secretName": "t"}]), id="catch-all-with-default-cert"),
        pytest.param(ingress("chat.acme.example", namespace="team-x"), id="not-a-tenant"),
    ],
)
def test_allowed(obj: Obj) -> None:
    assert fired(obj) == []


def test_ingress_without_tls_is_reported() -> None:
    (v,) = fired(ingress("chat.acme.example"))
    assert v.path == "spec.tls"
    assert "plain HTTP" in v.message


def test_every_uncovered_host_is_reported() -> None:
    obj = ingress(
        "a.acme.example",
        "b.acme.example",
        "c.acme.example",
        tls=[{"hosts": ["b.acme.example"], "secretName": "t"}],
    )
    found = fired(obj)
    assert [v.path for v in found] == ["spec.rules[0].host", "spec.rules[2].host"]
    assert "'a.acme.example' is served without TLS" in found[0].message
