"""SRV012 no-ingress-snippets: no raw NGINX configuration in the annotations of a tenant's Ingress."""

from __future__ import annotations

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, request


def fired(obj: Obj) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(), request()).violations if v.rule == "SRV012"]


def ingress(namespace: str = "acme-prod", **annotations: str) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "chat", "namespace": namespace, "annotations": annotations},
        "spec": {"ingressClassName": "nginx", "rules": [{"host": "chat.acme.example"}]},
    }


# CVE-2021-25742: a snippet runs in the shared controller, which can read every Secret in the cluster.
STEAL = "location /t { alias /var/run/secrets/kubernetes.io/serviceaccount/; }"


@pytest.mark.parametrize(
    "key",
    [
        "nginx.ingress.kubernetes.io/configuration-snippet",
        "nginx.ingress.kubernetes.io/server-snippet",
        "nginx.ingress.kubernetes.io/auth-snippet",
        "nginx.ingress.kubernetes.io/stream-snippet",
        "nginx.ingress.kubernetes.io/modsecurity-snippet",
        "custom.ingress.example/server-snippet",  # a controller started with --annotations-prefix
        "nginx.org/server-snippets",  # F5 NGINX Ingress Controller
        "nginx.org/location-snippets",
    ],
)
def test_snippet_annotations_are_denied(key: str) -> None:
    (v,) = fired(ingress(**{key: STEAL}))
    assert v.path == f'metadata.annotations["{key}"]'
    assert "raw NGINX configuration" in v.message


def test_every_snippet_is_reported() -> None:
    obj = ingress(
        **{
            "nginx.ingress.kubernetes.io/server-snippet": "x",
            "nginx.ingress.kubernetes.io/rewrite-target": "/",
            "nginx.ingress.kubernetes.io/configuration-snippet": "y",
        }
    )
    assert [v.path for v in fired(obj)] == [
        'metadata.annotations["nginx.ingress.kubernetes.io/server-snippet"]',
        'metadata.annotations["nginx.ingress.kubernetes.io/configuration-snippet"]',
    ]


@pytest.mark.parametrize(
    "key",
    [
        "nginx.ingress.kubernetes.io/rewrite-target",
        "nginx.ingress.kubernetes.io/proxy-body-size",
        "nginx.ingress.kubernetes.io/enable-modsecurity",
        "snippet",  # not an ingress controller's key
        "example.com/snippet-count",
    ],
)
def test_other_annotations_are_allowed(key: str) -> None:
    assert fired(ingress(**{key: "1"})) == []


def test_ingresses_outside_tenant_namespaces_are_not_judged() -> None:
    assert fired(ingress("platform-ingress", **{"nginx.ingress.kubernetes.io/server-snippet": "x"})) == []
