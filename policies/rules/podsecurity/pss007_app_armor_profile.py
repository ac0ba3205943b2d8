"""PSS007 appArmorProfile — AppArmor is not disabled.

What it checks (PSA baseline check `appArmorProfile`, v1.0 — fields and annotation both):
- `spec.securityContext.appArmorProfile.type` and the same field on every container, init container and
  ephemeral container. Allowed values: undefined, `RuntimeDefault`, `Localhost`.
- pod annotations `container.apparmor.security.beta.kubernetes.io/*`. Allowed values: undefined, empty,
  `runtime/default`, `localhost/*`.

Why it matters: `Unconfined` removes the profile that stops a compromised model server from writing to
/proc, mounting file systems or loading kernel modules.

Fix: remove the profile (the runtime default applies) or use `RuntimeDefault` / a `Localhost` profile.
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
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
from tenantguard.policies.rules.podsecurity.examples import BASELINE_TENANT, example_pod, restricted_container
from tenantguard.policies.subjects import Subject

REASON = "forbidden AppArmor profile"
ALLOWED_TYPES = frozenset({"RuntimeDefault", "Localhost"})
ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"


def _allowed_annotation(value: object) -> bool:
    return value in ("", "runtime/default") or (isinstance(value, str) and value.startswith("localhost/"))


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    detail = "must not set AppArmor profile type to"
    for pod in subject.pods:
        profile = pod_security_context(pod).get("appArmorProfile")
        if isinstance(profile, dict) and profile.get("type") not in ALLOWED_TYPES:
            yield Finding(
                path=dotted(pod_sc_path(pod, "appArmorProfile", "type")),
                message=f"{REASON} (pod {detail} {quote(profile.get('type', ''))})",
            )
        for ref in all_containers(pod):
            profile = container_security_context(ref).get("appArmorProfile")
            if isinstance(profile, dict) and profile.get("type") not in ALLOWED_TYPES:
                yield Finding(
                    path=dotted(sc_path(ref, "appArmorProfile", "type")),
                    message=f"{REASON} ({container(ref)} {detail} {quote(profile.get('type', ''))})",
                )
        path, annotations = pod_annotations(subject, pod)
        for key, value in sorted(annotations.items()):
            if key.startswith(ANNOTATION_PREFIX) and not _allowed_annotation(value):
                yield Finding(path=dotted((*path, key)), message=f'{REASON} (annotation {detail} {key}="{value}")')


_UNCONFINED = {"type": "Unconfined"}

RULE = Rule(
    id="PSS007",
    slug="appArmorProfile",
    title="AppArmor is not disabled",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove the AppArmor profile or set its type to RuntimeDefault or Localhost",
    why="An Unconfined AppArmor profile drops the rails that keep a compromised container off the host.",
    check=check_v1_0,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0),),
    doc=__doc__ or "",
    allowed=(
        Example(
            object=example_pod(
                restricted_container(appArmorProfile={"type": "Localhost", "localhostProfile": "llm"}),
                securityContext={"appArmorProfile": {"type": "RuntimeDefault"}},
            )
        ),
        Example(
            object=example_pod(annotations={ANNOTATION_PREFIX + "app": "runtime/default"}),
            tenant=BASELINE_TENANT,
        ),
    ),
    denied=(
        Example(object=example_pod(securityContext={"appArmorProfile": _UNCONFINED})),
        Example(object=example_pod(restricted_container(appArmorProfile=_UNCONFINED)), tenant=BASELINE_TENANT),
        Example(object=example_pod(annotations={ANNOTATION_PREFIX + "app": "unconfined"})),
    ),
)
