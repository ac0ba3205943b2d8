"""The seccomp findings shared by the baseline (PSS010) and restricted (PSS017) checks.

Until v1.19 (seccomp as a pod field), PSA judged the alpha seccomp annotations instead: `annotated_badly`.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.model import Finding
from tenantguard.policies.paths import dotted
from tenantguard.policies.rules.podsecurity.common import (
    all_containers,
    container,
    container_security_context,
    pod_annotations,
    pod_sc_path,
    pod_security_context,
    quote,
    sc_path,
)
from tenantguard.policies.subjects import PodTemplate, Subject

REASON = "seccompProfile"
ALLOWED_TYPES = frozenset({"RuntimeDefault", "Localhost"})
POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"


def _bad(profile: object) -> bool:
    return isinstance(profile, dict) and profile.get("type") not in ALLOWED_TYPES


def _message(setter: str, profile: dict[str, object]) -> str:
    value = quote(profile.get("type", ""))
    return f"{REASON} ({setter} must not set securityContext.seccompProfile.type to {value})"


def explicitly_bad(pod: PodTemplate) -> Iterator[Finding]:
    """The pod and every container that set seccompProfile.type to something other than the allowed types."""
    profile = pod_security_context(pod).get("seccompProfile")
    if isinstance(profile, dict) and _bad(profile):
        yield Finding(path=dotted(pod_sc_path(pod, "seccompProfile", "type")), message=_message("pod", profile))
    for ref in all_containers(pod):
        profile = container_security_context(ref).get("seccompProfile")
        if isinstance(profile, dict) and _bad(profile):
            yield Finding(
                path=dotted(sc_path(ref, "seccompProfile", "type")), message=_message(container(ref), profile)
            )


def implicitly_unset(pod: PodTemplate) -> Iterator[Finding]:
    """Containers that set no seccompProfile while the pod sets no allowed one either."""
    pod_profile = pod_security_context(pod).get("seccompProfile")
    if isinstance(pod_profile, dict) and not _bad(pod_profile):
        return
    for ref in all_containers(pod):
        if not isinstance(container_security_context(ref).get("seccompProfile"), dict):
            yield Finding(
                path=dotted(sc_path(ref, "seccompProfile", "type")),
                message=f"{REASON} (pod or {container(ref)} must set securityContext.seccompProfile.type "
                'to "RuntimeDefault" or "Localhost")',
            )


def _allowed_annotation(value: object) -> bool:
    return value in ("runtime/default", "docker/default") or (isinstance(value, str) and value.startswith("localhost/"))


def annotated_badly(subject: Subject, pod: PodTemplate) -> Iterator[Finding]:
    """The pod's and its containers' alpha seccomp annotations that name a profile other than the runtime's
    default or a localhost one (`unconfined`, empty)."""
    path, annotations = pod_annotations(subject, pod)
    keys = [POD_ANNOTATION, *(CONTAINER_ANNOTATION_PREFIX + ref.name for ref in all_containers(pod))]
    for key in dict.fromkeys(keys):  # one finding per annotation, however many containers share a name
        if key in annotations and not _allowed_annotation(annotations[key]):
            yield Finding(
                path=dotted((*path, key)), message=f'{REASON} (forbidden annotation {key}="{annotations[key]}")'
            )
