"""SRV014 ingress-annotations-stay-in-tenant: ingress-nginx annotations that name a Secret, a ConfigMap or a URL
reach only the tenant's own namespaces, external hosts and its egress CIDRs."""

from __future__ import annotations

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tests.support.fixtures import cluster_for, request

P = "nginx.ingress.kubernetes.io/"


def fired(obj: Obj) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(), request()).violations if v.rule == "SRV014"]


def ingress(**annotations: str) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "chat",
            "namespace": "acme-prod",
            "annotations": {P + k: v for k, v in annotations.items()},
        },
        "spec": {"rules": [{"host": "chat.acme.example"}]},
    }


# The attacks: the shared controller reads another tenant's Secrets and ConfigMaps, or sends this tenant's
# requests (mirrors, auth subrequests with their headers) to another tenant's Service or to the cloud metadata.
@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("auth-tls-secret", "globex-prod/client-ca", "'globex-prod' belongs to tenant 'globex'"),
        ("proxy-ssl-secret", "globex-prod/vllm-client", "'globex-prod' belongs to tenant 'globex'"),
        ("auth-secret", "globex-prod/htpasswd", "'globex-prod' belongs to tenant 'globex'"),
        ("custom-headers", "globex-prod/api-keys", "'globex-prod' belongs to tenant 'globex'"),
        ("auth-proxy-set-headers", "kube-system/extension-apiserver-authentication", "'kube-system' is not one"),
        ("fastcgi-params-configmap", "globex-prod/params", "'globex-prod' belongs to tenant 'globex'"),
        ("mirror-target", "http://vllm.globex-prod.svc.cluster.local:8000$request_uri", "'globex-prod' belongs"),
        ("auth-url", "http://vllm.globex-prod.svc:8000/v1/models", "'globex-prod' belongs to tenant 'globex'"),
        ("auth-signin", "https://kubernetes.default.svc/api", "'default' is not one"),
        ("auth-url", "http://169.254.169.254/latest/meta-data/", "outside the tenant's egress CIDRs"),
        ("mirror-target", "http://$http_x_target$request_uri", "is chosen per request"),
    ],
)
def test_cross_tenant_and_platform_references_are_denied(key: str, value: str, reason: str) -> None:
    (v,) = fired(ingress(**{key: value}))
    assert v.path == f'metadata.annotations["{P}{key}"]'
    assert reason in v.message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("auth-tls-secret", "acme-prod/client-ca"),
        ("auth-tls-secret", "acme-dev/client-ca"),
        ("auth-secret", "htpasswd"),  # the Ingress's own namespace
        ("custom-headers", "llm-gateway/security-headers"),
        ("auth-url", "https://auth.acme.example/oauth2/auth"),
        ("auth-url", "http://oauth2-proxy.acme-dev.svc.cluster.local/oauth2/auth"),
        ("mirror-target", "https://shadow.acme.example$request_uri"),
        ("mirror-target", "http://10.20.3.4:8080$request_uri"),
        ("auth-signin", "https://$host/oauth2/start?rd=$escaped_request_uri"),
        ("rewrite-target", "/$2"),
    ],
)
def test_own_and_external_references_are_allowed(key: str, value: str) -> None:
    assert fired(ingress(**{key: value})) == []


def test_every_offending_annotation_is_reported() -> None:
    obj = ingress(**{"auth-tls-secret": "globex-prod/ca", "mirror-target": "http://vllm.globex-prod"})
    assert len(fired(obj)) == 2
