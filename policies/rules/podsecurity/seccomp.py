"""The seccomp findings shared by the baseline (PSS010) and restricted (PSS017) checks."""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.model import Finding
from tenantguard.policies.paths import dotted
from tenantguard.policies.rules.podsecurity.common import (
    all_containers,
    container,
    container_security_context,
    pod_sc_path,
    pod_security_context,
    quote,
    sc_path,
)
from tenantguard.policies.subjects import PodTemplate

REASON = "seccompProfile"
ALLOWED_TYPES = frozenset({"RuntimeDefault", "Localhost"})


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
