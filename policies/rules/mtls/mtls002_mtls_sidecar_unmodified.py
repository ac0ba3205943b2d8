"""MTLS002 mtls-sidecar-unmodified — the injected mTLS sidecar is the platform's, unchanged.

What it checks, in tenant mTLS mode `native`:
- a container named like the sidecar (`settings.mtls.containerName`) is in `initContainers` only; it runs
  `settings.mtls.image` without a `command` override; its args keep the tenant's client check
  (`--allow-uri=spiffe://tenantguard.io/tenant/<tenant>` and no other `--allow-*`,
  `--disable-authentication` or `--keystore`), the certificates under `/etc/tenantguard/tls`, and a
  loopback `--target`; it mounts that directory from the workload certificate Secret
  (`settings.mtls.secretName`);
- on UPDATE: a sidecar present in the old object is neither removed (while the pod still needs mTLS) nor
  changed, unless the new one is exactly what the webhook injects today (so a settings upgrade applies).

Why it matters: the sidecar's name is the only thing the injector looks at. A tenant who ships their own
image, widens the allowed clients or points `--target` at another tenant's service under that name gets
a pod that looks protected and is not.

Fix: remove the sidecar from your manifest and let the webhook inject it.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.context import Context
from policies.model import Category, Example, Finding, Rule, Severity
from policies.paths import dotted
from policies.rules.mtls.injection import (
    CERT_DIR,
    expected_sidecar,
    needs_mtls,
    sidecar_args,
    sidecar_container,
    sidecar_ref,
    spiffe_id,
)
from policies.settings import DEFAULT_SETTINGS
from policies.subjects import PodTemplate, Subject
from policies.visit import ContainerRef, containers

FORBIDDEN_FLAGS = ("--allow-", "--disable-authentication", "--keystore", "--use-workload-api")
REQUIRED_FLAGS = {f"--{f}": f"{CERT_DIR}/{file}" for f, file in (("cert", "tls.crt"), ("key", "tls.key"),
                                                                 ("cacert", "ca.crt"))}


def _flags(args: list[object]) -> Iterator[tuple[int, str, str]]:
    """(index, flag, value) for `--flag=value` and `--flag value`."""
    for i, arg in enumerate(args):
        if isinstance(arg, str) and arg.startswith("--"):
            flag, eq, value = arg.partition("=")
            nxt = args[i + 1] if i + 1 < len(args) else ""
            yield i, flag, value if eq else (nxt if isinstance(nxt, str) and not nxt.startswith("--") else "")


def _tampering(ref: ContainerRef, pod: PodTemplate, ctx: Context, tenant: str) -> Iterator[Finding]:
    settings, c = ctx.settings.mtls, ref.container
    if c.get("image") != settings.image:
        yield Finding(path=dotted((*ref.path, "image")),
                      message=f"the mTLS sidecar must run {settings.image!r}, not {c.get('image')!r}")
    if c.get("command"):
        yield Finding(path=dotted((*ref.path, "command")), message="the mTLS sidecar's command cannot be set")
    raw = c.get("args")
    args: list[object] = raw if isinstance(raw, list) else []
    seen: dict[str, str] = {}
    for i, flag, value in _flags(args):
        seen.setdefault(flag, value)
        allowed_uri = flag == "--allow-uri" and value == spiffe_id(tenant)
        if flag.startswith(FORBIDDEN_FLAGS) and not allowed_uri:
            yield Finding(path=dotted((*ref.path, "args", i)),
                          message=f"the mTLS sidecar admits only tenant {tenant!r}'s clients; no {flag}")
        if flag == "--target" and not value.startswith(("127.0.0.1:", "localhost:", "[::1]:")):
            yield Finding(path=dotted((*ref.path, "args", i)),
                          message=f"the mTLS sidecar must forward to this pod (127.0.0.1), not {value!r}")
    for flag, value in {**REQUIRED_FLAGS, "--allow-uri": spiffe_id(tenant)}.items():
        if seen.get(flag) != value:
            yield Finding(path=dotted((*ref.path, "args")), message=f"the mTLS sidecar needs {flag}={value}")
    volumes = {v.get("name"): v for v in pod.spec.get("volumes") or () if isinstance(v, dict)}
    mounts = c.get("volumeMounts")
    sources = [
        (volumes.get(m.get("name")) or {}).get("secret") or {}
        for m in (mounts if isinstance(mounts, list) else ())
        if isinstance(m, dict) and m.get("mountPath") == CERT_DIR
    ]
    if not any(isinstance(s, dict) and s.get("secretName") == settings.secret_name for s in sources):
        yield Finding(path=dotted((*ref.path, "volumeMounts")),
                      message=f"the mTLS sidecar must mount Secret {settings.secret_name!r} at {CERT_DIR}")


def check(subject: Subject, ctx: Context) -> Iterator[Finding]:
    tenant = ctx.tenant
    if tenant is None or tenant.mtls_mode != "native":
        return
    name = ctx.settings.mtls.container_name
    for pod in subject.pods:
        for ref in containers(pod):
            if ref.container.get("name") == name and ref.field != "initContainers":
                yield Finding(path=dotted((*ref.path, "name")),
                              message=f"the container name {name!r} is reserved for the mTLS sidecar")
        sidecar = sidecar_ref(pod, name)
        if sidecar is not None:
            yield from _tampering(sidecar, pod, ctx, tenant.name)
    if ctx.operation != "UPDATE" or ctx.old is None:
        return
    old_pods = {p.path: p for p in Subject.of(ctx.old, subject.namespace).pods}
    for pod in subject.pods:
        old_pod = old_pods.get(pod.path)
        before = sidecar_ref(old_pod, name) if old_pod is not None else None
        now = sidecar_ref(pod, name)
        if before is None:
            continue
        if now is None and needs_mtls(subject, pod, name):
            yield Finding(path=dotted((*pod.path, "initContainers")),
                          message=f"the mTLS sidecar {name!r} was removed")
        elif now is not None and now.container not in (before.container,
                                                       expected_sidecar(pod, ctx.settings.mtls, tenant.name)):
            yield Finding(path=dotted(now.path), message=f"the mTLS sidecar {name!r} cannot be changed")


def _deploy(init: list[dict[str, object]]) -> dict[str, object]:
    app = {"name": "vllm", "image": "docker.io/vllm/vllm-openai:v0.6.3", "ports": [{"containerPort": 8000}]}
    volume = {"name": "tenantguard-mtls-certs", "secret": {"secretName": "tenantguard-workload-cert"}}
    labels = {"tenantguard.io/tenant": "acme", "app": "vllm"}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": labels},
            "spec": {"selector": {"matchLabels": {"app": "vllm"}}, "template": {
                "metadata": {"labels": labels},
                "spec": {"initContainers": init, "containers": [app], "volumes": [volume]}}}}


_SETTINGS = DEFAULT_SETTINGS.mtls
_GOOD = sidecar_container(_SETTINGS, "acme", 8000)
_OWN_IMAGE = {**_GOOD, "image": "registry.acme.example/ghostunnel:dev"}
_ALLOW_ALL = {**_GOOD, "args": [*sidecar_args(_SETTINGS, "acme", 8000)[:-1], "--allow-all"]}

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
        Example(object=_deploy([_GOOD]), note="the injected sidecar"),
        Example(object=_deploy([_GOOD]), operation="UPDATE", old=_deploy([_GOOD]), note="UPDATE keeps it"),
    ),
    denied=(
        Example(object=_deploy([_OWN_IMAGE]), note="own image under the sidecar's name"),
        Example(object=_deploy([_ALLOW_ALL]), note="admits every client"),
        Example(object=_deploy([]), operation="UPDATE", old=_deploy([_GOOD]),
                note="UPDATE removes it (lint; admission re-injects it)"),
    ),
)
