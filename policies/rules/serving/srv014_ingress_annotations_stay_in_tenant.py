"""SRV014 ingress-annotations-stay-in-tenant — ingress-nginx annotations reach nothing of another tenant's.

What it checks: the ingress-nginx annotations of an `Ingress` in a tenant namespace (any prefix) that make
the shared controller read an object or call a URL:
- `auth-secret`, `auth-tls-secret`, `proxy-ssl-secret` (Secrets), `custom-headers`, `auth-proxy-set-headers`,
  `fastcgi-params-configmap` (ConfigMaps) take `name` or `namespace/name`: the namespace must be one of the
  tenant's or a gateway namespace (settings `gatewayNamespaces`);
- `auth-url`, `auth-signin`, `mirror-target` take a URL: its host is judged as SRV009 judges an ExternalName
  — an in-cluster name must name the tenant's or a gateway namespace, an IP must lie in the tenant's egress
  CIDRs, `localhost` is denied — and a host chosen per request by an NGINX variable is denied (`$host` and
  `$server_name`, the Ingress's own hostnames, are allowed). External hosts are allowed.

Why it matters: the controller runs with read access to every namespace's Secrets and ConfigMaps and is
trusted by every tenant's NetworkPolicies. ingress-nginx refuses cross-namespace Secrets unless
`allow-cross-namespace-resources` is on, but `custom-headers` reads any namespace's ConfigMap into response
headers, and `mirror-target`/`auth-url` send copies of the tenant's requests (prompts, and their bearer
tokens for `auth-url`) to any Service — the same reference an HTTPRoute's `requestMirror` makes (SRV005).
The rule holds whatever the controller's configuration.

Fix: keep the Secret or ConfigMap in the Ingress's namespace (write `name`, not `namespace/name`), and point
mirrors and external authentication at the tenant's own Services or at an external host.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.serving.namespaces import host_out_of_bounds, out_of_bounds
from tenantguard.policies.subjects import Subject

OBJECT_REFS = frozenset(
    {
        "auth-secret",
        "auth-tls-secret",
        "proxy-ssl-secret",
        "custom-headers",
        "auth-proxy-set-headers",
        "fastcgi-params-configmap",
    }
)
URL_REFS = frozenset({"auth-url", "auth-signin", "mirror-target"})
OWN_HOST_VARIABLES = frozenset({"$host", "$server_name", "$best_http_host"})


def url_host(url: str) -> str:
    """The host of a URL as ingress-nginx takes it (`https://a.example$request_uri` → `a.example`); a leading
    NGINX variable is returned as is (`$http_x_target`)."""
    rest = url.strip().split("://", 1)[-1]
    for stop in "/?#":
        rest = rest.split(stop, 1)[0]
    rest = rest.rpartition("@")[2]
    if rest.startswith("$"):
        return rest
    rest = rest.split("$", 1)[0]
    if rest.startswith("["):
        return rest[1:].split("]", 1)[0]
    return rest.split(":", 1)[0] if rest.count(":") == 1 else rest


def _url_problem(url: str, ctx: Context) -> str | None:
    host = url_host(url).lower()
    if host.startswith("$"):
        return None if host in OWN_HOST_VARIABLES else f"the target host is chosen per request ({host})"
    return host_out_of_bounds(host, ctx)


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if ctx.tenant is None:
        return
    meta = subject.obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    for key, value in (annotations if isinstance(annotations, dict) else {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            continue
        name = key.rpartition("/")[2]
        problem: str | None = None
        if name in OBJECT_REFS and "/" in value:
            problem = out_of_bounds(value.split("/", 1)[0].strip(), ctx)
        elif name in URL_REFS:
            problem = _url_problem(value, ctx)
        if problem:
            yield Finding(path=dotted(("metadata", "annotations", key)), message=f"{name} {value!r}: {problem}")


def _ingress(key: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "chat",
            "namespace": "acme-prod",
            "labels": {"tenantguard.io/tenant": "acme"},
            "annotations": {f"nginx.ingress.kubernetes.io/{key}": value},
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["chat.acme.example"], "secretName": "chat-tls"}],
            "rules": [{"host": "chat.acme.example"}],
        },
    }


RULE = Rule(
    id="SRV014",
    slug="ingress-annotations-stay-in-tenant",
    title="Ingress annotations reference only the tenant's own objects and Services",
    category=Category.SERVING,
    severity=Severity.ERROR,
    kinds=frozenset({"Ingress"}),
    fix="reference Secrets and ConfigMaps by name in the Ingress's own namespace, and point auth-url, "
    "auth-signin and mirror-target at the tenant's own Services or an external host",
    why="The shared ingress controller reads any namespace and reaches every tenant, so an annotation naming "
    "another tenant's object or Service crosses the boundary on this tenant's behalf.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_ingress("auth-tls-secret", "acme-prod/client-ca")),
        Example(object=_ingress("auth-url", "https://auth.acme.example/oauth2/auth"), note="an external host"),
    ),
    denied=(
        Example(object=_ingress("custom-headers", "globex-prod/api-keys"), note="another tenant's ConfigMap"),
        Example(
            object=_ingress("mirror-target", "http://vllm.globex-prod.svc.cluster.local$request_uri"),
            note="copies of every request to another tenant's model server",
        ),
    ),
)
