"""MTLS002 mtls-sidecar-unmodified — the injected mTLS sidecar is the platform's, unchanged.

What it checks, in tenant mTLS mode `native`:
- the sidecar's name (`settings.mtls.containerName`) and port (`settings.mtls.port`) are reserved: no
  other container uses them (an app on that port would answer in plain text while the proxy cannot bind);
- the sidecar runs `settings.mtls.image` without a `command` override; its args keep the tenant's client
  check (`--allow-uri=spiffe://tenantguard.io/tenant/<tenant>`; no `--allow-*` but that and the gateway
  namespaces' `--allow-uri=spiffe://tenantguard.io/gateway/<ns>`; no `--disable-authentication`,
  `--keystore` or `--use-workload-api`; no `@file` argument, which ghostunnel expands into more flags), the
  certificates under `/etc/tenantguard/tls`, and a loopback `--target`; its environment sets none of what
  ghostunnel, Go or the loader reads (`CACERT_PATH`, `KEYSTORE_PATH`, `SPIFFE_ENDPOINT_SOCKET`, `GODEBUG`,
  `LD_*`…; no `envFrom`); it mounts that directory whole from the workload certificate Secret
  (`settings.mtls.secretName`) and nothing else but credentials under `/var/run/secrets/` (a `subPath` mount
  over `ca.crt` would swap the CA it trusts, an image volume over `/usr/bin` its program;
  `sidecar_inputs.py`);
- on UPDATE: a sidecar of the old object is neither removed (also not together with the ports that made
  the pod need it: the server may listen on an undeclared port) nor changed,
  unless into exactly what the webhook injects today (so a settings upgrade applies).

Why it matters: the sidecar's name is the only thing the injector looks at. A tenant who ships their own
image, widens the allowed clients or points `--target` at another tenant's service under that name gets
a pod that looks protected and is not.

Fix: remove the sidecar from your manifest and let the webhook inject it.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.rule import Example, Rule
from tenantguard.policies.rules.mtls import sidecar_inputs
from tenantguard.policies.rules.mtls.sidecar import (
    CERT_FLAGS,
    RUNTIME_KINDS,
    VOLUME,
    allowed_uris,
    expected_sidecar,
    flags,
    sidecar_args,
    sidecar_container,
    sidecar_ref,
    spiffe_id,
)
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.policies.subjects import PodTemplate, Subject
from tenantguard.policies.visit import ContainerRef, containers

FORBIDDEN_FLAGS = ("--allow-", "--disable-authentication", "--keystore", "--use-workload-api")


def _reserved(pod: PodTemplate, ctx: Context) -> Iterator[Finding]:
    name, port = ctx.settings.mtls.container_name, ctx.settings.mtls.port
    for ref in containers(pod):
        if ref.container.get("name") == name:
            if ref.field != "initContainers":
                yield Finding(
                    path=dotted((*ref.path, "name")),
                    message=f"the container name {name!r} is reserved for the mTLS sidecar",
                )
            continue
        ports = ref.container.get("ports")
        for i, p in enumerate(ports if isinstance(ports, list) else ()):
            if isinstance(p, dict) and p.get("containerPort") == port:
                yield Finding(
                    path=dotted((*ref.path, "ports", i, "containerPort")),
                    message=f"port {port} is reserved for the mTLS sidecar; listen on another port",
                )


def _tampering(ref: ContainerRef, pod: PodTemplate, ctx: Context, tenant: str) -> Iterator[Finding]:
    settings, c = ctx.settings.mtls, ref.container
    if c.get("image") != settings.image:
        yield Finding(
            path=dotted((*ref.path, "image")),
            message=f"the mTLS sidecar must run {settings.image!r}, not {c.get('image')!r}",
        )
    if c.get("command"):
        yield Finding(path=dotted((*ref.path, "command")), message="the mTLS sidecar's command cannot be set")
    yield from sidecar_inputs.environment(ref)
    seen: dict[str, str] = {}
    spiffe, admitted = spiffe_id(tenant), allowed_uris(ctx.settings, tenant)
    args = c["args"] if isinstance(c.get("args"), list) else []
    for i, arg in enumerate(args):
        if isinstance(arg, str) and arg.startswith("@"):
            yield Finding(
                path=dotted((*ref.path, "args", i)),
                message=f"the mTLS sidecar's args cannot read more flags from a file ({arg!r})",
            )
    for i, flag, value in flags(args):
        seen.setdefault(flag, value)
        if flag.startswith(FORBIDDEN_FLAGS) and not (flag == "--allow-uri" and value in admitted):
            yield Finding(
                path=dotted((*ref.path, "args", i)),
                message=f"the mTLS sidecar admits only the clients of tenant {tenant!r} and the gateway; no {flag}",
            )
        if flag == "--target" and not value.startswith(("127.0.0.1:", "localhost:", "[::1]:")):
            yield Finding(
                path=dotted((*ref.path, "args", i)),
                message=f"the mTLS sidecar must forward to this pod (127.0.0.1), not {value!r}",
            )
    for flag, value in {**CERT_FLAGS, "--allow-uri": spiffe}.items():
        if seen.get(flag) != value:
            yield Finding(path=dotted((*ref.path, "args")), message=f"the mTLS sidecar needs {flag}={value}")
    yield from sidecar_inputs.mounts(ref, pod, settings.secret_name)


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    if (tenant := ctx.tenant) is None or tenant.mtls_mode != "native":
        return
    name = ctx.settings.mtls.container_name
    for pod in subject.pods:
        yield from _reserved(pod, ctx)
        sidecar = sidecar_ref(pod, name)
        if sidecar is not None:
            yield from _tampering(sidecar, pod, ctx, tenant.name)
    if ctx.operation != "UPDATE" or ctx.old is None:
        return
    old_pods = {p.path: p for p in Subject.of(ctx.old, subject.namespace).pods}
    for pod in subject.pods:
        old_pod = old_pods.get(pod.path)
        before = sidecar_ref(old_pod, name) if old_pod is not None else None
        if before is None:
            continue
        now = sidecar_ref(pod, name)
        if now is None and subject.kind not in RUNTIME_KINDS:
            yield Finding(
                path=dotted((*pod.path, "initContainers")),
                message=f"the mTLS sidecar {name!r} was removed; a pod that had it keeps it (delete and "
                "recreate the object if it no longer serves)",
            )
        elif now is not None and now.container not in (
            before.container,
            expected_sidecar(pod, ctx.settings, tenant.name),
        ):
            yield Finding(path=dotted(now.path), message=f"the mTLS sidecar {name!r} cannot be changed")


_SETTINGS = DEFAULT_SETTINGS
_GOOD = sidecar_container(_SETTINGS, "acme", 8000)


def _pod(*init: dict[str, object]) -> dict[str, object]:
    app = {"name": "vllm", "image": "docker.io/vllm/vllm-openai:v0.6.3", "ports": [{"containerPort": 8000}]}
    meta = {"name": "vllm", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {
            "initContainers": list(init),
            "containers": [app],
            "volumes": [{"name": VOLUME, "secret": {"secretName": _SETTINGS.mtls.secret_name}}],
        },
    }


RULE = Rule(
    id="MTLS002",
    slug="mtls-sidecar-unmodified",
    title="The injected mTLS sidecar is not removed or modified",
    category=Category.MTLS,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove the tenantguard-mtls container from your manifest and let the webhook inject it",
    why="Under the sidecar's name a tenant could run their own proxy or admit every client, so a pod would "
    "look protected while serving other tenants.",
    check=check,
    doc=__doc__ or "",
    allowed=(
        Example(object=_pod(_GOOD), note="the injected sidecar"),
        Example(object=_pod(_GOOD), operation="UPDATE", old=_pod(_GOOD), note="UPDATE keeps it"),
    ),
    denied=(
        Example(object=_pod({**_GOOD, "image": "registry.acme.example/ghostunnel:dev"}), note="own image"),
        Example(
            object=_pod({**_GOOD, "args": [*sidecar_args(_SETTINGS, "acme", 8000), "--allow-all"]}),
            note="admits every client",
        ),
        Example(object=_pod(), operation="UPDATE", old=_pod(_GOOD), note="UPDATE removes it (lint)"),
    ),
)
