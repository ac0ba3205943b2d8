"""What the pod-security rules share: PSA's way of reading pod specs and of naming things.

The rules mirror Kubernetes' Pod Security Admission (k8s.io/pod-security-admission, policy/) up to policy
version v1.37: same check IDs, levels and versions, same decisions, same reasons and details. PSA reports
one result per check; these rules report every offending field, each with PSA's `reason (detail)`.
Which rules run, and which version of each, is data on the rules (`Rule.level`, `Rule.versions`) that
the engine reads (`policies.podsecurity`): no check here looks at the tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tenantguard.policies.fields import mapping
from tenantguard.policies.model import Obj
from tenantguard.policies.paths import Path
from tenantguard.policies.subjects import PodTemplate, Subject
from tenantguard.policies.visit import ContainerRef, containers

obj = mapping  # the name every pod-security check reads fields with


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


def pod_annotations(subject: Subject, pod: PodTemplate) -> tuple[Path, dict[str, object]]:
    """The pod's annotations and their path; inline pod specs (KServe) take the object's, which the
    operator copies to its pods."""
    if pod.meta_path is None:
        return ("metadata", "annotations"), obj(subject.metadata.get("annotations"))
    return (*pod.meta_path, "annotations"), obj(obj(pod.meta).get("annotations"))


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
