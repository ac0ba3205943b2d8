"""SRV012 no-ingress-snippets — a tenant's Ingress carries no raw NGINX configuration.

What it checks: no annotation of an `Ingress` in a tenant namespace is a snippet: a key whose name (after
the prefix) ends in `-snippet` or `-snippets`, whatever the prefix. That covers every annotation
ingress-nginx documents as unvalidated, "Critical"-risk raw configuration — `configuration-snippet`,
`server-snippet`, `auth-snippet`, `stream-snippet`, `modsecurity-snippet` under `nginx.ingress.kubernetes.io/`
or the prefix a controller was started with (`--annotations-prefix`) — and the F5 NGINX Ingress Controller's
`nginx.org/server-snippets` and `nginx.org/location-snippets`. The other annotations are left to the
controller, which validates them against its `annotations-risk-level`.

Why it matters: a snippet is pasted into the configuration of the ingress controller that every tenant
shares. It can read files in the controller's pod — its service account token, which may read every Secret
in the cluster, and other tenants' TLS keys — or proxy to any address (CVE-2021-25742). ingress-nginx turns
snippets off by default (`allow-snippet-annotations: false`) and warns to turn them on only if every Ingress
author is trusted; in a multi-tenant cluster they are not, and this rule keeps them off whatever the
controller's configuration, and reports the ones written before.

Fix: remove the annotation and use the documented ingress-nginx annotation for the setting (rewrites,
headers, timeouts, body size, CORS), or ask the platform team for a controller-level setting.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject

SUFFIXES = ("-snippet", "-snippets")


def is_snippet(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    return bool(slash and prefix) and name.endswith(SUFFIXES)


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    meta = subject.obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    for key in annotations if isinstance(annotations, dict) else ():
        if isinstance(key, str) and is_snippet(key):
            yield Finding(
                path=dotted(("metadata", "annotations", key)),
                message="raw NGINX configuration runs in the ingress controller shared by every tenant "
                "(CVE-2021-25742)",
            )


def _ingress(**annotations: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "chat",
            "namespace": "acme-prod",
            "labels": {"tenantguard.io/tenant": "acme"},
            "annotations": annotations,
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["chat.acme.example"], "secretName": "chat-tls"}],
            "rules": [{"host": "chat.acme.example"}],
        },
    }


RULE = Rule(
    id="SRV012",
    slug="no-ingress-snippets",
    title="Ingresses in tenant namespaces carry no configuration snippets",
    category=Category.SERVING,
    severity=Severity.ERROR,
    kinds=frozenset({"Ingress"}),
    fix="remove the *-snippet annotation; use the documented ingress-nginx annotation for the setting, or ask "
    "the platform team for a controller-level configuration",
    why="A snippet runs inside the ingress controller every tenant shares, with its access to every tenant's "
    "Secrets and traffic.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object=_ingress(**{"nginx.ingress.kubernetes.io/proxy-body-size": "8m"})),),
    denied=(
        Example(
            object=_ingress(
                **{"nginx.ingress.kubernetes.io/server-snippet": "location /t { alias /var/run/secrets/; }"}
            ),
            note="reads the controller's service account token",
        ),
    ),
)
