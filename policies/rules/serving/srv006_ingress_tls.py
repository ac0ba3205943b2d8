"""SRV006 ingress-tls — an Ingress in a tenant namespace terminates TLS for every host it serves.

What it checks: an `Ingress` has `spec.tls`, and every host of `spec.rules[].host` is listed in some
`spec.tls[].hosts`. A rule without a host (the catch-all) needs at least one `spec.tls` entry.
Ingresses themselves are allowed, and so is one without TLS: a warning-severity rule, so an enforced
`serving` category admits it with a warning (`ruleModes: {SRV006: enforce}` makes it deny).

Why it matters: prompts and completions cross the network in plain text through an Ingress without
TLS — readable by anyone on the path, and outside the platform gateway's mTLS.

Fix: add `spec.tls` with the hosts and a certificate Secret (or route through the platform gateway).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.subjects import Subject


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    spec = subject.obj.get("spec")
    if ctx.tenant is None or not isinstance(spec, dict):
        return
    tls = [t for t in spec.get("tls") or () if isinstance(t, dict)]
    if not tls:
        yield Finding(path=dotted(("spec", "tls")), message="the Ingress serves plain HTTP (no spec.tls)")
        return
    covered = {h for t in tls for h in t.get("hosts") or () if isinstance(h, str)}
    rules = spec.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else ()):
        host = rule.get("host") if isinstance(rule, dict) else None
        if isinstance(host, str) and host and host not in covered:
            yield Finding(
                path=dotted(("spec", "rules", i, "host")),
                message=f"host {host!r} is served without TLS; list it in spec.tls[].hosts",
            )


def _ingress(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "chat", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
        "spec": {
            "rules": [
                {
                    "host": "chat.acme.example",
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": "vllm", "port": {"number": 8443}}},
                            }
                        ]
                    },
                }
            ],
            **spec,
        },
    }


RULE = Rule(
    id="SRV006",
    slug="ingress-tls",
    title="Ingresses in tenant namespaces terminate TLS for every host",
    category=Category.SERVING,
    severity=Severity.WARNING,
    kinds=frozenset({"Ingress"}),
    fix="add spec.tls with every host and a certificate Secret",
    why="An Ingress without TLS carries prompts and completions in plain text.",
    check=check,
    doc=__doc__ or "",
    allowed=(Example(object=_ingress(tls=[{"hosts": ["chat.acme.example"], "secretName": "chat-tls"}])),),
    denied=(
        Example(object=_ingress(), note="no spec.tls"),
        Example(object=_ingress(tls=[{"hosts": ["other.acme.example"], "secretName": "x"}]), note="host"),
    ),
)
