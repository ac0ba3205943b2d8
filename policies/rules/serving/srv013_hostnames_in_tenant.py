"""SRV013 hostnames-in-tenant — Ingresses and routes claim only the tenant's own hostnames.

What it checks: every hostname an object in a tenant namespace claims on the shared ingress controller or
gateway — an `Ingress`'s `spec.rules[].host`, `spec.tls[].hosts[]` and ingress-nginx `server-alias`
annotation (any prefix); `spec.hostnames[]` of an `HTTPRoute`, `GRPCRoute` or `TLSRoute`; the `hostname` of a
`ListenerSet` listener — compared in lower case without a trailing dot:
- it may not overlap a pattern another Tenant lists in `spec.allowedHostnames` (`*.globex.example` covers
  `chat.globex.example` and `a.b.globex.example`; a claimed wildcard `*.example` overlaps them too);
- when the tenant's own Tenant lists `allowedHostnames`, it must be covered by one of them (exact names and
  `*.suffix` wildcards; an empty list allows none), and every rule, route and HTTP/HTTPS/TLS listener must
  name a hostname: an Ingress rule without `host`, an Ingress `spec.defaultBackend`, a route without
  `hostnames` or a listener without `hostname` serves every hostname — other tenants' too.
A Tenant without the field may claim any hostname no other Tenant lists, and catch-alls (Capsule's
`allowedHostnames` behaves the same when unset); listing hostnames is how a platform reserves a tenant's
names. TEN006 keeps the Tenants' lists from overlapping; a `server-alias` that is not a hostname (an NGINX
regular expression) is denied.

Why it matters: the controller and the gateway pick the backend by hostname. An Ingress or route for
`chat.globex.example` in acme's namespace receives globex's users' requests — prompts, bearer tokens, session
cookies — or serves its own answers under globex's name; with a certificate for that name it passes TLS too.

Fix: use hostnames from the Tenant's `spec.allowedHostnames` (ask the platform team to add one), and set a
hostname on every rule, route and listener.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.fields import mapping, sequence
from tenantguard.policies.hostnames import covered, is_valid, normalise, overlapping
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import Path, dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject

HOSTNAME_KINDS = frozenset({"Ingress", "HTTPRoute", "GRPCRoute", "TLSRoute", "ListenerSet"})
HOSTNAME_PROTOCOLS = frozenset({"HTTP", "HTTPS", "TLS"})
Claim = tuple[Path, str | None]  # None: a catch-all without a hostname


def _ingress(obj: dict[str, Any]) -> Iterator[Claim]:
    spec = mapping(obj.get("spec"))
    if spec.get("defaultBackend") is not None:
        yield ("spec", "defaultBackend"), None
    for i, rule in enumerate(sequence(spec.get("rules"))):
        host = mapping(rule).get("host")
        yield (("spec", "rules", i, "host"), host) if isinstance(host, str) and host else (("spec", "rules", i), None)
    for i, tls in enumerate(sequence(spec.get("tls"))):
        for j, host in enumerate(sequence(mapping(tls).get("hosts"))):
            if isinstance(host, str):
                yield ("spec", "tls", i, "hosts", j), host
    for key, value in mapping(mapping(obj.get("metadata")).get("annotations")).items():
        if isinstance(key, str) and key.rpartition("/")[2] == "server-alias" and isinstance(value, str):
            for alias in value.split(","):
                if alias.strip():
                    yield ("metadata", "annotations", key), alias


def claims(obj: dict[str, Any]) -> Iterator[Claim]:
    kind = obj.get("kind")
    spec = mapping(obj.get("spec"))
    if kind == "Ingress":
        yield from _ingress(obj)
    elif kind == "ListenerSet":
        for i, listener in enumerate(sequence(spec.get("listeners"))):
            host = mapping(listener).get("hostname")
            if isinstance(host, str) and host:
                yield ("spec", "listeners", i, "hostname"), host
            elif mapping(listener).get("protocol") in HOSTNAME_PROTOCOLS:
                yield ("spec", "listeners", i), None
    else:
        hostnames = [h for h in sequence(spec.get("hostnames")) if isinstance(h, str)]
        yield from ((("spec", "hostnames", i), h) for i, h in enumerate(hostnames))
        if not hostnames:
            yield ("spec", "hostnames"), None


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None:
        return
    own = tenant.allowed_hostnames
    others = [t for t in ctx.tenants.by_name.values() if t.name != tenant.name and t.allowed_hostnames]
    listed = ", ".join(own or ()) or "none"
    for path, raw in claims(subject.obj):
        where = dotted(path)
        if raw is None:
            if own is not None:
                yield Finding(path=where, message="no hostname: it serves every hostname, other tenants' too")
            continue
        host = normalise(raw)
        if not is_valid(host):
            yield Finding(path=where, message=f"{raw.strip()!r} is not a hostname or a *.wildcard")
            continue
        claimed = [(t.name, p) for t in others for p in overlapping(host, t.allowed_hostnames or ())]
        if claimed:
            names = dict.fromkeys(name for name, _ in claimed)
            by = ("tenant " if len(names) == 1 else "tenants ") + ", ".join(repr(n) for n in names)
            yield Finding(
                path=where, message=f"hostname {host!r} is claimed by {by} ({', '.join(p for _, p in claimed)})"
            )
        elif own is not None and not covered(host, own):
            yield Finding(
                path=where, message=f"hostname {host!r} is not in tenant {tenant.name!r}'s allowedHostnames ({listed})"
            )


def _route(host: str) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "chat", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {
            "parentRefs": [{"name": "llm-gateway", "namespace": "llm-gateway"}],
            "hostnames": [host],
            "rules": [{"backendRefs": [{"name": "vllm", "port": 8443}]}],
        },
    }


RULE = Rule(
    id="SRV013",
    slug="hostnames-in-tenant",
    title="Ingresses and routes claim only the tenant's own hostnames",
    category=Category.SERVING,
    severity=Severity.ERROR,
    kinds=HOSTNAME_KINDS,
    fix="use hostnames from the Tenant's spec.allowedHostnames (ask the platform team to add one) and set a "
    "hostname on every rule, route and listener",
    why="The shared controller and gateway route by hostname: a claim on another tenant's name receives that "
    "tenant's users' requests.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_route("chat.acme.example")),
        Example(
            object=_route("chat.initech.example"),
            tenant={"allowedHostnames": None},
            note="a Tenant without allowedHostnames claims any name no other Tenant lists",
        ),
    ),
    denied=(
        Example(object=_route("chat.globex.example"), note="a hostname another Tenant lists"),
        Example(object=_route("chat.initech.example"), note="outside the tenant's allowedHostnames"),
    ),
)
