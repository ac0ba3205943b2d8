"""What the pod-security rules share: which level a tenant enforces and PSA's way of naming things.

The rules mirror Kubernetes' Pod Security Admission (k8s.io/pod-security-admission, policy/) at its
latest policy version (v1.37): same check IDs, same decisions, same reasons and details. PSA reports
one result per check; these rules report every offending field, each with PSA's `reason (detail)`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Obj
from tenantguard.policies.paths import Path
from tenantguard.policies.subjects import PodTemplate
from tenantguard.policies.visit import ContainerRef, containers

BASELINE = "baseline"
RESTRICTED = "restricted"
_RANK = {BASELINE: 1, RESTRICTED: 2}


def enforced(ctx: Context, level: str) -> bool:
    """True when the tenant's podSecurity level includes checks of `level` (restricted includes baseline)."""
    tenant = ctx.tenant
    return tenant is not None and _RANK.get(tenant.pod_security, 0) >= _RANK[level]


def enforced_exactly(ctx: Context, level: str) -> bool:
    """For baseline checks that a restricted check overrides in PSA: they run only at their own level."""
    return ctx.tenant is not None and ctx.tenant.pod_security == level


def obj(value: Any) -> Obj:
    return value if isinstance(value, dict) else {}


def pod_security_context(pod: PodTemplate) -> Obj:
    sc = pod.spec.get("securityContext")  # obj() inlined, as below
    return sc if isinstance(sc, dict) else {}


def container_security_context(ref: ContainerRef) -> Obj:
    sc = ref.container.get("securityContext")  # obj() inlined: every container check calls this
    return sc if isinstance(sc, dict) else {}


def is_windows(pod: PodTemplate) -> bool:
    """`spec.os.name: windows` — PSA v1.25+ exempts these from the Linux-only restricted checks."""
    return obj(pod.spec.get("os")).get("name") == "windows"


def in_user_namespace(pod: PodTemplate) -> bool:
    """`spec.hostUsers: false` — PSA v1.35+ relaxes runAsNonRoot, runAsUser and baseline procMount."""
    return pod.spec.get("hostUsers") is False


def all_containers(pod: PodTemplate) -> Iterator[ContainerRef]:
    """containers, initContainers, ephemeralContainers and KServe's predictor containers (as PSA)."""
    return containers(pod)


def sc_path(ref: ContainerRef, *rest: str | int) -> Path:
    return (*ref.path, "securityContext", *rest)


def pod_sc_path(pod: PodTemplate, *rest: str | int) -> Path:
    return (*pod.path, "securityContext", *rest)


def container(ref: ContainerRef) -> str:
    """PSA's `container "name"`."""
    return f'container "{ref.name}"'


def quote(value: Any) -> str:
    return f'"{value}"'
