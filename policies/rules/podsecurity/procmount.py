"""The procMount finding shared by the baseline (PSS009) and restricted (PSS019) checks."""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.model import Finding
from tenantguard.policies.paths import dotted
from tenantguard.policies.rules.podsecurity.common import (
    all_containers,
    container,
    container_security_context,
    quote,
    sc_path,
)
from tenantguard.policies.subjects import PodTemplate

REASON = "procMount"


def unmasked(pod: PodTemplate) -> Iterator[Finding]:
    """Every container whose securityContext.procMount is set to anything but `Default`."""
    for ref in all_containers(pod):
        sc = container_security_context(ref)
        value = sc.get("procMount")
        if value is not None and value != "Default":
            yield Finding(
                path=dotted(sc_path(ref, "procMount")),
                message=f"{REASON} ({container(ref)} must not set securityContext.procMount to {quote(value)})",
            )
