"""PSS008 seLinuxOptions — SELinux keeps a container type, with no custom user or role.

What it checks (PSA baseline check `seLinuxOptions`):
- `seLinuxOptions.type` of the pod and of every container, init container and ephemeral container.
  Allowed values: undefined, "", `container_t`, `container_init_t`, `container_kvm_t`, `container_engine_t`.
- `seLinuxOptions.user` and `seLinuxOptions.role` at the same places. Allowed values: undefined, "".

Versions: v1.0 without `container_engine_t`; v1.31 allows it.

Why it matters: an unconfined SELinux type (`spc_t`, `unconfined_t`) or a custom user/role lifts the
label that keeps one tenant's container out of another's files on a shared node.

Fix: remove `seLinuxOptions.user` and `.role`, and use one of the container types (or none).
"""

from __future__ import annotations

from collections.abc import Iterator

from tenantguard.policies.context import Context
from tenantguard.policies.model import Category, Finding, Severity
from tenantguard.policies.paths import Path, dotted
from tenantguard.policies.podsecurity import Level, v1
from tenantguard.policies.rule import Example, Rule, VersionedCheck
from tenantguard.policies.rules.podsecurity.common import (
    all_containers,
    container,
    container_security_context,
    pod_sc_path,
    pod_security_context,
    quote,
    sc_path,
)
from tenantguard.policies.rules.podsecurity.examples import (
    BASELINE_TENANT,
    example_pod,
    pinned,
    restricted_container,
)
from tenantguard.policies.subjects import Subject

REASON = "seLinuxOptions"
ALLOWED_TYPES_V1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
ALLOWED_TYPES_V1_31 = ALLOWED_TYPES_V1_0 | {"container_engine_t"}


def _offences(options: object, setter: str, base: Path, allowed_types: frozenset[str]) -> Iterator[Finding]:
    if not isinstance(options, dict):
        return
    prefix = f"{REASON} ({setter} set forbidden securityContext.seLinuxOptions:"
    selinux_type = options.get("type") or ""
    if selinux_type not in allowed_types:
        yield Finding(path=dotted((*base, "type")), message=f"{prefix} type {quote(selinux_type)})")
    for field in ("user", "role"):
        if options.get(field):
            yield Finding(path=dotted((*base, field)), message=f"{prefix} {field} may not be set)")


def _pod_offences(subject: Subject, allowed_types: frozenset[str]) -> Iterator[Finding]:
    for pod in subject.pods:
        options = pod_security_context(pod).get("seLinuxOptions")
        yield from _offences(options, "pod", pod_sc_path(pod, "seLinuxOptions"), allowed_types)
        for ref in all_containers(pod):
            options = container_security_context(ref).get("seLinuxOptions")
            if options is not None:  # the setter's name and path only for a container that sets it
                yield from _offences(options, container(ref), sc_path(ref, "seLinuxOptions"), allowed_types)


def check_v1_0(subject: Subject, ctx: Context) -> Iterator[Finding]:
    return _pod_offences(subject, ALLOWED_TYPES_V1_0)


def check_v1_31(subject: Subject, ctx: Context) -> Iterator[Finding]:
    return _pod_offences(subject, ALLOWED_TYPES_V1_31)


RULE = Rule(
    id="PSS008",
    slug="seLinuxOptions",
    title="SELinux options keep a container type and no custom user or role",
    category=Category.POD_SECURITY,
    severity=Severity.ERROR,
    pod_templates=True,
    fix="remove seLinuxOptions.user and .role; set type to container_t, container_init_t, container_kvm_t, "
    "container_engine_t or leave it empty",
    why="A privileged SELinux type or custom user/role lifts the label separating tenants' files.",
    check=check_v1_31,
    level=Level.BASELINE,
    versions=(VersionedCheck(since=v1(0), check=check_v1_0), VersionedCheck(since=v1(31), check=check_v1_31)),
    doc=__doc__ or "",
    allowed=(
        Example(object=example_pod(securityContext={"seLinuxOptions": {"type": "container_t", "level": "s0:c1,c2"}})),
        Example(
            object=example_pod(restricted_container(seLinuxOptions={"type": "container_engine_t"})),
            tenant=BASELINE_TENANT,
        ),
    ),
    denied=(
        Example(object=example_pod(securityContext={"seLinuxOptions": {"type": "spc_t"}})),
        Example(
            object=example_pod(restricted_container(seLinuxOptions={"user": "system_u", "role": "system_r"})),
            tenant=BASELINE_TENANT,
        ),
        Example(
            object=example_pod(restricted_container(seLinuxOptions={"type": "container_engine_t"})),
            tenant=pinned("v1.30", BASELINE_TENANT),
            note="container_engine_t is allowed from v1.31",
        ),
    ),
)
