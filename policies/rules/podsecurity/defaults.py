"""PSS-M — secure defaults for tenants with `podSecurityDefaults: true`.

For every pod spec the object carries, fill in what `restricted` requires and the user left unset:
- `securityContext.seccompProfile: {type: RuntimeDefault}` on the pod, when the pod sets none;
- on every container, init container and ephemeral container (PSA checks all three, and KServe's
  predictor containers): `allowPrivilegeEscalation: false` when unset — except for privileged containers
  and containers adding SYS_ADMIN, where the API server would reject it — and `ALL` appended to
  `capabilities.drop` when it is missing;
- `securityContext.runAsNonRoot: true` on the pod, when the pod leaves it unset and some container does
  too — unless the pod or such a container asks for UID 0 (it would then fail to start).
KServe (Cluster)ServingRuntimes have no pod-level securityContext: their containers get seccompProfile
and runAsNonRoot themselves.
Windows pods (`spec.os.name: windows`) only get runAsNonRoot: the API forbids the Linux fields there.
Pods in a user namespace (`hostUsers: false`) get no runAsNonRoot: PSA does not require it.

A value the user set is never changed (PSS010-PSS018 judge it), so an explicitly privileged or
Unconfined container still fails; mutating the result again yields no patches.
"""

from __future__ import annotations

from typing import Any

from tenantguard.policies.context import Context
from tenantguard.policies.model import Obj, Patch
from tenantguard.policies.paths import Path, pointer
from tenantguard.policies.rule import Mutator
from tenantguard.policies.rules.podsecurity.common import (
    all_containers,
    container_security_context,
    in_user_namespace,
    is_windows,
    obj,
    pod_security_context,
)
from tenantguard.policies.subjects import PodTemplate, Subject
from tenantguard.policies.visit import ContainerRef


def _set_fields(path: Path, current: Any, fields: Obj) -> list[Patch]:
    """Add `fields` under the object at `path`, creating it when missing."""
    if not fields:
        return []
    if not isinstance(current, dict):
        return [{"op": "add", "path": pointer(path), "value": fields}]
    return [{"op": "add", "path": pointer((*path, k)), "value": v} for k, v in fields.items()]


# Their pod spec (ServingRuntimePodSpec) has no securityContext: defaults go on each container.
NO_POD_SECURITY_CONTEXT = frozenset({"ServingRuntime", "ClusterServingRuntime"})


def _container_ops(ref: ContainerRef, *, pod_level: bool) -> list[Patch]:
    sc = container_security_context(ref)
    caps = obj(sc.get("capabilities"))
    fields: Obj = {}
    if not pod_level and sc.get("seccompProfile") is None:
        fields["seccompProfile"] = {"type": "RuntimeDefault"}
    if not pod_level and sc.get("runAsNonRoot") is None and sc.get("runAsUser") != 0:
        fields["runAsNonRoot"] = True
    added = caps.get("add")
    sys_admin = isinstance(added, list) and bool({"SYS_ADMIN", "CAP_SYS_ADMIN"} & set(map(str, added)))
    escalation_required = sc.get("privileged") is True or sys_admin
    if sc.get("allowPrivilegeEscalation") is None and not escalation_required:
        fields["allowPrivilegeEscalation"] = False
    drop = caps.get("drop")
    ops: list[Patch] = []
    if not isinstance(sc.get("capabilities"), dict):
        fields["capabilities"] = {"drop": ["ALL"]}
    elif not isinstance(drop, list):
        ops.append(
            {
                "op": "add",
                "path": pointer((*ref.path, "securityContext", "capabilities", "drop")),
                "value": ["ALL"],
            }
        )
    elif "ALL" not in drop:
        ops.append(
            {
                "op": "add",
                "path": pointer((*ref.path, "securityContext", "capabilities", "drop", "-")),
                "value": "ALL",
            }
        )
    return _set_fields((*ref.path, "securityContext"), ref.container.get("securityContext"), fields) + ops


def _wants_run_as_non_root(pod: PodTemplate) -> bool:
    sc = pod_security_context(pod)
    if sc.get("runAsNonRoot") is not None or sc.get("runAsUser") == 0 or in_user_namespace(pod):
        return False
    inheriting = [container_security_context(r) for r in all_containers(pod)]
    inheriting = [c for c in inheriting if c.get("runAsNonRoot") is None]
    return bool(inheriting) and not any(c.get("runAsUser") == 0 for c in inheriting)


def _pod_ops(pod: PodTemplate, *, pod_level: bool) -> list[Patch]:
    windows = is_windows(pod)
    fields: Obj = {}
    if pod_level and not windows and pod_security_context(pod).get("seccompProfile") is None:
        fields["seccompProfile"] = {"type": "RuntimeDefault"}
    if pod_level and _wants_run_as_non_root(pod):
        fields["runAsNonRoot"] = True
    ops = _set_fields((*pod.path, "securityContext"), pod.spec.get("securityContext"), fields)
    if not windows:
        for ref in all_containers(pod):
            ops += _container_ops(ref, pod_level=pod_level)
    return ops


def mutate(subject: Subject, ctx: Context) -> list[Patch]:
    if ctx.tenant is None or not ctx.tenant.pod_security_defaults:
        return []
    pod_level = subject.kind not in NO_POD_SECURITY_CONTEXT
    return [op for pod in subject.pods for op in _pod_ops(pod, pod_level=pod_level)]


MUTATOR = Mutator(
    id="PSS-M",
    title="Default pods to seccomp RuntimeDefault, no privilege escalation, drop ALL and runAsNonRoot",
    mutate=mutate,
    pod_templates=True,
)
